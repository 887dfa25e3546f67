"""factory-boy factories for every model the tests build."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from applications.enums import ApplicationStatus, MembershipRole
from applications.models import Application, Startup
from incubator.enums import Currency, Region, ServiceKind, Stage, Track
from incubator.models import (
    DEFAULT_PROGRAMME_NAME,
    Criterion,
    PartnerAccount,
    Programme,
    Question,
    Round,
    ServiceProvider,
)
from incubator.permissions import COORDINATORS_GROUP, PARTNERS_GROUP, REVIEWERS_GROUP
from reviews.models import Assignment, ConflictOfInterest, Review, ReviewerProfile


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("pw")


class CoordinatorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"coordinator{n}")
    is_staff = True

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name=COORDINATORS_GROUP))


class ReviewerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"reviewer{n}")
    is_staff = True

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
            ReviewerProfile.objects.get_or_create(user=user)


class ReviewerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewerProfile

    user = factory.SubFactory(ReviewerFactory)
    expertise = factory.LazyFunction(list)
    max_load = 10


def default_programme() -> Programme:
    return Programme.objects.get(name=DEFAULT_PROGRAMME_NAME)


class RoundFactory(factory.django.DjangoModelFactory):
    """An open round: opened ten days ago, closes in twenty."""

    class Meta:
        model = Round

    programme = factory.LazyFunction(default_programme)
    name = factory.Sequence(lambda n: f"Round {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    review_deadline = factory.LazyAttribute(lambda r: r.closes_at + timedelta(days=30))
    reviews_per_application = 3


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    round = factory.SubFactory(RoundFactory)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    weight = Decimal("1.00")
    max_score = 10
    order = factory.Sequence(lambda n: n)


class QuestionFactory(factory.django.DjangoModelFactory):
    """A round's own question: short text unless told otherwise."""

    class Meta:
        model = Question

    round = factory.SubFactory(RoundFactory)
    key = factory.Sequence(lambda n: f"question_{n}")
    kind = "text"
    label = factory.LazyAttribute(lambda q: {"en": q.key.replace("_", " ").capitalize()})
    order = factory.Sequence(lambda n: n)


class StartupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Startup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Startup {n}")
    region = Region.GUANGZHOU
    contact_email = factory.Sequence(lambda n: f"founder{n}@startup.example")

    @factory.post_generation
    def members(startup, create, extracted, **kwargs):
        # The first member is the owner, as the one who registers a start-up is; the rest join
        # as members.
        if create and extracted:
            first, *rest = extracted
            startup.members.add(first, through_defaults={"role": MembershipRole.OWNER})
            startup.members.add(*rest)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft: every field that submitting needs, except the pitch deck."""

    class Meta:
        model = Application

    round = factory.SubFactory(RoundFactory)
    startup = factory.SubFactory(StartupFactory)
    project_name = factory.Sequence(lambda n: f"Project {n}")
    track = Track.FINANCE
    stage = Stage.PROTOTYPE
    summary = "A ledger for cross-border trade finance."
    funding_amount = Decimal("500000.00")
    funding_currency = Currency.CNY
    needs_fund = True
    # The start-up consents to share with the providers it needs (DESIGN.md §12), so that
    # provider notifications behave as before consent existed; tests of consent set it.
    share_fund = factory.LazyAttribute(lambda a: getattr(a, "needs_fund", False))
    share_training = factory.LazyAttribute(lambda a: getattr(a, "needs_training", False))
    share_testing = factory.LazyAttribute(lambda a: getattr(a, "needs_testing", False))
    status = ApplicationStatus.DRAFT


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConflictOfInterest

    reviewer = factory.SubFactory(ReviewerFactory)
    startup = factory.SubFactory(StartupFactory)
    reason = "Former colleague."


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.UNDER_REVIEW)
    reviewer = factory.SubFactory(ReviewerFactory)
    due_at = factory.LazyAttribute(lambda a: a.application.round.review_deadline)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    assignment = factory.SubFactory(AssignmentFactory)


class ServiceProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProvider

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = ServiceKind.FUND
    email = factory.Sequence(lambda n: f"provider{n}@partner.example")
    tracks = factory.LazyFunction(list)


class PartnerFactory(UserFactory):
    """A partner user (DESIGN.md §12): in the Partners group, acting for one provider (a new
    fund provider unless `provider=` is given). Not staff: partners reach no admin page."""

    username = factory.Sequence(lambda n: f"partner{n}")

    @factory.post_generation
    def provider(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get_or_create(name=PARTNERS_GROUP)[0])
            PartnerAccount.objects.create(
                user=user, provider=extracted or ServiceProviderFactory(**kwargs)
            )


# --- Intake (issue 3) -------------------------------------------------------------------------

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A pitch deck: a small real PDF, stored under a generated name."""

    class Meta:
        model = "applications.Attachment"

    application = factory.SubFactory(ApplicationFactory)
    kind = "pitch_deck"
    file = factory.django.FileField(filename="deck.pdf", data=MINIMAL_PDF)
    original_name = "deck.pdf"
    size = len(MINIMAL_PDF)
    content_type = "application/pdf"
    sha256 = factory.LazyFunction(lambda: __import__("hashlib").sha256(MINIMAL_PDF).hexdigest())


class ShortlistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Shortlist"

    round = factory.SubFactory(RoundFactory)
    name = factory.Sequence(lambda n: f"Shortlist {n}")


class ShortlistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.ShortlistEntry"

    shortlist = factory.SubFactory(ShortlistFactory)
    application = factory.SubFactory(
        ApplicationFactory,
        round=factory.SelfAttribute("..shortlist.round"),
        status=ApplicationStatus.SHORTLISTED,
    )
    rank = factory.Sequence(lambda n: n + 1)
    raw_score = 80.5
    normalized_score = 0.75
    calibrated_score = 78.25
    spread = 4.0
    review_count = 3


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.Notification"

    event = "application.submitted"
    channel = "email"
    recipient = factory.Sequence(lambda n: f"person{n}@example.org")
    subject = factory.Sequence(lambda n: f"application:{n}")
    dedup_key = factory.LazyAttribute(lambda n: f"{n.event}|{n.subject}|{n.recipient}|{n.channel}")
    payload = factory.LazyFunction(
        lambda: {
            "template": "application_submitted",
            "programme": DEFAULT_PROGRAMME_NAME,
            "data": {
                "application": 1,
                "startup": 1,
                "startup_name": "Acme",
                "project_name": "Ledger",
                "round": "Round 1",
            },
        }
    )

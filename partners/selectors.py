"""What a partner may see (DESIGN.md §12), and the engagement coordinators read."""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.models import Round, ServiceProvider
from reviews.models import Shortlist, ShortlistEntry

from .enums import InterestStatus
from .models import Interest, ListVisit, StartupView

# A provider none of whose users looked at its list this long after a shortlist of the round
# was published is flagged on the coordinators' dashboard.
UNSEEN_AFTER = timedelta(days=14)


def matched_applications(*, provider: ServiceProvider) -> QuerySet[Application]:
    """The applications whose start-ups the provider may see: consenting to its kind, needing
    it, in a track it follows (none = all), and accepted or shortlisted in a published
    shortlist. Consent is read now: a withdrawal takes a start-up out at once."""
    kind = provider.kind
    published = ShortlistEntry.objects.filter(
        application=OuterRef("pk"), shortlist__published_at__isnull=False
    )
    applications = Application.objects.filter(
        **{f"needs_{kind}": True, f"share_{kind}": True}
    ).filter(
        Q(status=ApplicationStatus.ACCEPTED)
        | Q(Exists(published), status=ApplicationStatus.SHORTLISTED)
    )
    if provider.tracks:
        applications = applications.filter(track__in=provider.tracks)
    return applications


def partner_startups(*, provider: ServiceProvider) -> QuerySet[Application]:
    """The provider's list, with what each row shows, in a constant number of queries per
    page: the scores of the latest shortlist entry (as in the webhooks) and the provider's own
    interest (`provider_interest`, a list of at most one)."""
    latest = ShortlistEntry.objects.filter(application=OuterRef("pk")).order_by(
        "-shortlist__published_at", "-shortlist__created_at", "-id"
    )
    return (
        matched_applications(provider=provider)
        .annotate(
            partner_raw_score=Subquery(latest.values("raw_score")[:1]),
            partner_normalized_score=Subquery(latest.values("normalized_score")[:1]),
        )
        .select_related("startup", "round__programme")
        .prefetch_related(
            Prefetch(
                "partner_interests",
                queryset=Interest.objects.filter(provider=provider),
                to_attr="provider_interest",
            )
        )
        .order_by("-id")
    )


def interests_of_application(*, application: Application) -> list[Interest]:
    """Providers' current interest in an application, for its start-up: those interested or
    engaged (a decline is not shown), from providers it still shares with."""
    interests = (
        Interest.objects.filter(
            application=application,
            status__in=[InterestStatus.INTERESTED, InterestStatus.ENGAGED],
        )
        .select_related("provider")
        .order_by("at", "id")
    )
    return [i for i in interests if i.provider.kind in application.share_with]


def round_engagement(*, round: Round, now: datetime | None = None) -> list[dict]:
    """Per provider: how many of the round's start-ups are in its list now (matched), how many
    of those one of its users opened (viewed), and the current interest statuses among them;
    `flagged` when no user of it looked at its list since a shortlist of the round was
    published more than two weeks ago. One query per provider (tens of providers)."""
    now = now or timezone.now()
    publications = list(
        Shortlist.objects.filter(round=round, published_at__isnull=False).values_list(
            "published_at", flat=True
        )
    )
    old = [at for at in publications if at <= now - UNSEEN_AFTER]
    last_old_publication = max(old) if old else None
    visits = dict(ListVisit.objects.values_list("provider_id", "last_at"))
    rows = []
    for provider in ServiceProvider.objects.order_by("pk"):
        matched = matched_applications(provider=provider).filter(round=round)
        viewed = StartupView.objects.filter(provider=provider, application=OuterRef("pk"))
        interest = Interest.objects.filter(provider=provider, application=OuterRef("pk"))
        counts = matched.aggregate(
            matched=_count(Q()),
            viewed=_count(Q(Exists(viewed))),
            interested=_count(Q(Exists(interest.filter(status=InterestStatus.INTERESTED)))),
            engaged=_count(Q(Exists(interest.filter(status=InterestStatus.ENGAGED)))),
            declined=_count(Q(Exists(interest.filter(status=InterestStatus.DECLINED)))),
        )
        last_visit = visits.get(provider.pk)
        flagged = last_old_publication is not None and (
            last_visit is None or last_visit < last_old_publication
        )
        rows.append({"provider": provider, **counts, "flagged": flagged})
    return rows


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition)

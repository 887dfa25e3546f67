"""What a partner may see (DESIGN.md §12), and the engagement coordinators read."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.enums import ServiceKind
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
    shortlist. Consent is read now: a withdrawal takes a start-up out at once. A provider made
    inactive sees none, as it is sent none (the partnership is paused or over)."""
    if not provider.active:
        return Application.objects.none()
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
            partner_calibrated_score=Subquery(latest.values("calibrated_score")[:1]),
        )
        .select_related("startup", "round__programme")
        .prefetch_related(
            # The questions whose shared answers each start-up object carries: one query a page.
            "round__questions",
            Prefetch(
                "partner_interests",
                queryset=Interest.objects.filter(provider=provider),
                to_attr="provider_interest",
            ),
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
    published more than two weeks ago.

    Six queries whatever the number of providers and applications: the round's start-ups that
    any provider could see (shortlisted in a published shortlist, or accepted: tens to
    hundreds) are matched to each provider in Python by the same rule as `matched_applications`.
    """
    now = now or timezone.now()
    publications = list(
        Shortlist.objects.filter(round=round, published_at__isnull=False).values_list(
            "published_at", flat=True
        )
    )
    old = [at for at in publications if at <= now - UNSEEN_AFTER]
    last_old_publication = max(old) if old else None
    visits = dict(ListVisit.objects.values_list("provider_id", "last_at"))
    providers = list(ServiceProvider.objects.order_by("pk"))
    published = ShortlistEntry.objects.filter(
        application=OuterRef("pk"), shortlist__published_at__isnull=False
    )
    kinds = ServiceKind.values
    candidates_of_round = Application.objects.filter(round=round).filter(
        Q(status=ApplicationStatus.ACCEPTED)
        | Q(Exists(published), status=ApplicationStatus.SHORTLISTED)
    )
    candidates = list(
        candidates_of_round.values_list(
            "pk",
            "track",
            *(f"needs_{kind}" for kind in kinds),
            *(f"share_{kind}" for kind in kinds),
        )
    )
    # A subquery, not a list of ids: the same two queries when the round has no candidate.
    of_candidates = {"application__in": candidates_of_round.values("pk")}
    viewed = set(
        StartupView.objects.filter(**of_candidates).values_list("provider_id", "application_id")
    )
    statuses = {
        (provider_id, application_id): status
        for provider_id, application_id, status in Interest.objects.filter(
            **of_candidates
        ).values_list("provider_id", "application_id", "status")
    }
    rows = []
    for provider in providers:
        index = kinds.index(provider.kind)
        matched = [
            row[0]
            for row in candidates
            if provider.active
            and row[2 + index]
            and row[2 + len(kinds) + index]
            and (not provider.tracks or row[1] in provider.tracks)
        ]
        answers = [statuses.get((provider.pk, pk)) for pk in matched]
        last_visit = visits.get(provider.pk)
        rows.append(
            {
                "provider": provider,
                "matched": len(matched),
                "viewed": sum((provider.pk, pk) in viewed for pk in matched),
                "interested": answers.count(InterestStatus.INTERESTED),
                "engaged": answers.count(InterestStatus.ENGAGED),
                "declined": answers.count(InterestStatus.DECLINED),
                "flagged": provider.active
                and last_old_publication is not None
                and (last_visit is None or last_visit < last_old_publication),
            }
        )
    return rows

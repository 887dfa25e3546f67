"""Reads for the coordinator dashboard: every count comes from one aggregate query.

The number of queries is fixed (one per chart) whatever the number of applications, reviews or
reviewers; the rows that come back are bounded by the number of statuses, regions, tracks,
reviewers and score bands, never by the number of applications.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import HttpRequest

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.enums import Region, Track
from incubator.models import Round

from .enums import ReviewStatus
from .models import ApplicationScore, Assignment
from .scoring import ensure_calibration
from .selectors import FLAG_MIN_REVIEWS, FLAG_MIN_SPREAD

# The status funnel, in the order an application moves; side exits follow.
FUNNEL_ORDER = [
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.WAITLISTED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.WITHDRAWN,
]
SCORE_BAND_WIDTH = 10  # raw scores 0-100 in ten bands
FLAGGED_SHOWN = 12


# Cards of the dashboard that apps above reviewing own (the partners' engagement), registered
# in their AppConfig.ready (docs/architecture.md "Hooks"): each renders its HTML for a round.
DashboardCard = Callable[[HttpRequest, Round], str]
_cards: list[DashboardCard] = []


def provide_dashboard_card(card: DashboardCard) -> None:
    if card not in _cards:
        _cards.append(card)


def extra_cards(request: HttpRequest, round_: Round) -> list[str]:
    return [card(request, round_) for card in _cards]


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: int


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer_id: int
    name: str
    assigned: int
    submitted: int


@dataclass(frozen=True)
class FlaggedApplication:
    application_id: int
    project_name: str
    startup_name: str
    raw_score: float | None
    spread: float | None
    review_count: int


@dataclass
class RoundDashboard:
    round: Round
    total: int
    by_status: list[Bar]
    by_region: list[Bar]
    by_track: list[Bar]
    reviewers: list[ReviewerProgress]
    score_bands: list[Bar]
    scored: int
    flagged_count: int
    flagged: list[FlaggedApplication] = field(default_factory=list)

    @property
    def assigned(self) -> int:
        return sum(r.assigned for r in self.reviewers)

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.reviewers)


def _counts(queryset, key: str) -> dict[str, int]:
    return dict(queryset.order_by().values_list(key).annotate(n=Count("id")).values_list(key, "n"))


def _bars(counts: dict[str, int], choices, *, keep_empty: bool) -> list[Bar]:
    bars = [
        Bar(value, str(label), counts.get(value, 0))
        for value, label in choices
        if keep_empty or counts.get(value)
    ]
    missing = sum(n for key, n in counts.items() if key not in dict(choices))
    if missing:
        bars.append(Bar("", "—", missing))
    return bars


def score_band_labels() -> list[tuple[int, str]]:
    bands = range(0, 100, SCORE_BAND_WIDTH)
    return [(low, f"{low}–{low + SCORE_BAND_WIDTH}") for low in bands]


def round_dashboard(*, round: Round) -> RoundDashboard:
    applications = Application.objects.filter(round=round)
    statuses = _counts(applications, "status")
    regions = _counts(applications, "startup__region")
    tracks = _counts(applications, "track")

    progress = (
        Assignment.objects.active()
        .filter(application__round=round)
        .order_by()
        .values("reviewer_id", "reviewer__username", "reviewer__first_name", "reviewer__last_name")
        .annotate(
            assigned=Count("id"),
            submitted=Count("id", filter=Q(review__status=ReviewStatus.SUBMITTED)),
        )
        .order_by("-assigned", "reviewer__username")
    )
    reviewers = [
        ReviewerProgress(
            row["reviewer_id"],
            " ".join(filter(None, [row["reviewer__first_name"], row["reviewer__last_name"]]))
            or row["reviewer__username"],
            row["assigned"],
            row["submitted"],
        )
        for row in progress
    ]

    # Score bands and the flagged count in one aggregate over the scores stored by the round's
    # last fit (reviews/scoring.py, made current first): no ranking is computed here.
    ensure_calibration(round)
    stored = ApplicationScore.objects.filter(
        round=round, application__in=Application.objects.filter(round=round).submitted()
    )
    flagged_rows_only = Q(review_count__gte=FLAG_MIN_REVIEWS) & Q(spread__gte=FLAG_MIN_SPREAD)
    band_counts = {
        f"band_{low}": Count(
            "pk",
            filter=Q(raw_score__gte=low)
            & (
                Q(raw_score__lt=low + SCORE_BAND_WIDTH)
                if low + SCORE_BAND_WIDTH < 100
                else Q(raw_score__lte=100)
            ),
        )
        for low, _label in score_band_labels()
    }
    totals = stored.aggregate(
        scored=Count("pk", filter=Q(review_count__gt=0)),
        flagged_count=Count("pk", filter=flagged_rows_only),
        **band_counts,
    )
    flagged_rows = list(
        stored.filter(flagged_rows_only)
        .order_by("-spread", "application_id")
        .values_list(
            "application_id",
            "application__project_name",
            "application__startup__name",
            "raw_score",
            "spread",
            "review_count",
        )[:FLAGGED_SHOWN]
    )
    return RoundDashboard(
        round=round,
        total=sum(statuses.values()),
        by_status=_bars(statuses, [(s.value, s.label) for s in FUNNEL_ORDER], keep_empty=True),
        by_region=sorted(
            _bars(regions, Region.choices, keep_empty=False), key=lambda bar: -bar.value
        ),
        by_track=sorted(_bars(tracks, Track.choices, keep_empty=False), key=lambda bar: -bar.value),
        reviewers=reviewers,
        score_bands=[
            Bar(str(low), label, totals[f"band_{low}"]) for low, label in score_band_labels()
        ],
        scored=totals["scored"],
        flagged_count=totals["flagged_count"],
        flagged=[FlaggedApplication(*row) for row in flagged_rows],
    )


@dataclass(frozen=True)
class RoundCounts:
    """The figures at the top of the ranking page."""

    applications: int
    handed_in: int
    assigned: int
    submitted: int
    scored: int
    flagged: int


def round_counts(*, round: Round) -> RoundCounts:
    """Three aggregate queries, whatever the size of the round: the scored and flagged counts
    come from the scores stored by the last fit, which the caller has made current (the ranking
    page ranks through `reviews.scoring.ranking` first: checking the fit again would cost a
    second scan of the round's reviews)."""
    applications = Application.objects.filter(round=round).aggregate(
        total=Count("id"),
        handed_in=Count(
            "id", filter=~Q(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])
        ),
    )
    reviews = (
        Assignment.objects.active()
        .filter(application__round=round)
        .aggregate(
            assigned=Count("id"),
            submitted=Count("id", filter=Q(review__status=ReviewStatus.SUBMITTED)),
        )
    )
    ranking = ApplicationScore.objects.filter(
        round=round, application__in=Application.objects.filter(round=round).submitted()
    ).aggregate(
        scored=Count("pk", filter=Q(review_count__gt=0)),
        flagged_count=Count(
            "pk", filter=Q(review_count__gte=FLAG_MIN_REVIEWS) & Q(spread__gte=FLAG_MIN_SPREAD)
        ),
    )
    return RoundCounts(
        applications=applications["total"],
        handed_in=applications["handed_in"],
        assigned=reviews["assigned"],
        submitted=reviews["submitted"],
        scored=ranking["scored"],
        flagged=ranking["flagged_count"],
    )

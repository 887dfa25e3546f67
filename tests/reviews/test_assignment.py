"""Automatic and manual assignment: properties over random rounds, and the rules one by one."""

from collections import Counter, defaultdict, deque

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.enums import ApplicationStatus
from applications.models import StatusChange
from incubator.enums import Track
from incubator.exceptions import WorkflowError
from incubator.permissions import REVIEWERS_GROUP
from reviews.enums import ReviewStatus
from reviews.models import Assignment, ConflictOfInterest, Review, ReviewerProfile
from reviews.services import (
    ConflictOfInterestError,
    assign_reviewer,
    assign_reviewers,
)
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    ReviewerFactory,
    RoundFactory,
    StartupFactory,
)

TRACKS = [Track.FINANCE, Track.HEALTHCARE, Track.SUPPLY_CHAIN]


def max_flow(demands: dict[int, int], capacities: dict[int, int], edges: set[tuple[int, int]]):
    """Edmonds-Karp on source → applications → reviewers → sink: the most assignments possible."""
    graph: dict = defaultdict(dict)

    def add(u, v, c):
        graph[u][v] = graph[u].get(v, 0) + c
        graph[v].setdefault(u, 0)

    for app, demand in demands.items():
        add("s", ("a", app), demand)
    for reviewer, capacity in capacities.items():
        add(("r", reviewer), "t", capacity)
    for app, reviewer in edges:
        add(("a", app), ("r", reviewer), 1)
    flow = 0
    while True:
        parent = {"s": None}
        queue = deque(["s"])
        while queue and "t" not in parent:
            u = queue.popleft()
            for v, c in graph[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if "t" not in parent:
            return flow
        v = "t"
        while parent[v] is not None:
            u = parent[v]
            graph[u][v] -= 1
            graph[v][u] += 1
            v = u
        flow += 1


@st.composite
def random_rounds(draw):
    reviewers = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=6),  # max_load
                st.sets(st.sampled_from(TRACKS), max_size=2),
            ),
            min_size=0,
            max_size=6,
        )
    )
    applications = draw(
        st.lists(
            st.tuples(
                st.sampled_from(TRACKS),
                st.sampled_from([ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW]),
            ),
            min_size=1,
            max_size=9,
        )
    )
    conflicts = draw(
        st.sets(
            st.tuples(
                st.integers(min_value=0, max_value=len(applications) - 1),
                st.integers(min_value=0, max_value=max(len(reviewers) - 1, 0)),
            ),
            max_size=8,
        )
        if reviewers
        else st.just(set())
    )
    per_application = draw(st.integers(min_value=1, max_value=3))
    return reviewers, applications, conflicts, per_application


def build(reviewers, applications, conflicts, per_application):
    # Hypothesis runs every example in one database transaction: retire earlier reviewers.
    get_user_model().objects.filter(groups__name=REVIEWERS_GROUP).update(is_active=False)
    round_ = RoundFactory(reviews_per_application=per_application)
    users = []
    for max_load, expertise in reviewers:
        user = ReviewerFactory()
        ReviewerProfile.objects.filter(user=user).update(
            max_load=max_load, expertise=sorted(expertise)
        )
        users.append(user)
    apps = [
        ApplicationFactory(round=round_, track=track, status=status)
        for track, status in applications
    ]
    for app_index, reviewer_index in conflicts:
        ConflictOfInterest.objects.create(
            reviewer=users[reviewer_index], startup=apps[app_index].startup, reason="Investor."
        )
    return round_, users, apps


@pytest.mark.django_db
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=random_rounds())
def test_assign_reviewers_properties_on_random_rounds(spec):
    reviewers, _applications, conflicts, per_application = spec
    round_, users, apps = build(*spec)
    coordinator = CoordinatorFactory()
    result = assign_reviewers(round=round_, actor=coordinator)

    pairs = list(
        Assignment.objects.filter(application__round=round_).values_list(
            "application_id", "reviewer_id"
        )
    )
    # Never duplicated, never conflicted, every assignment has its draft review.
    assert len(pairs) == len(set(pairs)) == result.total == result.created
    conflicted = {(apps[a].pk, users[r].pk) for a, r in conflicts}
    assert not conflicted & set(pairs)
    assert Review.objects.filter(assignment__application__round=round_).count() == len(pairs)
    # Nobody above their maximum.
    loads = Counter(reviewer for _, reviewer in pairs)
    max_load = {user.pk: reviewers[i][0] for i, user in enumerate(users)}
    assert all(loads[pk] <= max_load[pk] for pk in max_load)
    # Complete where possible: as many as a maximum flow finds, and every gap reported.
    per_app = Counter(app for app, _ in pairs)
    edges = {(app.pk, user.pk) for app in apps for user in users} - conflicted
    best = max_flow({app.pk: per_application for app in apps}, max_load, edges)
    assert len(pairs) == best
    short = {row["application"]: row["missing"] for row in result.short}
    assert short == {
        app.pk: per_application - per_app[app.pk]
        for app in apps
        if per_app[app.pk] < per_application
    }
    assert all(row["reason"] for row in result.short)
    # Balanced: a reviewer two above another holds nothing the other could have taken.
    assigned_to = defaultdict(set)
    for app, reviewer in pairs:
        assigned_to[reviewer].add(app)
    for heavy in users:
        for light in users:
            if loads[heavy.pk] < loads[light.pk] + 2 or loads[light.pk] >= max_load[light.pk]:
                continue
            for app in assigned_to[heavy.pk]:
                assert (app, light.pk) in conflicted or app in assigned_to[light.pk]
    # First assignment moves a submitted application under review.
    for app in apps:
        app.refresh_from_db()
        if per_app[app.pk]:
            assert app.status == ApplicationStatus.UNDER_REVIEW
    # Idempotent: a second run creates nothing and reports the same gaps.
    again = assign_reviewers(round=round_, actor=coordinator)
    assert (again.created, again.total, again.short) == (0, result.total, result.short)


@pytest.mark.django_db
def test_assign_reviewers_prefers_expertise_and_fills_gaps_only():
    round_ = RoundFactory(reviews_per_application=1)
    expert = ReviewerFactory()
    ReviewerProfile.objects.filter(user=expert).update(expertise=[Track.HEALTHCARE])
    other = ReviewerFactory()
    health = ApplicationFactory(
        round=round_, track=Track.HEALTHCARE, status=ApplicationStatus.SUBMITTED
    )
    result = assign_reviewers(round=round_, actor=None)
    assert (result.created, result.total, result.short) == (1, 1, [])
    assert Assignment.objects.get(application=health).reviewer == expert
    finance = ApplicationFactory(
        round=round_, track=Track.FINANCE, status=ApplicationStatus.SUBMITTED
    )
    ApplicationFactory(round=round_, status=ApplicationStatus.DRAFT)
    result = assign_reviewers(round=round_, actor=None)
    assert (result.created, result.total) == (1, 2)
    assert Assignment.objects.get(application=finance).reviewer == other
    change = StatusChange.objects.get(application=finance)
    assert (change.from_status, change.to_status) == ("submitted", "under_review")


@pytest.mark.django_db
def test_assign_reviewers_reports_why_an_application_is_short():
    round_ = RoundFactory(reviews_per_application=2)
    reviewer = ReviewerFactory()
    application = ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED)
    with translation.override("en"):
        result = assign_reviewers(round=round_, actor=None)
    assert result.short == [
        {
            "application": application.pk,
            "missing": 1,
            "reason": "1 more reviewer(s) needed; 1 reviewer(s) in all; 1 already assigned; "
            "no other reviewer may take it.",
        }
    ]
    assert Assignment.objects.get().reviewer == reviewer


@pytest.mark.django_db
def test_assign_reviewers_due_date_is_review_deadline():
    round_ = RoundFactory(reviews_per_application=1)
    ReviewerFactory()
    ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED)
    assign_reviewers(round=round_, actor=None)
    assert Assignment.objects.get().due_at == round_.review_deadline
    assert Review.objects.get().status == ReviewStatus.DRAFT


@pytest.mark.django_db
def test_assign_reviewer_refuses_conflicted_pair():
    reviewer = ReviewerFactory()
    startup = StartupFactory(name="Kowloon Custody")
    application = ApplicationFactory(startup=startup, status=ApplicationStatus.SUBMITTED)
    ConflictOfInterest.objects.create(reviewer=reviewer, startup=startup, reason="Adviser.")
    with pytest.raises(ConflictOfInterestError, match="conflict of interest with Kowloon Custody"):
        assign_reviewer(application=application, reviewer=reviewer, actor=CoordinatorFactory())
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_assign_reviewer_creates_review_and_moves_status():
    reviewer = ReviewerFactory()
    application = ApplicationFactory(status=ApplicationStatus.SUBMITTED)
    assignment = assign_reviewer(
        application=application, reviewer=reviewer, actor=CoordinatorFactory()
    )
    assert assignment.review.status == ReviewStatus.DRAFT
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    with pytest.raises(WorkflowError, match="already assigned"):
        assign_reviewer(application=application, reviewer=reviewer, actor=CoordinatorFactory())


@pytest.mark.django_db
def test_assign_reviewer_refuses_beyond_max_load_and_drafts():
    reviewer = ReviewerFactory()
    ReviewerProfile.objects.filter(user=reviewer).update(max_load=1)
    round_ = RoundFactory()
    first, second = (
        ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED) for _ in range(2)
    )
    assign_reviewer(application=first, reviewer=reviewer, actor=None)
    with pytest.raises(WorkflowError, match="their maximum"):
        assign_reviewer(application=second, reviewer=reviewer, actor=None)
    with pytest.raises(WorkflowError, match="only submitted applications"):
        assign_reviewer(application=ApplicationFactory(), reviewer=reviewer, actor=None)

"""Panel rules (DESIGN.md §14) in automatic assignment: properties of the pure planner over random
rounds against a maximum flow with the rule's constraints, and the rules end to end."""

from collections import Counter, defaultdict, deque

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.enums import ApplicationStatus
from incubator.enums import Jurisdiction, PanelRule, Region, Track
from reviews.models import Assignment, ReviewerProfile
from reviews.services import Need, ReviewerSlot, assign_reviewers, plan_assignments
from tests.factories import ApplicationFactory, ReviewerFactory, RoundFactory, StartupFactory

JURISDICTIONS = [*Jurisdiction.values, ""]  # "" = unknown (reviewers made before the field)
TRACKS = [Track.FINANCE, Track.HEALTHCARE]


def max_flow(graph: dict) -> int:
    """Edmonds-Karp over `graph[u][v] = capacity` from "s" to "t"."""
    residual: dict = defaultdict(dict)
    for u, targets in graph.items():
        for v, capacity in targets.items():
            residual[u][v] = residual[u].get(v, 0) + capacity
            residual[v].setdefault(u, 0)
    flow = 0
    while True:
        parent = {"s": None}
        queue = deque(["s"])
        while queue and "t" not in parent:
            u = queue.popleft()
            for v, capacity in residual[u].items():
                if capacity > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if "t" not in parent:
            return flow
        v = "t"
        while parent[v] is not None:
            u = parent[v]
            residual[u][v] -= 1
            residual[v][u] += 1
            v = u
        flow += 1


def allowed(rule, application_jurisdiction, reviewer_jurisdiction) -> bool:
    if rule == PanelRule.NONE:
        return True
    if not reviewer_jurisdiction:
        return False
    return rule != PanelRule.OUTSIDE or reviewer_jurisdiction != application_jurisdiction


def cap(rule, target, fixed: Counter, jurisdiction) -> int:
    """How many more of `jurisdiction` an application may take under the rule (mixed: k − 1)."""
    if rule != PanelRule.MIXED or target < 2:
        return 10**6
    return max(0, target - 1 - fixed[jurisdiction])


@st.composite
def problems(draw):
    rule = draw(st.sampled_from(PanelRule.values))
    target = draw(st.integers(min_value=1, max_value=3))
    reviewers = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=4),  # max_load
                st.integers(min_value=0, max_value=2),  # load from other applications
                st.sampled_from(JURISDICTIONS),
                st.sets(st.sampled_from(TRACKS), max_size=1),
            ),
            max_size=7,
        )
    )
    applications = draw(
        st.lists(
            st.tuples(st.sampled_from(Jurisdiction.values), st.sampled_from(TRACKS)),
            min_size=1,
            max_size=8,
        )
    )
    pairs = st.tuples(
        st.integers(min_value=0, max_value=len(applications) - 1),
        st.integers(min_value=0, max_value=max(len(reviewers) - 1, 0)),
    )
    conflicts = draw(st.sets(pairs, max_size=6)) if reviewers else set()
    earlier = draw(st.sets(pairs, max_size=3)) if reviewers else set()
    return rule, target, reviewers, applications, conflicts, earlier - conflicts


def make(rule, target, reviewers, applications, conflicts, earlier):
    slots = [
        ReviewerSlot(
            pk=index + 1,
            name=f"r{index}",
            expertise=frozenset(expertise),
            max_load=max_load,
            load=min(load, max_load) + sum(1 for _a, r in earlier if r == index),
            jurisdiction=jurisdiction,
        )
        for index, (max_load, load, jurisdiction, expertise) in enumerate(reviewers)
    ]
    needs = []
    for index, (jurisdiction, track) in enumerate(applications):
        assigned = {r + 1 for a, r in earlier if a == index}
        needs.append(
            Need(
                pk=100 + index,
                label=f"a{index}",
                track=track,
                startup_id=index,
                missing=max(0, target - len(assigned)),
                assigned=assigned,
                blocked={r + 1 for a, r in conflicts if a == index},
                jurisdiction=jurisdiction,
                target=target,
                fixed_by_jurisdiction=Counter(reviewers[r - 1][2] for r in assigned),
            )
        )
    return slots, needs


@settings(max_examples=400, deadline=None)
@given(problem=problems())
def test_plan_with_a_panel_rule_is_a_maximum_flow_and_keeps_the_rule(problem):
    rule, target = problem[:2]
    slots, needs = make(*problem)
    jurisdiction_of = {slot.pk: slot.jurisdiction for slot in slots}
    room = {slot.pk: slot.max_load - slot.load for slot in slots}
    fixed = {need.pk: Counter(need.fixed_by_jurisdiction) for need in needs}
    before = {need.pk: set(need.assigned) for need in needs}
    missing = {need.pk: need.missing for need in needs}
    blocked = {need.pk: set(need.blocked) for need in needs}
    own = {need.pk: need.jurisdiction for need in needs}

    plan = plan_assignments(reviewers=slots, needs=needs, panel_rule=rule)
    new = plan.new_pairs
    assert len(new) == len(set(new))
    taken = Counter(reviewer for _app, reviewer in new)
    new_by_app = defaultdict(list)
    for app, reviewer in new:
        new_by_app[app].append(reviewer)
    for app, reviewers_of_app in new_by_app.items():
        # Never conflicted, never twice, never beyond what is missing.
        assert not set(reviewers_of_app) & (blocked[app] | before[app])
        assert len(reviewers_of_app) <= missing[app]
        # The rule is never broken by this run.
        by_jurisdiction = Counter(jurisdiction_of[r] for r in reviewers_of_app)
        for reviewer in reviewers_of_app:
            assert allowed(rule, own[app], jurisdiction_of[reviewer])
        for jurisdiction, count in by_jurisdiction.items():
            assert count <= cap(rule, target, fixed[app], jurisdiction)
    # A full panel of two or more under `mixed` spans at least two jurisdictions, unless the
    # assignments made before this run (by hand) already broke it.
    if rule == PanelRule.MIXED and target >= 2:
        for need in needs:
            panel = [jurisdiction_of[r] for r in before[need.pk]] + [
                jurisdiction_of[r] for r in new_by_app[need.pk]
            ]
            earlier_ok = all(n <= target - 1 for n in fixed[need.pk].values())
            if len(panel) == target and earlier_ok:
                assert len(set(panel)) >= 2
    # Nobody above their maximum.
    assert all(taken[pk] <= max(0, room[pk]) for pk in room)

    # As many as a maximum flow with the rule's constraints finds.
    graph: dict = defaultdict(dict)
    for need in needs:
        graph["s"][("a", need.pk)] = missing[need.pk]
        for jurisdiction in set(jurisdiction_of.values()):
            node = ("j", need.pk, jurisdiction)
            graph[("a", need.pk)][node] = cap(rule, target, fixed[need.pk], jurisdiction)
            for pk, reviewer_jurisdiction in jurisdiction_of.items():
                if (
                    reviewer_jurisdiction == jurisdiction
                    and pk not in blocked[need.pk] | before[need.pk]
                    and allowed(rule, own[need.pk], reviewer_jurisdiction)
                ):
                    graph[node][("r", pk)] = 1
    for pk, capacity in room.items():
        graph[("r", pk)]["t"] = max(0, capacity)
    assert len(new) == max_flow(graph)

    # Short ones are reported with what they miss.
    got = Counter(app for app, _r in new)
    assert {row["application"]: row["missing"] for row in plan.short} == {
        pk: missing[pk] - got[pk] for pk in missing if missing[pk] > got[pk]
    }
    assert all(row["reason"] for row in plan.short)

    # Balanced: a reviewer two above another holds nothing of this run the other could take.
    loads = {slot.pk: slot.load for slot in slots}
    held = defaultdict(set)
    for app, reviewer in new:
        held[reviewer].add(app)
    panel_counts = {
        need.pk: fixed[need.pk] + Counter(jurisdiction_of[r] for r in new_by_app[need.pk])
        for need in needs
    }
    for heavy in slots:
        for light in slots:
            if loads[heavy.pk] < loads[light.pk] + 2 or loads[light.pk] >= light.max_load:
                continue
            for app in held[heavy.pk]:
                could = (
                    light.pk not in blocked[app] | before[app] | set(new_by_app[app])
                    and allowed(rule, own[app], light.jurisdiction)
                    and (
                        light.jurisdiction == heavy.jurisdiction
                        or panel_counts[app][light.jurisdiction]
                        < cap(rule, target, Counter(), light.jurisdiction)
                    )
                )
                assert not could


def profile(user, jurisdiction, max_load=10):
    ReviewerProfile.objects.filter(user=user).update(jurisdiction=jurisdiction, max_load=max_load)
    return user


@pytest.mark.django_db
def test_outside_rule_keeps_reviewers_of_the_application_own_jurisdiction_away():
    round_ = RoundFactory(reviews_per_application=2, panel_rule=PanelRule.OUTSIDE)
    hong_kong = [profile(ReviewerFactory(), Jurisdiction.HONG_KONG) for _ in range(2)]
    mainland = [profile(ReviewerFactory(), Jurisdiction.MAINLAND) for _ in range(2)]
    from_hong_kong = ApplicationFactory(
        round=round_,
        startup=StartupFactory(region=Region.HONG_KONG),
        status=ApplicationStatus.SUBMITTED,
    )
    from_shenzhen = ApplicationFactory(
        round=round_,
        startup=StartupFactory(region=Region.SHENZHEN),
        status=ApplicationStatus.SUBMITTED,
    )
    result = assign_reviewers(round=round_, actor=None)
    assert (result.created, result.short) == (4, [])
    assert set(
        Assignment.objects.filter(application=from_hong_kong).values_list("reviewer", flat=True)
    ) == {u.pk for u in mainland}
    assert set(
        Assignment.objects.filter(application=from_shenzhen).values_list("reviewer", flat=True)
    ) == {u.pk for u in hong_kong}


@pytest.mark.django_db
def test_outside_rule_reports_no_eligible_reviewer_from_another_jurisdiction():
    round_ = RoundFactory(reviews_per_application=1, panel_rule=PanelRule.OUTSIDE)
    profile(ReviewerFactory(), Jurisdiction.MACAU)
    application = ApplicationFactory(
        round=round_,
        startup=StartupFactory(region=Region.MACAU),
        status=ApplicationStatus.SUBMITTED,
    )
    with translation.override("en"):
        result = assign_reviewers(round=round_, actor=None)
    assert result.created == 0
    assert result.short == [
        {
            "application": application.pk,
            "missing": 1,
            "reason": "1 more reviewer(s) needed; 1 reviewer(s) in all; no eligible reviewer "
            "from another jurisdiction; 1 other(s) with room kept out by the panel rule "
            "“Outside: none from the application's own jurisdiction”; no other reviewer may "
            "take it.",
        }
    ]


@pytest.mark.django_db
def test_mixed_rule_spans_two_jurisdictions_and_unknown_reviewers_take_nothing():
    round_ = RoundFactory(reviews_per_application=2, panel_rule=PanelRule.MIXED)
    # Three idle mainland reviewers would give the panel to the mainland alone without the rule.
    for _ in range(3):
        profile(ReviewerFactory(), Jurisdiction.MAINLAND)
    macau = profile(ReviewerFactory(), Jurisdiction.MACAU)
    unknown = ReviewerFactory()  # made before jurisdictions: none set
    applications = [
        ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED) for _ in range(2)
    ]
    result = assign_reviewers(round=round_, actor=None)
    assert (result.created, result.short) == (4, [])
    for application in applications:
        reviewers = Assignment.objects.filter(application=application).values_list(
            "reviewer__reviewer_profile__jurisdiction", flat=True
        )
        assert sorted(reviewers) == [Jurisdiction.MACAU, Jurisdiction.MAINLAND]
    assert not Assignment.objects.filter(reviewer=unknown).exists()
    assert Assignment.objects.filter(reviewer=macau).count() == 2
    # A re-run only fills gaps.
    again = assign_reviewers(round=round_, actor=None)
    assert (again.created, again.total, again.short) == (0, 4, [])


@pytest.mark.django_db
def test_mixed_rule_short_when_only_one_jurisdiction_has_room():
    round_ = RoundFactory(reviews_per_application=2, panel_rule=PanelRule.MIXED)
    for _ in range(2):
        profile(ReviewerFactory(), Jurisdiction.HONG_KONG)
    application = ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED)
    with translation.override("zh-hant"):
        result = assign_reviewers(round=round_, actor=None)
    assert result.created == 1
    assert [row["missing"] for row in result.short] == [1]
    assert result.short[0]["application"] == application.pk
    assert "；沒有其他法域的合資格評審員；" in result.short[0]["reason"]
    assert result.short[0]["reason"].endswith("。")

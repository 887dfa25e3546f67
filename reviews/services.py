"""Every change in the reviewing part: conflicts, assignments and reviews (DESIGN.md section 5).

Conflicts. A reviewer declares a conflict of interest with a start-up (or a coordinator records
one for them). Their draft assignments to that start-up's applications are withdrawn with the
draft review and its scores. A review they already submitted is kept: it is the record of work
done before the conflict was known, it still counts in the ranking, and the result lists it so
the coordinator can decide (the admin shows such reviews as conflicted, and the reviewer can no
longer open the application). Deleting a submitted review silently would change the ranking
behind the coordinator's back.

Withdrawing. A coordinator withdraws an assignment (`withdraw_assignment`) with a reason; the
row keeps who, when and why, and stays, so the pair is never assigned again. Its review stays
too, as the record: a draft can no longer be written or submitted, and a submitted review no
longer counts (the ranking, the reviewer statistics and the other reviewers' view leave it out).
The reviewer no longer sees the assignment or the application, and the application needs a
reviewer in its place (the next assignment run fills it). Nothing of a review is ever deleted.

Automatic assignment (`assign_reviewers`) is a balancing greedy with a repair pass:

1. Each application that still needs reviewers is served in order of fewest candidates first
   (the most constrained first), taking reviewers from the lowest load level upwards; within a
   level, reviewers whose expertise matches the track come first. Levels are buckets of
   insertion-ordered dicts, so a pick is O(1) and the whole pass O(assignments + skipped
   candidates) — near linear.
2. An application left short tries augmenting paths (as in max-flow): a full reviewer gives up
   one of this run's assignments to a reviewer with room, and takes the short application.
3. A levelling pass moves this run's assignments from a reviewer to one with at least two fewer
   who may take them, until no such move exists: among reviewers eligible for the same
   applications, loads then differ by at most one.

Assignments made before (by hand or an earlier run) are never moved; a re-run only fills gaps.

Panel rules (DESIGN.md §14) are constraints of the same flow network, source → application →
(application, jurisdiction) → reviewer → sink: `outside` drops the edges from reviewers of the
application's own jurisdiction, `mixed` caps each (application, jurisdiction) node at k − 1 for
k ≥ 2 reviews per application (so a full panel spans two jurisdictions); a reviewer whose
jurisdiction is unknown takes nothing under a rule. Levels are bucketed by jurisdiction too, the
augmenting paths search that network (a path may swap an application's reviewer for one of
another jurisdiction that still has room), and the levelling pass respects the caps. Without a
rule every reviewer is in one bucket and nothing changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from applications.enums import ApplicationStatus, SystemNote
from applications.models import FINAL_STATUSES, Application, Startup
from applications.services import transition_applications
from audit.services import Event, format_time, personal, record, record_many
from incubator.enums import Jurisdiction, PanelRule, Track, jurisdiction_of_region
from incubator.exceptions import WorkflowError
from incubator.models import Criterion, Round
from incubator.permissions import (
    REVIEWERS_GROUP,
    can_manage_account,
    is_coordinator,
    is_reviewer,
)
from incubator.services import (
    new_account_errors,
    record_role_change,
    update_account,
)
from incubator.text import check_text, text_errors

from . import notifications, scoring
from .enums import Recommendation, ReviewStatus
from .models import Assignment, ConflictOfInterest, Review, ReviewerProfile, Score

# Applications that take reviewers: handed in and not yet decided.
ASSIGNABLE_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
DEFAULT_MAX_LOAD = ReviewerProfile._meta.get_field("max_load").default


class ConflictOfInterestError(WorkflowError):
    """The reviewer has declared a conflict with the application's start-up."""


class ReviewLocked(WorkflowError):
    """The review was submitted and can no longer change."""


class AssignmentWithdrawn(WorkflowError):
    """The assignment was withdrawn: its review no longer changes, and it is not withdrawn twice."""


class ReviewGone(WorkflowError):
    """The draft review was withdrawn (with its assignment) while this request waited for it."""


# ---------------------------------------------------------------------------------------------
# Conflicts


@dataclass
class ConflictResult:
    conflict: ConflictOfInterest
    created: bool
    withdrawn: int = 0
    # Submitted reviews of the pair, kept (see the module docstring).
    kept_submitted: list[Assignment] = field(default_factory=list)


def declare_conflict(
    *, reviewer: AbstractBaseUser, startup: Startup, reason: str, actor: AbstractBaseUser
) -> ConflictResult:
    """Record that `reviewer` must not review `startup`; withdraw their draft assignments."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why there is a conflict of interest.")]})
    check_text({"reason": reason}, long=["reason"])
    if actor.pk != reviewer.pk and not is_coordinator(actor):
        raise PermissionDenied(_("Only a coordinator may record a conflict for another reviewer."))
    if not reviewer.groups.filter(name=REVIEWERS_GROUP).exists():
        raise ValidationError({"reviewer": [_("This user is not a reviewer.")]})
    with transaction.atomic():
        conflict, created = ConflictOfInterest.objects.get_or_create(
            reviewer=reviewer,
            startup=startup,
            defaults={"reason": reason[:500], "declared_by": actor},
        )
        assignments = list(
            Assignment.objects.active()
            .select_for_update(of=("self",))
            .filter(reviewer=reviewer, application__startup=startup)
            .select_related("review")
        )
        kept = [a for a in assignments if a.review.status == ReviewStatus.SUBMITTED]
        drafts = [a.pk for a in assignments if a.review.status != ReviewStatus.SUBMITTED]
        if drafts:
            # The review and its scores go with the assignment (CASCADE).
            Assignment.objects.filter(pk__in=drafts).delete()
        events = [
            Event(
                actor=actor,
                action="assignment.withdrawn",
                object_type="assignment",
                object_id=pk,
                data={"reviewer": reviewer.pk, "conflict": conflict.pk, "deleted": True},
            )
            for pk in drafts
        ]
        if created or drafts:
            events.insert(
                0,
                Event(
                    actor=actor,
                    action="conflict.declared",
                    object_type="conflict",
                    object_id=conflict.pk,
                    data={
                        "reviewer": reviewer.pk,
                        "startup": startup.pk,
                        "reason": personal(reason) if created else None,
                        "created": created,
                        "withdrawn_assignments": drafts,
                        "kept_submitted": [a.pk for a in kept],
                    },
                ),
            )
        record_many(events)
    return ConflictResult(
        conflict=conflict, created=created, withdrawn=len(drafts), kept_submitted=kept
    )


def has_conflict(*, reviewer: AbstractBaseUser, application: Application) -> bool:
    return ConflictOfInterest.objects.filter(
        reviewer=reviewer, startup_id=application.startup_id
    ).exists()


# ---------------------------------------------------------------------------------------------
# Manual assignment


def _create_assignments(
    *, pairs: list[tuple[int, int]], round_: Round, actor: AbstractBaseUser | None
) -> list[Assignment]:
    """Assignments and their draft reviews for (application id, reviewer id) pairs; moves the
    applications that were only submitted to under review."""
    if not pairs:
        return []
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                application_id=application_id,
                reviewer_id=reviewer_id,
                due_at=round_.review_deadline,
                created_by=actor,
            )
            for application_id, reviewer_id in pairs
        ],
        batch_size=2000,
    )
    Review.objects.bulk_create(
        [Review(assignment=assignment) for assignment in assignments], batch_size=2000
    )
    # One lock of the chain's head and one insert for the whole run (DESIGN.md §13): the
    # assignments' events, then the status changes' (collected by transition_applications).
    # The deadline, the same for every row, is formatted once as the event shows it: each
    # `data` is then a flat dict of ids and strings, which `record_many` encodes as it is.
    due_at = None if round_.review_deadline is None else format_time(round_.review_deadline)
    events = [
        Event(
            actor=actor,
            action="assignment.created",
            object_type="assignment",
            object_id=assignment.pk,
            data={
                "application": assignment.application_id,
                "reviewer": assignment.reviewer_id,
                "round": round_.pk,
                "due_at": due_at,
            },
        )
        for assignment in assignments
    ]
    application_ids = {application_id for application_id, _ in pairs}
    transition_applications(
        application_ids=Application.objects.filter(
            pk__in=application_ids, status=ApplicationStatus.SUBMITTED
        ).values_list("pk", flat=True),
        to_status=ApplicationStatus.UNDER_REVIEW,
        actor=actor,
        system_note=SystemNote.FIRST_REVIEWER_ASSIGNED,
        audit_events=events,
    )
    record_many(events)
    notifications.assignments_created(assignments=assignments)
    return assignments


def assign_reviewer(
    *, application: Application, reviewer: AbstractBaseUser, actor: AbstractBaseUser
) -> Assignment:
    """Assign one reviewer by hand, or refuse with the reason."""
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=application.round_id)
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status not in ASSIGNABLE_STATUSES:
            raise WorkflowError(
                _(
                    "The application is “%(status)s”: only submitted applications and "
                    "applications under review take reviewers."
                )
                % {"status": application.get_status_display()}
            )
        if not reviewer.groups.filter(name=REVIEWERS_GROUP).exists():
            raise ValidationError(
                {"reviewer": [_("%(reviewer)s is not a reviewer.") % {"reviewer": reviewer}]}
            )
        if has_conflict(reviewer=reviewer, application=application):
            raise ConflictOfInterestError(
                _(
                    "%(reviewer)s has declared a conflict of interest with %(startup)s: they "
                    "cannot review this application."
                )
                % {"reviewer": reviewer, "startup": application.startup}
            )
        earlier = Assignment.objects.filter(application=application, reviewer=reviewer).first()
        if earlier is not None and earlier.is_withdrawn:
            raise AssignmentWithdrawn(
                _(
                    "%(reviewer)s was withdrawn from this application on %(date)s: a withdrawn "
                    "assignment is not made again."
                )
                % {"reviewer": reviewer, "date": timezone.localdate(earlier.withdrawn_at)}
            )
        if earlier is not None:
            raise WorkflowError(
                _("%(reviewer)s is already assigned to this application.") % {"reviewer": reviewer}
            )
        profile = ReviewerProfile.objects.filter(user=reviewer).first()
        max_load = profile.max_load if profile else DEFAULT_MAX_LOAD
        load = (
            Assignment.objects.active().filter(reviewer=reviewer, application__round=round_).count()
        )
        if load >= max_load:
            raise WorkflowError(
                _("%(reviewer)s already has %(load)d assignments in this round, their maximum.")
                % {"reviewer": reviewer, "load": load}
            )
        (assignment,) = _create_assignments(
            pairs=[(application.pk, reviewer.pk)], round_=round_, actor=actor
        )
    return assignment


# ---------------------------------------------------------------------------------------------
# Automatic assignment


@dataclass
class ReviewerSlot:
    pk: int
    name: str
    expertise: frozenset[str]
    max_load: int
    load: int
    jurisdiction: str = ""  # "" = unknown: takes nothing in a round with a panel rule


@dataclass
class Need:
    pk: int
    label: str
    track: str
    startup_id: int
    missing: int
    assigned: set[int]
    blocked: set[int]  # conflicted reviewers
    jurisdiction: str = ""  # the application's (its start-up's region)
    # The panel rule's data (module docstring): reviews the application should have, and its
    # active reviewers by jurisdiction, made before this run and by it.
    target: int = 0
    fixed_by_jurisdiction: Counter = field(default_factory=Counter)
    new_by_jurisdiction: Counter = field(default_factory=Counter)
    rule: str = PanelRule.NONE


@dataclass
class AssignmentPlan:
    """What the algorithm decided, before anything is written (also used by the benchmark)."""

    new_pairs: list[tuple[int, int]]
    short: list[dict]


ANY_JURISDICTION = "*"
# The rules as plain strings: compared on every pick, faster than the enum's members.
NO_RULE, MIXED, OUTSIDE = (str(rule.value) for rule in PanelRule)


def _bucket(slot: ReviewerSlot, rule: str) -> str:
    """The jurisdiction a reviewer counts under: one bucket for all when the round has no rule."""
    return ANY_JURISDICTION if rule == NO_RULE else slot.jurisdiction


def _rule_allows(need: Need, jurisdiction: str) -> bool:
    """Whether the rule lets a reviewer of `jurisdiction` (a bucket) review `need` at all."""
    rule = need.rule
    if rule == NO_RULE:
        return True
    if not jurisdiction:
        return False
    if rule == OUTSIDE:
        return jurisdiction != need.jurisdiction
    return True


def _room_in(need: Need, jurisdiction: str) -> bool:
    """`mixed`: an application of k ≥ 2 reviewers takes at most k − 1 from one jurisdiction, so
    a full panel always spans two."""
    if need.rule != MIXED or need.target < 2:
        return True
    taken = need.fixed_by_jurisdiction[jurisdiction] + need.new_by_jurisdiction[jurisdiction]
    return taken < need.target - 1


def _eligible(need: Need, slot: ReviewerSlot) -> bool:
    """May review `need` (conflicts, earlier pairs, the rule), whatever the panel holds now."""
    return (
        slot.pk not in need.assigned
        and slot.pk not in need.blocked
        and _rule_allows(need, _bucket(slot, need.rule))
    )


def _may_take(need: Need, slot: ReviewerSlot) -> bool:
    return _eligible(need, slot) and _room_in(need, _bucket(slot, need.rule))


class _LoadLevels:
    """Reviewers with room, bucketed by current load and jurisdiction, experts indexed by track.

    Loads sit within a few units of each other, so walking the levels from the lowest
    non-empty one up touches a handful of buckets: a pick costs O(1) amortised.
    """

    def __init__(self, reviewers: Iterable[ReviewerSlot], rule: str) -> None:
        self.rule = str(rule)
        self.levels: dict[int, dict[int, None]] = defaultdict(dict)
        self.by_jurisdiction: dict[tuple[int, str], dict[int, None]] = defaultdict(dict)
        self.experts: dict[tuple[int, str, str], dict[int, None]] = defaultdict(dict)
        self.slots: dict[int, ReviewerSlot] = {}
        self.jurisdictions: list[str] = []
        self.lowest = 0
        self.highest = 0
        for slot in reviewers:
            self.slots[slot.pk] = slot
            bucket = _bucket(slot, rule)
            if bucket not in self.jurisdictions:
                self.jurisdictions.append(bucket)
            self._add(slot)
        self.jurisdictions.sort()
        loads = [slot.load for slot in self.slots.values()]
        self.lowest = min(loads, default=0)
        self.highest = max(loads, default=0)

    def _add(self, slot: ReviewerSlot) -> None:
        if slot.load >= slot.max_load:
            return
        bucket = _bucket(slot, self.rule)
        self.levels[slot.load][slot.pk] = None
        self.by_jurisdiction[(slot.load, bucket)][slot.pk] = None
        for track in slot.expertise:
            self.experts[(slot.load, bucket, track)][slot.pk] = None
        self.lowest = min(self.lowest, slot.load)
        self.highest = max(self.highest, slot.load)

    def _remove(self, slot: ReviewerSlot) -> None:
        bucket = _bucket(slot, self.rule)
        self.levels.get(slot.load, {}).pop(slot.pk, None)
        self.by_jurisdiction.get((slot.load, bucket), {}).pop(slot.pk, None)
        for track in slot.expertise:
            self.experts.get((slot.load, bucket, track), {}).pop(slot.pk, None)

    def bump(self, pk: int, by: int = 1) -> None:
        slot = self.slots[pk]
        self._remove(slot)
        slot.load += by
        self._add(slot)

    def has_room(self) -> bool:
        return any(self.levels.get(load) for load in range(self.lowest, self.highest + 1))

    def pick(self, need: Need) -> int | None:
        """The least loaded reviewer with room who may take `need`, experts first."""
        while self.lowest < self.highest and not self.levels.get(self.lowest):
            self.lowest += 1
        if self.rule == NO_RULE:
            open_buckets = self.jurisdictions
        else:
            open_buckets = [
                bucket
                for bucket in self.jurisdictions
                if _rule_allows(need, bucket) and _room_in(need, bucket)
            ]
        for load in range(self.lowest, self.highest + 1):
            if not self.levels.get(load):
                continue
            for pools in (self.experts, self.by_jurisdiction):
                for bucket in open_buckets:
                    key = (load, bucket, need.track) if pools is self.experts else (load, bucket)
                    for pk in pools.get(key, {}):
                        if pk not in need.assigned and pk not in need.blocked:
                            return pk
        return None


def plan_assignments(
    *,
    reviewers: list[ReviewerSlot],
    needs: list[Need],
    panel_rule: str = PanelRule.NONE,
) -> AssignmentPlan:
    """Decide the new (application, reviewer) pairs: pure, no database (module docstring)."""
    panel_rule = str(PanelRule(panel_rule).value)
    for need in needs:
        need.rule = panel_rule
    levels = _LoadLevels(reviewers, panel_rule)
    slots = levels.slots
    per_bucket = Counter(_bucket(slot, panel_rule) for slot in slots.values())

    def candidates(need: Need) -> int:
        allowed = sum(n for bucket, n in per_bucket.items() if _rule_allows(need, bucket))
        return allowed - len(need.blocked | need.assigned)

    # Most constrained first: fewest reviewers who may still take it, then the oldest.
    order = sorted(
        (need for need in needs if need.missing > 0), key=lambda n: (candidates(n), n.pk)
    )
    new_by_reviewer: dict[int, set[int]] = defaultdict(set)
    by_pk = {need.pk: need for need in needs}

    def give(need: Need, reviewer: int) -> None:
        need.assigned.add(reviewer)
        need.missing -= 1
        need.new_by_jurisdiction[_bucket(slots[reviewer], panel_rule)] += 1
        new_by_reviewer[reviewer].add(need.pk)
        levels.bump(reviewer)

    for need in order:
        while need.missing > 0:
            reviewer = levels.pick(need)
            if reviewer is None:
                break
            give(need, reviewer)

    # Augmenting paths for the short ones, while anyone has room at all. A search that fails
    # leaves behind nodes that cannot reach a reviewer with room; later augmentations never make
    # them able to (their paths avoid those nodes), so no later search enters them again.
    dead: set[tuple] = set()
    for need in order:
        while need.missing > 0 and levels.has_room():
            if not _augment(need, slots, by_pk, new_by_reviewer, levels, dead):
                break

    _level_loads(slots, by_pk, new_by_reviewer, levels)

    new_pairs = sorted(
        (application, reviewer)
        for reviewer, applications in new_by_reviewer.items()
        for application in applications
    )
    short = []
    for need in sorted(needs, key=lambda n: n.pk):
        if need.missing > 0:
            short.append(
                {
                    "application": need.pk,
                    "missing": need.missing,
                    "reason": _short_reason(need, slots),
                }
            )
    return AssignmentPlan(new_pairs=new_pairs, short=short)


def _augment(need, slots, by_pk, new_by_reviewer, levels, dead: set[tuple]) -> bool:
    """One augmenting path of the flow network source → application → (application,
    jurisdiction) → reviewer → sink, found breadth first from the short application `need`.

    Along it a full reviewer gives one of this run's applications to another reviewer who may
    take it, possibly of another jurisdiction where the application has room for one (through the
    application's own node), until a reviewer with room ends it. Without a panel rule there is a
    single jurisdiction bucket and this is the plain bipartite path.
    """
    rule = levels.rule
    start = ("a", need.pk)
    if start in dead:
        return False
    parent: dict[tuple, tuple | None] = {start: None}
    # Each reviewer enters the search once: the work is bounded by the assignments looked at
    # times the reviewers not yet reached, which shrinks as the search spreads.
    unreached: dict[str, set[int]] = defaultdict(set)
    for pk, slot in slots.items():
        if ("r", pk) not in dead:
            unreached[_bucket(slot, rule)].add(pk)
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node[0] == "a":
            application = by_pk[node[1]]
            for bucket in levels.jurisdictions:
                step = ("j", application.pk, bucket)
                if (
                    step not in parent
                    and step not in dead
                    and _rule_allows(application, bucket)
                    and _room_in(application, bucket)
                ):
                    parent[step] = node
                    queue.append(step)
        elif node[0] == "j":
            application, bucket = by_pk[node[1]], node[2]
            pool = unreached[bucket]
            for candidate in [pk for pk in pool if _eligible(application, slots[pk])]:
                parent[("r", candidate)] = node
                queue.append(("r", candidate))
                pool.discard(candidate)
            # The application may instead drop this run's reviewer of the bucket for another.
            back = ("a", application.pk)
            if (
                back not in parent
                and back not in dead
                and application.new_by_jurisdiction[bucket] > 0
            ):
                parent[back] = node
                queue.append(back)
        else:
            slot = slots[node[1]]
            if slot.load < slot.max_load:
                _apply_path(need, node, parent, slots, by_pk, new_by_reviewer, levels)
                return True
            bucket = _bucket(slot, rule)
            for application in new_by_reviewer[slot.pk]:
                step = ("j", application, bucket)
                if step not in parent and step not in dead:
                    parent[step] = node
                    queue.append(step)
    dead.update(parent)
    return False


def _apply_path(need, end, parent, slots, by_pk, new_by_reviewer, levels) -> None:
    rule = levels.rule
    levels.bump(end[1])
    node = end
    while parent[node] is not None:
        previous = parent[node]
        if node[0] == "r" and previous[0] == "j":
            # (application, jurisdiction) → reviewer: the reviewer takes the application.
            application, reviewer = by_pk[previous[1]], node[1]
            application.assigned.add(reviewer)
            application.new_by_jurisdiction[_bucket(slots[reviewer], rule)] += 1
            new_by_reviewer[reviewer].add(application.pk)
        elif node[0] == "j" and previous[0] == "r":
            # reviewer → (application, jurisdiction), against the flow: the reviewer gives it up.
            application, reviewer = by_pk[node[1]], previous[1]
            application.assigned.discard(reviewer)
            application.new_by_jurisdiction[_bucket(slots[reviewer], rule)] -= 1
            new_by_reviewer[reviewer].discard(application.pk)
        node = previous
    need.missing -= 1


def _level_loads(slots, by_pk, new_by_reviewer, levels) -> None:
    """Move this run's assignments from a reviewer to one with two fewer who may take them."""
    if not slots:
        return
    rule = levels.rule
    moved = True
    while moved:
        moved = False
        loads = [slot.load for slot in slots.values()]
        if max(loads) - min(loads) <= 1:
            return
        ascending = sorted(slots.values(), key=lambda s: (s.load, s.pk))
        for heavy in sorted(slots.values(), key=lambda s: (-s.load, s.pk)):
            if heavy.load - ascending[0].load <= 1:
                break
            heavy_bucket = _bucket(heavy, rule)
            for application in sorted(new_by_reviewer[heavy.pk]):
                need = by_pk[application]
                target = next(
                    (
                        light
                        for light in ascending
                        if light.load <= heavy.load - 2
                        and light.load < light.max_load
                        and _eligible(need, light)
                        and (
                            _bucket(light, rule) == heavy_bucket
                            or _room_in(need, _bucket(light, rule))
                        )
                    ),
                    None,
                )
                if target is None:
                    continue
                need.assigned.discard(heavy.pk)
                need.assigned.add(target.pk)
                need.new_by_jurisdiction[heavy_bucket] -= 1
                need.new_by_jurisdiction[_bucket(target, rule)] += 1
                new_by_reviewer[heavy.pk].discard(application)
                new_by_reviewer[target.pk].add(application)
                levels.bump(heavy.pk, -1)
                levels.bump(target.pk, 1)
                moved = True
                break
            if moved:
                break


def _short_reason(need: Need, slots: dict[int, ReviewerSlot]) -> str:
    total = len(slots)
    if total == 0:
        return _("No reviewers exist: add reviewers (group “Reviewers”) first.")
    conflicted = len(need.blocked & slots.keys())
    already = len(need.assigned)
    free = [s for s in slots.values() if _may_take(need, s)]
    full = sum(1 for s in free if s.load >= s.max_load)
    parts = [_("%(n)d more reviewer(s) needed") % {"n": need.missing}]
    parts.append(_("%(n)d reviewer(s) in all") % {"n": total})
    if conflicted:
        parts.append(_("%(n)d conflicted with this start-up") % {"n": conflicted})
    if already:
        parts.append(_("%(n)d already assigned") % {"n": already})
    if full:
        parts.append(_("%(n)d other(s) at their maximum load") % {"n": full})
    if need.rule != NO_RULE:
        # Reviewers with room who are free of conflicts but whom the panel rule keeps out.
        ruled_out = [
            s
            for s in slots.values()
            if s.load < s.max_load
            and s.pk not in need.assigned
            and s.pk not in need.blocked
            and not _may_take(need, s)
        ]
        if ruled_out and not [s for s in free if s.load < s.max_load]:
            parts.append(_("no eligible reviewer from another jurisdiction"))
        if ruled_out:
            parts.append(
                _("%(n)d other(s) with room kept out by the panel rule “%(rule)s”")
                % {"n": len(ruled_out), "rule": PanelRule(need.rule).label}
            )
    if not free:
        parts.append(_("no other reviewer may take it"))
    return pgettext("between parts of a reason", "; ").join(parts) + pgettext(
        "end of a reason", "."
    )


@dataclass
class AssignmentResult:
    created: int
    total: int
    short: list[dict]
    assignments: list[Assignment] = field(default_factory=list)


def load_assignment_problem(round_: Round) -> tuple[list[ReviewerSlot], list[Need]]:
    """The reviewers with their loads and the applications with what they still need."""
    reviewer_users = (
        get_user_model()
        .objects.filter(groups__name=REVIEWERS_GROUP, is_active=True)
        .select_related("reviewer_profile")
        .annotate(
            round_load=Count(
                "assignments",
                filter=Q(
                    assignments__application__round=round_,
                    assignments__withdrawn_at__isnull=True,
                ),
            )
        )
        .order_by("pk")
    )
    slots = []
    for user in reviewer_users:
        profile = getattr(user, "reviewer_profile", None)
        slots.append(
            ReviewerSlot(
                pk=user.pk,
                name=user.get_username(),
                expertise=frozenset(profile.expertise if profile else ()),
                max_load=profile.max_load if profile else DEFAULT_MAX_LOAD,
                load=user.round_load,
                jurisdiction=profile.jurisdiction if profile else "",
            )
        )
    jurisdiction_of = {slot.pk: slot.jurisdiction for slot in slots}
    applications = list(
        Application.objects.select_for_update()
        .filter(round=round_, status__in=ASSIGNABLE_STATUSES)
        .order_by("pk")
        .values("pk", "project_name", "track", "startup_id", "startup__region")
    )
    assigned: dict[int, set[int]] = defaultdict(set)
    # A withdrawn pair no longer counts as a reviewer of the application, and is not made again.
    withdrawn: dict[int, set[int]] = defaultdict(set)
    for application_id, reviewer_id, withdrawn_at in Assignment.objects.filter(
        application__round=round_
    ).values_list("application_id", "reviewer_id", "withdrawn_at"):
        (assigned if withdrawn_at is None else withdrawn)[application_id].add(reviewer_id)
    conflicts: dict[int, set[int]] = defaultdict(set)
    for startup_id, reviewer_id in ConflictOfInterest.objects.filter(
        startup__applications__round=round_
    ).values_list("startup_id", "reviewer_id"):
        conflicts[startup_id].add(reviewer_id)
    needs = [
        Need(
            pk=a["pk"],
            label=a["project_name"],
            track=a["track"],
            startup_id=a["startup_id"],
            missing=max(0, round_.reviews_per_application - len(assigned[a["pk"]])),
            assigned=set(assigned[a["pk"]]),
            blocked=conflicts[a["startup_id"]] | withdrawn[a["pk"]],
            jurisdiction=jurisdiction_of_region(a["startup__region"]),
            target=round_.reviews_per_application,
            fixed_by_jurisdiction=Counter(
                jurisdiction_of.get(reviewer, "") for reviewer in assigned[a["pk"]]
            ),
        )
        for a in applications
    ]
    return slots, needs


def assign_reviewers(*, round: Round, actor: AbstractBaseUser | None) -> AssignmentResult:
    """Give every submitted application of the round its reviewers (module docstring)."""
    with transaction.atomic():
        # One run per round at a time: the second waits and then only fills what is left.
        round_ = Round.objects.select_for_update().get(pk=round.pk)
        slots, needs = load_assignment_problem(round_)
        plan = plan_assignments(reviewers=slots, needs=needs, panel_rule=round_.panel_rule)
        created = _create_assignments(pairs=plan.new_pairs, round_=round_, actor=actor)
        total = Assignment.objects.active().filter(application__round=round_).count()
    return AssignmentResult(
        created=len(created), total=total, short=plan.short, assignments=created
    )


# ---------------------------------------------------------------------------------------------
# Reviews


def _lock_own_review(review: Review, actor: AbstractBaseUser) -> Review:
    # The assignment first, as withdraw_assignment locks them: a withdrawal and a save of the
    # same review wait for each other, and the one that comes second sees what the first did.
    Assignment.objects.select_for_update().filter(pk=review.assignment_id).first()
    try:
        locked = (
            Review.objects.select_for_update(of=("self",))
            .select_related("assignment__application")
            .get(pk=review.pk)
        )
    except Review.DoesNotExist as error:
        # A conflict of interest declared meanwhile withdraws the draft with its assignment.
        raise ReviewGone(
            _(
                "This review no longer exists: its assignment was withdrawn in the meantime "
                "(a conflict of interest was declared)."
            )
        ) from error
    if locked.assignment.reviewer_id != actor.pk:
        raise PermissionDenied(_("Only the assigned reviewer may change this review."))
    if locked.assignment.is_withdrawn:
        raise AssignmentWithdrawn(
            _("This assignment was withdrawn: its review can no longer be changed.")
        )
    if locked.status == ReviewStatus.SUBMITTED:
        raise ReviewLocked(_("This review has been submitted and can no longer be changed."))
    return locked


def save_review(
    *,
    review: Review,
    actor: AbstractBaseUser,
    scores: dict[int, int | None] | None = None,
    recommendation: str | None = None,
    confidence: int | None = None,
    comment: str | None = None,
) -> Review:
    """Save a draft: scores by criterion id (None clears one) and any of the other fields.

    Every value is checked before anything is written; one bad value changes nothing.
    """
    with transaction.atomic():
        locked = _lock_own_review(review, actor)
        criteria = {
            c.pk: c
            for c in Criterion.objects.filter(round_id=locked.assignment.application.round_id)
        }
        errors: dict[str, list[str]] = {}
        clean_scores: dict[int, int | None] = {}
        for criterion_id, value in (scores or {}).items():
            criterion = criteria.get(_as_int(criterion_id))
            if criterion is None:
                errors.setdefault("scores", []).append(
                    _("Criterion %(id)s is not part of this round's rubric.") % {"id": criterion_id}
                )
                continue
            if value is None or value == "":
                clean_scores[criterion.pk] = None
                continue
            number = _as_int(value)
            if number is None or not 1 <= number <= criterion.max_score:
                errors.setdefault("scores", []).append(
                    _("“%(name)s” takes a whole number from 1 to %(max)d; got %(value)s.")
                    % {"name": criterion.name, "max": criterion.max_score, "value": repr(value)}
                )
                continue
            clean_scores[criterion.pk] = number
        if recommendation not in (None, "") and recommendation not in Recommendation.values:
            errors["recommendation"] = [
                _("Choose one of: %(choices)s; got %(value)s.")
                % {"choices": ", ".join(Recommendation.values), "value": repr(recommendation)}
            ]
        if confidence not in (None, ""):
            number = _as_int(confidence)
            if number is None or not 1 <= number <= 5:
                errors["confidence"] = [
                    _("Confidence is a whole number from 1 to 5; got %(value)s.")
                    % {"value": repr(confidence)}
                ]
        if comment is not None and len(comment) > 20000:
            errors["comment"] = [_("Comments are at most 20,000 characters.")]
        errors.update(text_errors({"comment": comment}, long=["comment"]))
        if errors:
            raise ValidationError(errors)

        update_fields = ["updated_at"]
        if recommendation is not None:
            locked.recommendation = recommendation or ""
            update_fields.append("recommendation")
        if confidence is not None:
            locked.confidence = _as_int(confidence) if confidence != "" else None
            update_fields.append("confidence")
        if comment is not None:
            locked.comment = comment
            update_fields.append("comment")
        locked.save(update_fields=update_fields)
        cleared = [pk for pk, value in clean_scores.items() if value is None]
        if cleared:
            Score.objects.filter(review=locked, criterion_id__in=cleared).delete()
        existing = {s.criterion_id: s for s in Score.objects.filter(review=locked)}
        changed, added = [], []
        for criterion_id, value in clean_scores.items():
            if value is None:
                continue
            if criterion_id in existing:
                if existing[criterion_id].value != value:
                    existing[criterion_id].value = value
                    changed.append(existing[criterion_id])
            else:
                added.append(Score(review=locked, criterion_id=criterion_id, value=value))
        if changed:
            Score.objects.bulk_update(changed, ["value"])
        if added:
            Score.objects.bulk_create(added)
        record(
            actor=actor,
            action="review.saved",
            object_type="review",
            object_id=locked.pk,
            data=_review_data(locked),
        )
    return locked


def _review_data(review: Review) -> dict:
    """A review as its audit events hold it: scores by criterion id, the comment as an HMAC."""
    scores = dict(
        Score.objects.filter(review=review)
        .order_by("criterion_id")
        .values_list("criterion_id", "value")
    )
    return {
        "application": review.assignment.application_id,
        "assignment": review.assignment_id,
        "status": str(review.status),
        "scores": {str(criterion): str(value) for criterion, value in scores.items()},
        "recommendation": review.recommendation or None,
        "confidence": review.confidence,
        "comment": personal(review.comment) if review.comment else None,
    }


def submit_review(*, review: Review, actor: AbstractBaseUser) -> Review:
    """Submit a review whose every criterion is scored; it is read-only afterwards."""
    with transaction.atomic():
        locked = _lock_own_review(review, actor)
        scored = set(Score.objects.filter(review=locked).values_list("criterion_id", flat=True))
        missing = [
            c.name
            for c in Criterion.objects.filter(round_id=locked.assignment.application.round_id)
            if c.pk not in scored
        ]
        if missing:
            raise ValidationError(
                {
                    "scores": [
                        _("Score every criterion before submitting; missing: “%(criteria)s”.")
                        % {
                            "criteria": pgettext("between quoted names in a list", "”, “").join(
                                missing
                            )
                        }
                    ]
                }
            )
        locked.status = ReviewStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        record(
            actor=actor,
            action="review.submitted",
            object_type="review",
            object_id=locked.pk,
            data=_review_data(locked),
        )
        scoring.schedule_refit(locked.assignment.application.round_id)
    return locked


WITHDRAWAL_REASON_MAX_LENGTH = Assignment._meta.get_field("withdrawal_reason").max_length


def withdraw_assignment(
    *, assignment: Assignment, actor: AbstractBaseUser, reason: str
) -> Assignment:
    """Withdraw an assignment, saying why (module docstring): recorded on the row, its review
    kept and no longer counted."""
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators may do this."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": [_("Say why the assignment is withdrawn.")]})
    if len(reason) > WITHDRAWAL_REASON_MAX_LENGTH or "\x00" in reason:
        raise ValidationError(
            {
                "reason": [
                    _("Enter at most %(count)d characters, without control characters.")
                    % {"count": WITHDRAWAL_REASON_MAX_LENGTH}
                ]
            }
        )
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        # The review too, so a save or submit in flight finishes first (see _lock_own_review).
        Review.objects.select_for_update().filter(assignment=locked).first()
        if locked.is_withdrawn:
            raise AssignmentWithdrawn(
                _("This assignment was already withdrawn on %(date)s.")
                % {"date": timezone.localdate(locked.withdrawn_at)}
            )
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdrawal_reason = reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        record(
            actor=actor,
            action="assignment.withdrawn",
            object_type="assignment",
            object_id=locked.pk,
            data={
                "application": locked.application_id,
                "reviewer": locked.reviewer_id,
                "reason": personal(reason),
            },
        )
        scoring.schedule_refit(locked.application.round_id)
    return locked


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


# --- Reviewer accounts -------------------------------------------------------------------------


def _profile_errors(
    *,
    expertise: list[str] | None,
    max_load: object,
    language: str | None,
    jurisdiction: object = None,
) -> dict[str, list]:
    errors: dict[str, list] = {}
    if jurisdiction is not None and jurisdiction not in Jurisdiction.values:
        errors["jurisdiction"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Jurisdiction.values)}
        ]
    if expertise is not None:
        unknown = [t for t in expertise if t not in Track.values]
        if unknown:
            errors["expertise"] = [
                _("Unknown tracks: %(unknown)s.") % {"unknown": ", ".join(map(str, unknown))}
            ]
    if max_load is not None and (
        isinstance(max_load, bool) or not isinstance(max_load, int) or not 1 <= max_load <= 1000
    ):
        errors["max_load"] = [_("Enter a number from 1 to 1000.")]
    if language is not None and language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("Choose one of the site's languages.")]
    return errors


def create_reviewer(
    *,
    actor: AbstractBaseUser,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    expertise: Iterable[str] = (),
    max_load: int = 10,
    language: str = "en",
    jurisdiction: str | None = None,
) -> AbstractBaseUser:
    """A staff user in the Reviewers group with a reviewer profile; `jurisdiction` is required."""
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators may do this."))
    user_model = get_user_model()
    username = (username or "").strip()
    email = (email or "").strip()
    errors = new_account_errors(username=username, email=email, password=password)
    expertise = list(dict.fromkeys(expertise))
    errors.update(
        _profile_errors(
            expertise=expertise, max_load=max_load, language=language, jurisdiction=jurisdiction
        )
    )
    if not jurisdiction:
        errors["jurisdiction"] = [_("A new reviewer needs a jurisdiction.")]
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value or "") > 150 or "\x00" in (value or ""):
            errors[name] = [_("Enter at most 150 characters, without control characters.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = user_model.objects.create_user(
            username,
            email,
            password,
            is_staff=True,
            first_name=(first_name or "").strip(),
            last_name=(last_name or "").strip(),
        )
        user.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
        ReviewerProfile.objects.create(
            user=user,
            expertise=expertise,
            max_load=max_load,
            language=language,
            jurisdiction=jurisdiction,
        )
        record_role_change(actor=actor, user=user, before=None)
    return user


def update_reviewer(
    *,
    actor: AbstractBaseUser,
    reviewer: AbstractBaseUser,
    expertise: Iterable[str] | None = None,
    max_load: int | None = None,
    language: str | None = None,
    jurisdiction: str | None = None,
    **account_fields: object,
) -> AbstractBaseUser:
    """Change a reviewer's account (names, e-mail, active: see `incubator.services.update_account`)
    and profile (expertise, maximum load, language of e-mails); only the given fields change."""
    if not can_manage_account(actor, reviewer) or not is_reviewer(reviewer):
        raise PermissionDenied(_("Only a superuser may change this account."))
    expertise = None if expertise is None else list(dict.fromkeys(expertise))
    errors = _profile_errors(
        expertise=expertise, max_load=max_load, language=language, jurisdiction=jurisdiction
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account = update_account(actor=actor, account=reviewer, **account_fields)
        profile, _created = ReviewerProfile.objects.select_for_update().get_or_create(user=account)
        changed = []
        profile_fields = {
            "expertise": expertise,
            "max_load": max_load,
            "language": language,
            "jurisdiction": jurisdiction,
        }
        for name, value in profile_fields.items():
            if value is not None:
                setattr(profile, name, value)
                changed.append(name)
        if changed:
            profile.save(update_fields=changed)
    return account


@dataclass(frozen=True)
class ReminderResult:
    sent: int  # e-mails written now
    already: int  # overdue, but reminded today already
    not_overdue: int  # submitted, withdrawn, decided or not yet due: nobody is told


def remind_overdue_reviewers(
    *, assignments: Iterable[Assignment], actor: AbstractBaseUser, now=None
) -> ReminderResult:
    """E-mail the reviewer of each overdue assignment (past its due date, its review not
    submitted, neither it nor its application closed), at most once a day per assignment."""
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators remind reviewers."))
    now = now or timezone.now()
    chosen = [assignment.pk for assignment in assignments]
    overdue = list(
        Assignment.objects.active()
        .filter(pk__in=chosen, due_at__lt=now)
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .exclude(application__status__in=FINAL_STATUSES)
        .select_related("reviewer", "application__round__programme")
        .order_by("pk")
    )
    with transaction.atomic():
        written = notifications.overdue_review_reminders(assignments=overdue, now=now)
    with_email = sum(1 for assignment in overdue if assignment.reviewer.email)
    return ReminderResult(
        sent=len(written),
        already=with_email - len(written),
        not_overdue=len(set(chosen)) - len(overdue),
    )

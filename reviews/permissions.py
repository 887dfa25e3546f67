"""Who may see and do what in reviewing (DESIGN.md section 6), as small predicates.

The API's permission classes, the admin's has_*_permission methods and the selectors of
visible rows all ask these; the rules are written here once.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from applications.models import Application
from incubator.permissions import is_coordinator, is_reviewer

from .enums import ReviewStatus
from .models import Assignment, ConflictOfInterest, Review

User = AbstractBaseUser | AnonymousUser


def works_on_reviews(user: User) -> bool:
    """Reviewers and coordinators: the roles that reach reviewing at all."""
    return is_coordinator(user) or is_reviewer(user)


def _conflicted() -> Exists:
    return Exists(
        ConflictOfInterest.objects.filter(
            reviewer=OuterRef("reviewer"), startup=OuterRef("application__startup")
        )
    )


def assignments_visible_to(user: User) -> QuerySet[Assignment]:
    """Coordinators: every assignment, withdrawn ones too; reviewers: their own, neither
    withdrawn nor conflicted since."""
    if is_coordinator(user):
        return Assignment.objects.all()
    if is_reviewer(user):
        return Assignment.objects.active().filter(reviewer=user).exclude(_conflicted())
    return Assignment.objects.none()


def reviews_visible_to(user: User) -> QuerySet[Review]:
    """The review rows a user may open: coordinators all, a reviewer their own (not conflicted)."""
    if is_coordinator(user):
        return Review.objects.all()
    return Review.objects.filter(assignment__in=assignments_visible_to(user))


def applications_reviewable_by(user: User) -> QuerySet[Application]:
    """Applications a reviewer is assigned to and not conflicted with."""
    return Application.objects.filter(pk__in=assignments_visible_to(user).values("application_id"))


def reviewer_application_access(user: AbstractBaseUser) -> Q | None:
    """What a reviewer sees among applications: those assigned to them (and not withdrawn),
    unless they declared a conflict with the start-up. Granted to `applications.selectors` at
    start-up."""
    if not is_reviewer(user):
        return None
    assigned = Exists(Assignment.objects.active().filter(application=OuterRef("pk"), reviewer=user))
    conflicted = Exists(
        ConflictOfInterest.objects.filter(startup=OuterRef("startup"), reviewer=user)
    )
    return Q(assigned & ~conflicted)


def can_review(user: User, application: Application) -> bool:
    return is_reviewer(user) and applications_reviewable_by(user).filter(pk=application.pk).exists()


def can_edit_review(user: User, review: Review) -> bool:
    """Only the assigned reviewer, while the review is a draft and the assignment stands."""
    return (
        user.is_authenticated
        and review.assignment.reviewer_id == user.pk
        and review.status == ReviewStatus.DRAFT
        and not review.assignment.is_withdrawn
    )


def can_see_other_reviews(user: User, review: Review) -> bool:
    """Blind review: the others' reviews show once one's own is submitted (coordinators: always)."""
    if is_coordinator(user):
        return True
    return review.assignment.reviewer_id == user.pk and review.status == ReviewStatus.SUBMITTED


def can_declare_conflict_for(user: User, reviewer: AbstractBaseUser) -> bool:
    return is_coordinator(user) or (is_reviewer(user) and user.pk == reviewer.pk)


def can_assign(user: User) -> bool:
    return is_coordinator(user)


def can_read_ranking(user: User) -> bool:
    return is_coordinator(user)


# What a user may do with an application's discussion (DESIGN.md §6, §14).
DISCUSSION_OPEN = "open"  # read and write
DISCUSSION_NOT_YET = "not_yet"  # an assigned reviewer before submitting their own review: 403
DISCUSSION_HIDDEN = "hidden"  # anyone else: the application stays invisible, 404


def discussion_access(user: User, application: Application) -> str:
    """Coordinators: open. Reviewers assigned (not withdrawn, not conflicted): open once their
    own review is submitted, not yet before. Everyone else: hidden."""
    if is_coordinator(user):
        return DISCUSSION_OPEN
    if not is_reviewer(user):
        return DISCUSSION_HIDDEN
    status = (
        assignments_visible_to(user)
        .filter(application=application)
        .values_list("review__status", flat=True)
        .first()
    )
    if status is None:
        return DISCUSSION_HIDDEN
    return DISCUSSION_OPEN if status == ReviewStatus.SUBMITTED else DISCUSSION_NOT_YET

"""An application's discussion and the reopening of reviews (DESIGN.md §14).

Discussion. Coordinators and the panel — the assigned reviewers (not withdrawn, not conflicted)
who submitted their own review — read and write comments on an application. Reviewers never see
each other's names: a reviewer's comment is signed "Reviewer N", N being their place among the
application's assignments (oldest first, withdrawn ones included), the same number their review
carries for the other reviewers (`selectors.other_reviews`); coordinators sign with their name,
and coordinators read every name. Posting writes the comment only; a periodic task
(`notify_new_comments`, every minute) gathers the comments not yet told and writes one e-mail per
application per panel member, in their language, with the comments of others since the last
one: a lively discussion is a few e-mails, not one per comment, and nobody is e-mailed their own.

Reopening. A coordinator sends a submitted review back to its reviewer for revision with a
reason: the review is a draft again (it leaves the ranking until resubmitted), the submitted
version is kept as a `ReviewVersion` and in the audit trail (`review.reopened`, the previous
scores as decimal strings), and the reviewer is e-mailed the reason in their language.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.models import FINAL_STATUSES, Application
from audit import services as audit
from incubator.display import person_name
from incubator.exceptions import WorkflowError
from incubator.permissions import COORDINATORS_GROUP, is_coordinator
from incubator.text import check_text
from notifications import enums as events
from notifications.models import Notification
from notifications.outbox import email_row, write_outbox

from . import scoring
from .enums import ReviewStatus
from .models import (
    COMMENT_MAX_LENGTH,
    Assignment,
    Comment,
    ConflictOfInterest,
    Review,
    ReviewerProfile,
    ReviewVersion,
)
from .permissions import DISCUSSION_OPEN, discussion_access

REOPEN_REASON_MAX_LENGTH = 2000
# What an e-mail quotes of each comment; the whole thread is one click away.
QUOTED_LENGTH = 600


class ReviewNotSubmitted(WorkflowError):
    """Only a submitted review can be reopened."""


# --- Labels ------------------------------------------------------------------------------------


def reviewer_numbers(application_id: int) -> dict[int, int]:
    """{reviewer id: N} for "Reviewer N": the place among the application's assignments."""
    reviewers = (
        Assignment.objects.filter(application_id=application_id)
        .order_by("pk")
        .values_list("reviewer_id", flat=True)
    )
    return {reviewer: index for index, reviewer in enumerate(reviewers, start=1)}


def author_label(
    comment: Comment, *, show_names: bool, numbers: dict[int, int], translate: bool = False
) -> str:
    """Coordinators read names; reviewers read other reviewers as "Reviewer N" (their own
    comments too, so the thread reads the same to every reviewer) and coordinators by name.
    `translate` gives "Reviewer N" in the active language (pages, e-mails); the API keeps the
    English label, as for the other reviews."""
    author = comment.author
    number = numbers.get(author.pk)
    if number is None or show_names:
        return person_name(author)
    if translate:
        return _("Reviewer %(number)d") % {"number": number}
    return f"Reviewer {number}"


def thread(
    *, application: Application, reader: AbstractBaseUser, translate: bool = False
) -> list[dict]:
    """The discussion as `reader` sees it, oldest first: id, author_label, body, created_at."""
    numbers = reviewer_numbers(application.pk)
    show_names = is_coordinator(reader)
    comments = Comment.objects.filter(application=application).select_related("author")
    return [
        {
            "id": comment.pk,
            "author_label": author_label(
                comment, show_names=show_names, numbers=numbers, translate=translate
            ),
            "body": comment.body,
            "created_at": comment.created_at,
            "by_coordinator": comment.author_id not in numbers,
        }
        for comment in comments.order_by("created_at", "pk")
    ]


# --- Writing ------------------------------------------------------------------------------------


def post_comment(*, application: Application, author: AbstractBaseUser, body: str) -> Comment:
    """A comment by a coordinator or a reviewer of the panel; the panel is told in the next
    batch (`notify_new_comments`)."""
    if discussion_access(author, application) != DISCUSSION_OPEN:
        raise PermissionDenied(
            _("Only coordinators and reviewers who submitted their review join the discussion.")
        )
    body = (body or "").strip() if isinstance(body, str) else body
    if not isinstance(body, str) or not body:
        raise ValidationError({"body": [_("Write something: a comment cannot be empty.")]})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "body": [
                    _("Keep a comment to %(max)d characters (this one has %(count)d).")
                    % {"max": COMMENT_MAX_LENGTH, "count": len(body)}
                ]
            }
        )
    check_text({"body": body}, long=["body"])
    with transaction.atomic():
        return Comment.objects.create(application=application, author=author, body=body)


def panel_of(application: Application) -> list[AbstractBaseUser]:
    """Who hears of new comments: the reviewers who may read the discussion (assigned, not
    withdrawn, not conflicted, own review submitted) and every active coordinator, each with an
    e-mail address."""
    conflicted = ConflictOfInterest.objects.filter(
        reviewer=OuterRef("pk"), startup_id=application.startup_id
    )
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    reviewers = users.filter(
        assignments__application=application,
        assignments__withdrawn_at__isnull=True,
        assignments__review__status=ReviewStatus.SUBMITTED,
    ).exclude(Exists(conflicted))
    coordinators = users.filter(groups__name=COORDINATORS_GROUP)
    return list((reviewers | coordinators).distinct().order_by("pk"))


def _languages(users: list[AbstractBaseUser]) -> dict[int, str]:
    """Reviewers' chosen language; coordinators (who have none) the site's."""
    chosen = dict(ReviewerProfile.objects.filter(user__in=users).values_list("user_id", "language"))
    return {user.pk: chosen.get(user.pk, settings.LANGUAGE_CODE) for user in users}


def discussion_url(application_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "admin:reviews_discussion", args=[application_id]
    )


def _comment_rows(
    application: Application, comments: list[Comment], now: datetime
) -> list[Notification]:
    numbers = reviewer_numbers(application.pk)
    panel = panel_of(application)
    languages = _languages(panel)
    rows = []
    batch = f"{comments[0].pk}-{comments[-1].pk}"
    for member in panel:
        show_names = is_coordinator(member)
        theirs = [comment for comment in comments if comment.author_id != member.pk]
        if not theirs:
            continue
        with translation.override(languages[member.pk]):
            quoted = [
                {
                    "author_label": author_label(
                        comment, show_names=show_names, numbers=numbers, translate=True
                    ),
                    "body": comment.body[:QUOTED_LENGTH],
                    "cut": len(comment.body) > QUOTED_LENGTH,
                }
                for comment in theirs
            ]
        rows.append(
            email_row(
                event=events.COMMENTS_POSTED,
                subject=f"application:{application.pk}:comments:{batch}",
                recipient=member.email,
                language=languages[member.pk],
                user=member,
                payload={
                    "template": "comments_posted",
                    "programme": application.round.programme.name,
                    "data": {
                        "reader": person_name(member),
                        "project_name": application.project_name,
                        "round": application.round.name,
                        "count": len(theirs),
                        "comments": quoted,
                        "discussion_url": discussion_url(application.pk),
                    },
                },
                now=now,
            )
        )
    return rows


def notify_new_comments(*, now: datetime | None = None) -> int:
    """One e-mail per application per panel member for the comments not yet told (a batch);
    returns how many e-mails were written. Safe to run twice and side by side: the comments are
    locked (SKIP LOCKED) and marked told in the same transaction as the outbox rows."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = list(
            Comment.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=True)
            .select_related("author", "application__round__programme")
            .order_by("application_id", "pk")
        )
        by_application: dict[int, list[Comment]] = defaultdict(list)
        for comment in pending:
            by_application[comment.application_id].append(comment)
        rows: list[Notification] = []
        for comments in by_application.values():
            rows += _comment_rows(comments[0].application, comments, now)
        written = write_outbox(rows)
        Comment.objects.filter(pk__in=[comment.pk for comment in pending]).update(notified_at=now)
    return len(written)


# --- Reopening a review ---------------------------------------------------------------------


def _decimal(value: Decimal | float | None) -> str | None:
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _total(review: Review) -> Decimal | None:
    """The review's total on 0–100 (DESIGN.md §5), or None when a criterion is unscored."""
    scores = {score.criterion_id: score.value for score in review.scores.all()}
    criteria = list(review.assignment.application.round.criteria.all())
    if not criteria or any(criterion.pk not in scores for criterion in criteria):
        return None
    weights = sum(Decimal(criterion.weight) for criterion in criteria)
    earned = sum(
        Decimal(criterion.weight) * Decimal(scores[criterion.pk]) / Decimal(criterion.max_score)
        for criterion in criteria
    )
    return earned / weights * 100


def reopen_review(*, review: Review, actor: AbstractBaseUser, reason: str) -> Review:
    """Send a submitted review back to its reviewer as a draft, keeping what was submitted."""
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators reopen reviews."))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": [_("Say why: the reviewer reads the reason.")]})
    if len(reason) > REOPEN_REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": [
                    _("Keep the reason to %(max)d characters.") % {"max": REOPEN_REASON_MAX_LENGTH}
                ]
            }
        )
    check_text({"reason": reason}, long=["reason"])
    with transaction.atomic():
        Assignment.objects.select_for_update().filter(pk=review.assignment_id).first()
        locked = (
            Review.objects.select_for_update(of=("self",))
            .select_related("assignment__reviewer", "assignment__application__round__programme")
            .get(pk=review.pk)
        )
        if locked.status != ReviewStatus.SUBMITTED:
            raise ReviewNotSubmitted(
                _("This review is a draft: only a submitted review can be reopened.")
            )
        if locked.assignment.is_withdrawn:
            raise ReviewNotSubmitted(
                _("This assignment was withdrawn: its review is a record and is not reopened.")
            )
        application = locked.assignment.application
        if application.status in FINAL_STATUSES:
            raise ReviewNotSubmitted(
                _("The application is “%(status)s”: its reviews are no longer revised.")
                % {"status": application.get_status_display()}
            )
        scores = {
            str(score.criterion_id): score.value for score in locked.scores.order_by("criterion_id")
        }
        total = _total(locked)
        version = ReviewVersion.objects.create(
            review=locked,
            scores=scores,
            total=None if total is None else Decimal(_decimal(total)),
            recommendation=locked.recommendation,
            confidence=locked.confidence,
            comment=locked.comment,
            submitted_at=locked.submitted_at,
            reopened_by=actor,
            reason=reason,
        )
        previous_submitted_at = locked.submitted_at
        locked.status = ReviewStatus.DRAFT
        locked.submitted_at = None
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        audit.record(
            actor=actor,
            action="review.reopened",
            object_type="review",
            object_id=locked.pk,
            data={
                "application": application.pk,
                "assignment": locked.assignment_id,
                "reviewer": locked.assignment.reviewer_id,
                "version": version.pk,
                "previous": {
                    "scores": {key: str(value) for key, value in scores.items()},
                    "total": _decimal(total),
                    "recommendation": locked.recommendation,
                    "confidence": locked.confidence,
                    "submitted_at": (
                        audit.format_time(previous_submitted_at) if previous_submitted_at else None
                    ),
                },
                "status": {"from": ReviewStatus.SUBMITTED, "to": ReviewStatus.DRAFT},
                "reason": audit.personal(reason),
            },
        )
        _tell_reviewer_of_reopening(review=locked, version=version)
        # The review leaves the ranking until it is submitted again: refit the round.
        scoring.schedule_refit(application.round_id)
    return locked


def _tell_reviewer_of_reopening(*, review: Review, version: ReviewVersion) -> None:
    reviewer = review.assignment.reviewer
    if not reviewer.email:
        return
    application = review.assignment.application
    language = (
        ReviewerProfile.objects.filter(user=reviewer).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    write_outbox(
        [
            email_row(
                event=events.REVIEW_REOPENED,
                subject=f"review:{review.pk}:version:{version.pk}",
                recipient=reviewer.email,
                language=language,
                user=reviewer,
                payload={
                    "template": "review_reopened",
                    "programme": application.round.programme.name,
                    "data": {
                        "reviewer": person_name(reviewer),
                        "project_name": application.project_name,
                        "round": application.round.name,
                        "reason": version.reason,
                        "review_url": settings.SITE_URL.rstrip("/")
                        + reverse("admin:reviews_review_change", args=[review.pk]),
                    },
                },
                now=timezone.now(),
            )
        ]
    )

"""The outbox's vocabulary: channels, delivery statuses and the names of the events it carries."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# The events the outbox carries, as stored in Notification.event and sent as a webhook's "type".
# The app that owns an event writes its rows (applications/notifications.py,
# reviews/notifications.py, provider tests in notifications/services.py); the names are listed
# here as shared vocabulary, like the kernel's enums, so the outbox's API can document and filter
# them without knowing the apps.
APPLICATION_SUBMITTED = "application.submitted"
ASSIGNMENT_CREATED = "assignment.created"
REVIEW_REMINDER = "review.reminder"
# A coordinator's reminder to a reviewer whose review is past its due date (one a day at most).
REVIEW_OVERDUE = "review.overdue"
SHORTLIST_PUBLISHED = "shortlist.published"
APPLICATION_SHORTLISTED = "application.shortlisted"
APPLICATION_ACCEPTED = "application.accepted"
APPLICATION_WAITLISTED = "application.waitlisted"
APPLICATION_REJECTED = "application.rejected"
PROVIDER_DIGEST = "provider.digest"
# Sent on a coordinator's request, so a provider can check its endpoint and signature check.
PROVIDER_TEST = "provider.test"
# To the coordinators, when a provider's webhook endpoint answered 410 Gone and was removed.
PROVIDER_WEBHOOK_GONE = "provider.webhook_gone"
# A signed checkpoint of the audit trail, to the providers that witness it (DESIGN.md §13).
AUDIT_CHECKPOINT = "audit.checkpoint"
# To a person invited to a start-up's team or a provider's users (one-time link, 7 days).
INVITATION_SENT = "invitation.sent"
# To an application's panel: new comments in its discussion, one e-mail per batch.
COMMENTS_POSTED = "comments.posted"
# To a reviewer whose submitted review a coordinator reopened for revision.
REVIEW_REOPENED = "review.reopened"
# To each provider that received a start-up whose consent for its kind was then withdrawn
# (webhook; `data`: {"application", "startup"} ids only).
CONSENT_WITHDRAWN = "consent.withdrawn"
# To a start-up, when a provider marks it interested: an introduction (e-mail).
PARTNER_INTERESTED = "partner.interested"
# To a provider's partner users, when the start-up answers its interest (e-mail).
PARTNER_REPLIED = "partner.replied"
EVENTS = [
    APPLICATION_SUBMITTED,
    ASSIGNMENT_CREATED,
    REVIEW_REMINDER,
    SHORTLIST_PUBLISHED,
    APPLICATION_SHORTLISTED,
    APPLICATION_ACCEPTED,
    APPLICATION_WAITLISTED,
    APPLICATION_REJECTED,
    PROVIDER_DIGEST,
    PROVIDER_TEST,
    PROVIDER_WEBHOOK_GONE,
    REVIEW_OVERDUE,
    AUDIT_CHECKPOINT,
    INVITATION_SENT,
    COMMENTS_POSTED,
    REVIEW_REOPENED,
    CONSENT_WITHDRAWN,
    PARTNER_INTERESTED,
    PARTNER_REPLIED,
]
# What people read for each event (the admin's lists and filters); the code stays the API's.
EVENT_LABELS = {
    APPLICATION_SUBMITTED: _("Application submitted"),
    ASSIGNMENT_CREATED: _("Reviews assigned"),
    REVIEW_REMINDER: _("Review due soon"),
    REVIEW_OVERDUE: _("Review overdue"),
    SHORTLIST_PUBLISHED: _("Shortlist published"),
    APPLICATION_SHORTLISTED: _("Application shortlisted"),
    APPLICATION_ACCEPTED: _("Application accepted"),
    APPLICATION_WAITLISTED: _("Application waitlisted"),
    APPLICATION_REJECTED: _("Application rejected"),
    PROVIDER_DIGEST: _("Weekly digest for a provider"),
    PROVIDER_TEST: _("Test webhook"),
    PROVIDER_WEBHOOK_GONE: _("Provider's webhook removed"),
    AUDIT_CHECKPOINT: _("Audit checkpoint"),
    INVITATION_SENT: _("Invitation to join"),
    COMMENTS_POSTED: _("New comments in a discussion"),
    REVIEW_REOPENED: _("Review reopened for revision"),
    CONSENT_WITHDRAWN: _("Consent withdrawn"),
    PARTNER_INTERESTED: _("Provider interested"),
    PARTNER_REPLIED: _("Start-up replied to a provider"),
}


def event_label(event: str) -> str:
    """The event's name in the reader's language; an unknown code as it is."""
    label = EVENT_LABELS.get(event)
    return event if label is None else str(label)

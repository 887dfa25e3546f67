from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    ACCEPTED = "accepted", _("Accepted")
    WAITLISTED = "waitlisted", _("Waitlisted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AttachmentKind(models.TextChoices):
    PITCH_DECK = "pitch_deck", _("Pitch deck")
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    OTHER = "other", _("Other")


class SystemNote(models.TextChoices):
    """Notes the system writes into an application's history: stored as a code with its
    parameters and worded in the reader's language when shown."""

    FIRST_REVIEWER_ASSIGNED = "first_reviewer_assigned", _("First reviewer assigned.")
    # Parameters: {"shortlist": the shortlist's name}.
    SHORTLIST_PUBLISHED = "shortlist_published", _("Shortlist “%(shortlist)s” published.")


class MembershipRole(models.TextChoices):
    """A member's role in a start-up's team: owners manage the team, every member acts for it."""

    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")

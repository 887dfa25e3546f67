"""Each service that causes an event writes its outbox rows in its own transaction."""

import pytest
from django.core import mail

from applications.enums import ApplicationStatus
from applications.services import decide_application, submit_application
from incubator.enums import ServiceKind
from notifications.models import Notification
from reviews.services import assign_reviewers
from reviews.shortlists import publish_shortlist
from tests.factories import (
    ApplicationFactory,
    AttachmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def events() -> list[tuple[str, str, str]]:
    return sorted(Notification.objects.values_list("event", "channel", "recipient"))


def test_submit_application_writes_the_receipt_and_sends_it(django_capture_on_commit_callbacks):
    founder = UserFactory()
    application = ApplicationFactory(startup__members=[founder])
    AttachmentFactory(application=application)

    with django_capture_on_commit_callbacks(execute=True):
        submit_application(actor=founder, application=application)

    assert events() == [("application.submitted", "email", application.startup.contact_email)]
    assert Notification.objects.get().status == "sent"  # in-process tasks on the defaults
    assert [message.to for message in mail.outbox] == [[application.startup.contact_email]]


def test_assign_reviewers_tells_each_reviewer_once_per_assignment():
    application = ApplicationFactory(status=ApplicationStatus.SUBMITTED)
    application.round.reviews_per_application = 2
    application.round.save(update_fields=["reviews_per_application"])
    reviewers = [ReviewerFactory(), ReviewerFactory()]

    assign_reviewers(round=application.round, actor=CoordinatorFactory())
    assign_reviewers(round=application.round, actor=CoordinatorFactory())

    assert events() == sorted(
        ("assignment.created", "email", reviewer.email) for reviewer in reviewers
    )


def test_decide_application_tells_matching_providers_and_the_applicant():
    entry = ShortlistEntryFactory()
    provider = ServiceProviderFactory(kind=ServiceKind.FUND, webhook_url="")
    ServiceProviderFactory(kind=ServiceKind.TESTING)  # not needed by the start-up

    decide_application(
        application=entry.application, status=ApplicationStatus.ACCEPTED, actor=CoordinatorFactory()
    )

    assert events() == sorted(
        [
            ("application.accepted", "email", entry.application.startup.contact_email),
            ("application.accepted", "email", provider.email),
        ]
    )


def test_publish_shortlist_notifies_once_however_often_it_is_published():
    entry = ShortlistEntryFactory(application__status=ApplicationStatus.UNDER_REVIEW)
    provider = ServiceProviderFactory(kind=ServiceKind.FUND, webhook_url="")

    publish_shortlist(shortlist=entry.shortlist, actor=CoordinatorFactory())
    first = events()
    publish_shortlist(shortlist=entry.shortlist, actor=CoordinatorFactory())

    assert events() == first
    assert first == sorted(
        [
            ("application.shortlisted", "email", entry.application.startup.contact_email),
            ("shortlist.published", "email", provider.email),
        ]
    )

"""The admin as a coordinator's tool: every model reachable, status changed only by actions."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from applications.enums import ApplicationStatus
from applications.models import Application, StatusChange
from audit.models import AuditHead
from incubator.models import ApiToken
from reviews.models import ApplicationScore, ReviewerLeniency, RoundCalibration
from tests.factories import ApplicationFactory, CoordinatorFactory
from tests.ours import MODEL_APPS
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

OUR_APPS = MODEL_APPS
# API tokens are a superuser's to see (issue 11).
SUPERUSER_ONLY = {ApiToken}


# Internal bookkeeping without a page: the audit chain's head row; the stored results of a
# round's calibrated fit (derived, refitted from the reviews; shown on the ranking and the
# reviewer statistics pages).
INTERNAL = {AuditHead, ApplicationScore, ReviewerLeniency, RoundCalibration}


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label in OUR_APPS]


def test_admin_registers_every_domain_model():
    ours = {model for label in OUR_APPS for model in apps.get_app_config(label).get_models()}
    assert ours - INTERNAL == set(registered_models())


def test_admin_coordinator_reaches_every_changelist_and_change_page(client, rf):
    call_command("seed_demo")
    coordinator = CoordinatorFactory()
    force_login_verified(client, coordinator)
    request = rf.get("/admin/")
    request.user = coordinator
    for model in registered_models():
        opts = model._meta
        listing = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if model in SUPERUSER_ONLY:
            assert listing.status_code == 403, opts.label
            continue
        assert listing.status_code == 200, opts.label
        first = admin.site.get_model_admin(model).get_queryset(request).first()
        if first is not None:
            page = client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
            assert page.status_code == 200, opts.label


def test_admin_application_status_is_read_only(client):
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    force_login_verified(client, CoordinatorFactory())
    url = reverse("admin:applications_application_change", args=[application.pk])
    client.post(url, {"status": "accepted", "project_name": "Changed"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.project_name != "Changed"


def test_admin_decision_action_goes_through_the_status_service(client):
    movable = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    final = ApplicationFactory(status=ApplicationStatus.ACCEPTED)
    coordinator = CoordinatorFactory()
    force_login_verified(client, coordinator)

    response = client.post(
        reverse("admin:applications_application_changelist"),
        {
            "action": "mark_waitlisted",
            "_selected_action": [movable.pk, final.pk],
            "apply": "1",
            "note": "Panel of 3 May.",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert Application.objects.get(pk=movable.pk).status == ApplicationStatus.WAITLISTED
    assert Application.objects.get(pk=final.pk).status == ApplicationStatus.ACCEPTED
    change = StatusChange.objects.get()
    assert (change.application, change.actor, change.note) == (
        movable,
        coordinator,
        "Panel of 3 May.",
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("a final status" in m for m in messages)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/incubator/notification/", "/admin/notifications/notification/"),
        ("/admin/incubator/notification/7/change/", "/admin/notifications/notification/7/change/"),
        (
            "/admin/incubator/notificationattempt/?succeeded__exact=0",
            "/admin/notifications/notificationattempt/?succeeded__exact=0",
        ),
        ("/admin/reviews/criterion/3/change/", "/admin/incubator/criterion/3/change/"),
    ],
)
def test_admin_pages_of_moved_models_redirect_to_their_new_address(client, old, new):
    response = client.get(old)

    assert response.status_code == 301
    assert response["Location"] == new


def test_admin_pages_of_models_that_stayed_are_not_redirected(admin_client):
    assert admin_client.get("/admin/incubator/round/").status_code == 200
    assert admin_client.get("/admin/reviews/review/").status_code == 200

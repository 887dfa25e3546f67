"""The suite-wide scan (tests/conftest.py) finds personal data and secrets written in clear, so
its silence after every other test means something."""

import pytest
from django.db import transaction

from audit.services import personal, record
from tests.conftest import leaked_personal_data
from tests.factories import ServiceProviderFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_scan_finds_an_address_a_name_and_a_secret_in_clear():
    user = UserFactory(email="someone@private.example", first_name="Wong Ka-ming")
    startup = StartupFactory(name="Secret Harbour Ltd")
    provider = ServiceProviderFactory()
    with transaction.atomic():
        record(
            action="application.updated",
            object_type="application",
            object_id=1,
            data={
                "note": f"mail {user.email}",
                "who": user.first_name,
                "startup": startup.name,
                "secret": provider.webhook_secret,
            },
        )
        leaked = leaked_personal_data()
        transaction.set_rollback(True)
    assert "someone@private.example" in leaked
    assert "Wong Ka-ming" in leaked
    assert "Secret Harbour Ltd" in leaked
    assert provider.webhook_secret in leaked


def test_hmacs_pass_the_scan():
    user = UserFactory(email="someone@private.example")
    record(
        action="application.updated",
        object_type="application",
        object_id=1,
        data={"email": personal(user.email)},
    )
    assert leaked_personal_data() == []
    assert personal(user.email) != personal("other@private.example")

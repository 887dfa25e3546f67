"""The kernel's account services: what a coordinator may change on an account it manages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incubator.services import set_account_password, update_account
from tests.factories import CoordinatorFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_update_account_changes_the_delegated_fields():
    grace, mei = CoordinatorFactory(), ReviewerFactory(username="mei")

    update_account(
        actor=grace,
        account=mei,
        first_name="Mei",
        last_name="Chan",
        email="mei@example.org",
        is_active=False,
    )

    mei.refresh_from_db()
    assert (mei.first_name, mei.last_name, mei.email, mei.is_active) == (
        "Mei",
        "Chan",
        "mei@example.org",
        False,
    )


@pytest.mark.parametrize("field", ["is_superuser", "is_staff", "username", "password", "groups"])
def test_update_account_refuses_every_other_field(field):
    grace, mei = CoordinatorFactory(), ReviewerFactory(username="mei")

    with pytest.raises(ValidationError) as error:
        update_account(actor=grace, account=mei, **{field: True})

    assert list(error.value.message_dict) == [field]
    mei.refresh_from_db()
    assert (mei.username, mei.is_superuser, mei.is_staff) == ("mei", False, True)


def test_update_account_of_a_coordinator_needs_a_superuser():
    grace, ada = CoordinatorFactory(), CoordinatorFactory(username="ada")

    with pytest.raises(PermissionDenied):
        update_account(actor=grace, account=ada, email="grace@evil.example")

    root = UserFactory(username="root", is_superuser=True)
    update_account(actor=root, account=ada, email="ada@example.org")
    ada.refresh_from_db()
    assert ada.email == "ada@example.org"


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not an address"), ("email", ""), ("first_name", "x" * 151), ("last_name", "a\x00")],
)
def test_update_account_refuses_a_bad_value(field, value):
    grace, mei = CoordinatorFactory(), ReviewerFactory(username="mei")
    before = (mei.email, mei.first_name, mei.last_name)

    with pytest.raises(ValidationError) as error:
        update_account(actor=grace, account=mei, **{field: value})

    assert list(error.value.message_dict) == [field]
    mei.refresh_from_db()
    assert (mei.email, mei.first_name, mei.last_name) == before


def test_set_account_password_of_a_reviewer():
    grace, mei = CoordinatorFactory(), ReviewerFactory(username="mei")

    set_account_password(actor=grace, account=mei, password="Harbour-Ledger-2026")

    mei.refresh_from_db()
    assert mei.check_password("Harbour-Ledger-2026")


def test_set_account_password_refuses_a_weak_one():
    grace, mei = CoordinatorFactory(), ReviewerFactory(username="mei")

    with pytest.raises(ValidationError) as error:
        set_account_password(actor=grace, account=mei, password="mei")

    assert list(error.value.message_dict) == ["password"]
    mei.refresh_from_db()
    assert mei.check_password("pw")


@pytest.mark.parametrize("target", ["coordinator", "superuser", "founder"])
def test_set_account_password_by_a_coordinator_only_for_delegated_roles(target):
    grace = CoordinatorFactory()
    account = {
        "coordinator": lambda: CoordinatorFactory(username="ada"),
        "superuser": lambda: UserFactory(username="root", is_superuser=True),
        "founder": lambda: UserFactory(username="founder"),
    }[target]()

    with pytest.raises(PermissionDenied):
        set_account_password(actor=grace, account=account, password="Harbour-Ledger-2026")

    account.refresh_from_db()
    assert account.check_password("pw")

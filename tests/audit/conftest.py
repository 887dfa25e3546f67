"""Helpers of the audit trail's tests."""

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent


def events(action: str | None = None, **filters) -> list[AuditEvent]:
    queryset = AuditEvent.objects.order_by("seq")
    if action is not None:
        queryset = queryset.filter(action=action)
    return list(queryset.filter(**filters))


def last(action: str) -> AuditEvent:
    found = events(action)
    assert found, f"no {action} event was recorded"
    return found[-1]


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    return client_for


def tamper(sql: str, params=()) -> None:
    """Change the table behind the service's back, as an attacker with the owner's rights would:
    the UPDATE/DELETE trigger is switched off inside the test's transaction only."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_append_only")

"""Schemathesis' stateful phase: sequences of calls chained by the links it infers from the
schema (a created round's id fed to reading and changing it, and so on), as a coordinator and
as a start-up member. No 5xx, and every answer as the schema documents it."""

import pytest
from hypothesis import HealthCheck, settings

from tests.api_fuzz import CHECKS, schema, token_headers
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("keep_test_connection")

STATEFUL = settings(
    max_examples=8,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def run_workflow(headers: dict[str, str]) -> list[str]:
    """Runs the state machine; returns the operations it called, in order."""
    called: list[str] = []

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            called.append(f"{case.method} {case.path}")
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=STATEFUL)
    return called


@pytest.mark.django_db
def test_api_stateful_as_coordinator():
    RoundFactory()
    called = run_workflow(token_headers(CoordinatorFactory(username="stateful-coordinator")))

    # The phase is not vacuous: it chains calls, reaching an object through a created one.
    assert len(called) >= 20
    assert any("{id}" in call for call in called)


@pytest.mark.django_db
def test_api_stateful_as_startup_member():
    user = UserFactory(username="stateful-founder")
    ApplicationFactory(startup=StartupFactory(members=[user]), round=RoundFactory())
    called = run_workflow(token_headers(user))

    assert len(called) >= 20
    assert any("{id}" in call for call in called)

"""What the schemathesis tests share: the schema, the checks every answer must pass, and how a
fuzzed request authenticates. Each app's `test_openapi.py` fuzzes its own paths."""

import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Loaded at import time: schemathesis' pytest fixture loader breaks under pytest 9 (ENVIRONMENT.md).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

# No 5xx for any input; and every answer is one the schema documents (status, type, body), so a
# client generated from the schema understands it.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

FUZZ = settings(
    max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def token_headers(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}

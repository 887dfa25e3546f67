"""System check of the audit trail's signing key (run by every manage.py command and at start-up).

A missing AUDIT_SIGNING_KEY is not a check failure: the site works and checkpoints are refused
until it is set, which settings say at start-up (a warning on standard error), so a deployment's
`check --deploy` stays clean while it has no key yet. A key that is set but is not a key is an
error: the daily checkpoint would fail every day.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register

from .checkpoints import SigningKeyMissing, load_private_key


@register(Tags.security)
def signing_key_check(app_configs=None, **kwargs):
    value = getattr(settings, "AUDIT_SIGNING_KEY", "")
    if not value:
        return []
    try:
        load_private_key(value)
    except SigningKeyMissing as error:
        return [
            Error(str(error), hint="Generate one with `manage.py audit_keygen`.", id="audit.E001")
        ]
    return []

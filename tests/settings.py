"""Settings for the test suite: production settings with test-only defaults filled in.

Anything the environment sets (DATABASE_URL, CELERY_BROKER_URL) still wins, so CI runs the
same suite against PostgreSQL and Redis.
"""

import os
import tempfile

import environ

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "1")
# A fixed test key for the audit trail's checkpoints (never a production key).
os.environ.setdefault("AUDIT_SIGNING_KEY", "dGVzdC1vbmx5LWF1ZGl0LXNpZ25pbmcta2V5LTMyYiE=")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="incubator-test-media-"))

from incubator.settings import *  # noqa: F403 (test settings extend the real ones)

# The in-process broker for unit tests: integration tests start a real worker on Redis. That
# worker (and its beat) publish to Redis as in production (TEST_WORKER=1 in its environment);
# eager, beat would run the re-dispatch, and so deliveries, in its own process.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("TEST_WORKER") != "1"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# E-mails stay in memory, except in a worker that a test points at a local SMTP server of its own
# (TEST_SMTP_URL, set in that worker's environment only).
if os.environ.get("TEST_SMTP_URL"):
    vars().update(environ.Env.email_url_config(os.environ["TEST_SMTP_URL"]))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Persistent connections outlive the live server's request threads and keep the test database
# busy at teardown; tests gain nothing from them.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

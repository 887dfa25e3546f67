"""Settings, read from the environment (and a `.env` file when present).

With nothing configured but `DJANGO_DEBUG=1` the site runs on its embedded defaults: SQLite in
the project folder, Celery tasks in-process, e-mail to the console. Every variable is listed in
`.env.example`.
"""

import warnings
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    warnings.warn("DJANGO_SECRET_KEY is not set: using an insecure development key.", stacklevel=1)
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105 (debug only)

# The audit trail (DESIGN.md §13). AUDIT_HMAC_KEY keys the HMAC that stands for personal data in
# the events (default: SECRET_KEY; set it apart so a rotated SECRET_KEY leaves old HMACs
# comparable). AUDIT_SIGNING_KEY is the Ed25519 key that signs checkpoints (`manage.py
# audit_keygen`); without it checkpoints are refused and `manage.py check` warns (audit/checks.py).
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")
if not AUDIT_SIGNING_KEY and not DEBUG:
    warnings.warn(
        "AUDIT_SIGNING_KEY is not set: audit checkpoints are refused until it is "
        "(generate one with: python manage.py audit_keygen).",
        stacklevel=1,
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    # Django's admin with our site class: two-factor for coordinators (incubator/admin_site.py).
    "incubator.apps.IncubatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    # Two-factor authentication: authenticator apps (TOTP) and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular_sidecar",
    "csp",
    # The house, bottom to top (DESIGN.md §3).
    "audit.apps.AuditConfig",
    "incubator.apps.IncubatorConfig",
    "notifications.apps.NotificationsConfig",
    "applications.apps.ApplicationsConfig",
    "reviews.apps.ReviewsConfig",
    "partners.apps.PartnersConfig",
    "demo.apps.DemoConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "incubator.api.middleware.MethodNotAllowedFirst",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Gives request.user is_verified(): true once a second factor was given in this session.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "incubator.urls"
WSGI_APPLICATION = "incubator.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "incubator" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL names another.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's ModelBackend, refusing a locked-out account before its password is hashed.
AUTHENTICATION_BACKENDS = ["incubator.lockout.LockoutModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages of the three jurisdictions: English, Simplified and Traditional Chinese.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", "简体中文"), ("zh-hant", "繁體中文")]
# App folders' locale/ are found by Django; notifications keep their own catalogue.
LOCALE_PATHS = [
    # Ours before django.contrib.admin's, which would otherwise win for common words ("Summary").
    BASE_DIR / "notifications" / "locale",
    BASE_DIR / "applications" / "locale",
    BASE_DIR / "incubator" / "locale",
    BASE_DIR / "reviews" / "locale",
]
TIME_ZONE = "Asia/Shanghai"
# Numbers and dates in the reader's language (incubator/formats/): Chinese groups thousands with
# commas too. Grouping is asked for where people read a number (floatformat:"2g"), not
# switched on for every number: ids in URLs, hidden inputs and query strings must stay "1234".
FORMAT_MODULE_PATH = ["incubator.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# No route serves MEDIA_URL: uploaded files are served only by views that check visibility.
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=20)
# Let requests with a whole pitch deck through; the attachment rule checks MAX_UPLOAD_MB itself.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# E-mail: SMTP when EMAIL_URL is set, otherwise printed to the console.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="incubator@localhost")
# Seconds an SMTP conversation may block: each call (connect, every reply, QUIT) in Django's
# backend, and a notification's whole conversation in the outbox.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the site is reached from outside: links in e-mails (the reviewer workplace) start here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Security. DJANGO_HTTPS=0 serves plain HTTP (a private network with nothing in front).
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_SSL_REDIRECT = True
    # A load balancer polls the health endpoint over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy on every response (django-csp): our own origin only, no inline script
# or style without the request's nonce, no plugins, no framing. data: images are Swagger UI's
# icons; blob: workers are Redoc's search. README "Security" says what each page needs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # The reviewers' workplace frames a pitch deck served by our own download view.
        "frame-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)

# The cache every web process shares: throttles and log-in lock-outs count in it. Local memory
# (the embedded default) is one process's own, so a deployment with several sets CACHE_URL.
CACHE_URL = env.str("CACHE_URL", default="locmemcache://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            **env.cache_url_config(
                CACHE_URL, backend="django.core.cache.backends.redis.RedisCache"
            ),
            "KEY_PREFIX": "incubator",
        }
    }
    # A Redis that stops answering fails a log-in in seconds instead of holding it.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 2, "socket_timeout": 2}
    )
else:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}

# Log-ins (incubator/lockout.py): after LOGIN_LOCKOUT_FAILURES failures for one account from one
# address, that account is refused from that address for LOGIN_LOCKOUT_MINUTES.
LOGIN_LOCKOUT_FAILURES = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# ... and after LOGIN_ADDRESS_FAILURES failures from one address, whatever the accounts, every
# log-in from that address (password spraying stays under the per-account limit).
LOGIN_ADDRESS_FAILURES = env.int("LOGIN_ADDRESS_FAILURES", default=30)
# Token, register and password-reset requests per client address ("30/hour", "5/minute").
THROTTLE_AUTH = env.str("THROTTLE_AUTH", default="30/hour")
# Reverse proxies in front of the site that append the client to X-Forwarded-For; 0 = none, and
# the connection's own address is the client's (a client could write any X-Forwarded-For).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Two-factor authentication (incubator/twofactor.py): the name authenticator apps show, and the
# TOTP secrets stay out of the admin's device pages.
OTP_TOTP_ISSUER = "Blue Chip Incubator"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# REST API (DESIGN.md section 8).
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes "not logged in" a 401 (DESIGN.md section 8).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        # A session counts only once its second factor was given, where one is required.
        "incubator.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with limits on size and nesting (a 5,000-deep body is a 400, not a RecursionError).
    "DEFAULT_PAGINATION_CLASS": "incubator.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "incubator.api.schema.Schema",
    # JSON bodies only; the one endpoint that takes a file reads multipart (DESIGN.md §8).
    "DEFAULT_PARSER_CLASSES": ["incubator.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "incubator.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The client's address for throttles and lock-outs (incubator.lockout.client_address).
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Incubator application tracking API",
    "DESCRIPTION": "Applications, reviews, shortlists and provider notifications of the "
    "Greater Bay Area Blockchain Blue Chip Project Joint Incubator Plan.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages work without internet: Swagger UI and Redoc from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "incubator.api.schema.finish_schema",
    ],
    # One named enum per vocabulary of DESIGN.md section 8, wherever it appears.
    "ENUM_NAME_OVERRIDES": {
        "RegionEnum": "incubator.enums.Region",
        "TrackEnum": "incubator.enums.Track",
        "StageEnum": "incubator.enums.Stage",
        "ServiceKindEnum": "incubator.enums.ServiceKind",
        "CurrencyEnum": "incubator.enums.Currency",
        "ApplicationStatusEnum": "applications.enums.ApplicationStatus",
        "AttachmentKindEnum": "applications.enums.AttachmentKind",
        "NotificationStatusEnum": "notifications.enums.NotificationStatus",
        "NotificationChannelEnum": "notifications.enums.NotificationChannel",
        "NotificationEventEnum": "notifications.enums.EVENTS",
        "DecisionStatusEnum": "applications.services.DECISION_CHOICES",
        "ReviewStatusEnum": "reviews.enums.ReviewStatus",
        "InterestStatusEnum": "partners.enums.InterestStatus",
    },
}

# Celery: Redis when CELERY_BROKER_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    # Eager tasks still open a producer; an in-memory transport with a host name says nothing.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 60 * 60
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A message is acknowledged only after its task ran; a worker that dies hands it back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
# A broker that stops answering (paused, failing over, a connection dropped by a firewall)
# must not hold up the request that caused a message: connecting and every command wait at most
# BROKER_TIMEOUT seconds, then the publisher gives up and the rows wait for beat's re-dispatch.
# Without a socket timeout a paused Redis blocks a publish forever once the connection is made.
BROKER_TIMEOUT = env.float("BROKER_TIMEOUT", default=2)
if BROKER_TIMEOUT <= 1:
    # An idle worker waits one second for a message (kombu's BRPOP): a shorter socket timeout
    # would break its every poll.
    raise ImproperlyConfigured("BROKER_TIMEOUT must be more than 1 second.")
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task (the hard time limit): Redis never redelivers a running task.
    "visibility_timeout": 60 * 60,
    "socket_connect_timeout": BROKER_TIMEOUT,
    "socket_timeout": BROKER_TIMEOUT,
    "socket_keepalive": True,
}
# The same for the result backend (only the worker health check `incubator.ping` keeps one).
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = BROKER_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# Notifications (DESIGN.md section 7). The queue their deliveries and periodic jobs go to:
# "celery" is the default queue; a deployment (or a test) may give notifications their own.
NOTIFICATIONS_QUEUE = env.str("NOTIFICATIONS_QUEUE", default="celery")
# Beat's re-dispatch has a queue of its own, so it never waits behind a backlog of deliveries.
# A worker consumes every queue declared below unless told otherwise with -Q, and one told to
# consume NOTIFICATIONS_QUEUE consumes this one too (incubator/celery.py).
NOTIFICATIONS_REDISPATCH_QUEUE = env.str(
    "NOTIFICATIONS_REDISPATCH_QUEUE", default=f"{NOTIFICATIONS_QUEUE}.redispatch"
)
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    # The exchange and routing key Celery gives a queue it creates itself (direct, by name).
    Queue(name, Exchange(name), routing_key=name)
    for name in dict.fromkeys(
        [CELERY_TASK_DEFAULT_QUEUE, NOTIFICATIONS_QUEUE, NOTIFICATIONS_REDISPATCH_QUEUE]
    )
]
CELERY_TASK_ROUTES = {"notifications.redispatch_due": {"queue": NOTIFICATIONS_REDISPATCH_QUEUE}}
# Seconds between failed attempts (with ±20 % jitter); one attempt more than delays, then failed.
NOTIFICATIONS_RETRY_DELAYS = [
    float(delay)
    for delay in env.list(
        "NOTIFICATIONS_RETRY_DELAYS", default=["60", "300", "1800", "7200", "43200", "86400"]
    )
]
# A row handed to the broker is re-dispatched by beat only when still pending after this long,
# so a broker outage or a lost message delays a message by at most this (plus one beat tick).
NOTIFICATIONS_DISPATCH_LEASE_SECONDS = env.float(
    "NOTIFICATIONS_DISPATCH_LEASE_SECONDS", default=120
)
NOTIFICATIONS_REDISPATCH_SECONDS = env.float("NOTIFICATIONS_REDISPATCH_SECONDS", default=60)
NOTIFICATIONS_REDISPATCH_BATCH = env.int("NOTIFICATIONS_REDISPATCH_BATCH", default=500)
# Rows per Celery message: a fan-out pays the broker's per-message cost once per chunk, while a
# slow endpoint holds up at most the few rows that share its message. 1 = a message per row.
# Chunk × the longest delivery (WEBHOOK_TOTAL_TIMEOUT, EMAIL_TIMEOUT) stays below
# CELERY_TASK_SOFT_TIME_LIMIT (16 × 10 s < 240 s); a chunk that still runs out of time keeps
# what it sent and leaves the rest to the next dispatch.
NOTIFICATIONS_DISPATCH_CHUNK = env.int("NOTIFICATIONS_DISPATCH_CHUNK", default=16)
# Seconds one webhook delivery may take in all: connect, send, and the answer's status line and
# headers (a 2xx body is not waited for). A slower endpoint gets a failed attempt and its backoff.
WEBHOOK_TOTAL_TIMEOUT = env.float("WEBHOOK_TOTAL_TIMEOUT", default=10)
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-redispatch-due": {
            "task": "notifications.redispatch_due",
            "schedule": NOTIFICATIONS_REDISPATCH_SECONDS,
            # No expiry: a run that waited is still useful, and runs never overlap (a lock).
            "options": {"queue": NOTIFICATIONS_REDISPATCH_QUEUE},
        },
        "reviews-review-reminders": {
            "task": "reviews.send_review_reminders",
            "schedule": crontab(minute=0, hour=9),
            "options": {"queue": NOTIFICATIONS_QUEUE},
        },
        # Comments in a discussion are e-mailed in batches: what a minute gathered, at most.
        "reviews-discussion-batches": {
            "task": "reviews.notify_new_comments",
            "schedule": 60.0,
            "options": {"queue": NOTIFICATIONS_QUEUE},
        },
        "reviews-weekly-provider-digest": {
            "task": "reviews.send_provider_digests",
            "schedule": crontab(minute=0, hour=9, day_of_week="mon"),
            "options": {"queue": NOTIFICATIONS_QUEUE},
        },
        # The audit trail's daily signed checkpoint, sent to the witnesses (DESIGN.md §13).
        "audit-daily-checkpoint": {
            "task": "notifications.audit_checkpoint",
            "schedule": crontab(minute=5, hour=0),
            "options": {"queue": NOTIFICATIONS_QUEUE},
        },
    }
)

# DJANGO_LOG_LEVEL: the least level logged (`make demo` sets WARNING, so the logins are not
# scrolled away). The development server's request lines stay on at INFO.
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        "DJANGO_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# The applicant portal's pages (applications/urls.py); the admin keeps its own log-in page.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"

"""Production settings: refuse to start without a secret, and pass Django's deployment check."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "incubator.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_settings_production_without_secret_key_refuses_to_start():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_settings_check_deploy_clean_with_production_variables():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 20 + "-Zq8vLx3#tP0wR5yN2mB7cF9hJ4dG6sA1eK",
        DJANGO_ALLOWED_HOSTS="incubator.example.org",
        DATABASE_URL="postgres://incubator@127.0.0.1:5432/incubator",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_settings_plain_http_turns_https_only_settings_off():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS)",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_HTTPS="0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False 0"


def test_settings_embedded_defaults_sqlite_and_in_process_tasks():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, "
        "settings.EMAIL_BACKEND)",
        DJANGO_DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "django.db.backends.sqlite3 True django.core.mail.backends.console.EmailBackend"
    )
    assert "background tasks run in-process" in result.stderr


def test_settings_services_from_environment():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, "
        "settings.CELERY_BROKER_URL)",
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "django.db.backends.postgresql False redis://127.0.0.1:6379/3"
    )


def test_settings_cache_redis_from_cache_url_and_local_memory_by_default():
    show = (
        "from django.conf import settings; c = settings.CACHES['default']; "
        "print(c['BACKEND'], c.get('LOCATION'), settings.THROTTLE_AUTH, "
        "settings.LOGIN_LOCKOUT_FAILURES, settings.LOGIN_LOCKOUT_MINUTES, settings.NUM_PROXIES)"
    )
    redis = run_manage("shell", "-c", show, DJANGO_DEBUG="1", CACHE_URL="redis://127.0.0.1:6379/7")
    default = run_manage("shell", "-c", show, DJANGO_DEBUG="1")

    assert redis.returncode == default.returncode == 0, redis.stderr + default.stderr
    assert redis.stdout.strip().splitlines()[-1] == (
        "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/7 30/hour 5 15 0"
    )
    assert (
        default.stdout.strip()
        .splitlines()[-1]
        .startswith("django.core.cache.backends.locmem.LocMemCache ")
    )


def test_settings_log_level_warning_hides_info_lines():
    shown = run_manage("check", DJANGO_DEBUG="1")
    assert "INFO incubator.apps: CELERY_BROKER_URL is not set" in shown.stderr
    quiet = run_manage("check", DJANGO_DEBUG="1", DJANGO_LOG_LEVEL="warning")
    assert quiet.returncode == 0
    assert " INFO " not in quiet.stderr


def test_settings_log_level_unknown_refuses_to_start():
    result = run_manage("check", DJANGO_DEBUG="1", DJANGO_LOG_LEVEL="LOUD")
    assert result.returncode != 0
    assert "DJANGO_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL." in (
        result.stderr
    )

"""The lock-out counts in Redis (CACHE_URL), so two web processes see one counter.

Two real servers (`manage.py runserver`, separate processes) on the test database: failures
sent to either add up. The same servers on the local-memory default each keep their own count,
which is why a deployment with several processes sets CACHE_URL.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from django.db import connection

from tests.factories import UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def cache_url() -> str:
    """CACHE_URL when it names Redis; else the broker's Redis, one database number up."""
    configured = os.environ.get("CACHE_URL", "")
    if configured.startswith("redis://"):
        return configured
    broker = urlparse(os.environ["CELERY_BROKER_URL"])
    number = int(broker.path.strip("/") or 0) + 1
    return broker._replace(path=f"/{number}").geturl()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    return (
        f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        f"/{settings['NAME']}"
    )


@contextmanager
def server(cache: str | None) -> Iterator[str]:
    """A web process of its own on a free port; stopped (by its id) when the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        # Redis keeps the per-address token throttle between runs; this test is about lock-outs.
        "THROTTLE_AUTH": "10000/hour",
    }
    env.pop("CACHE_URL", None)
    if cache:
        env["CACHE_URL"] = cache
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server on port {port} did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def token(base: str, username: str, password: str) -> int:
    response = requests.post(
        f"{base}/api/v1/auth/token/",
        json={"username": username, "password": password},
        timeout=30,
    )
    return response.status_code


def test_lockout_counter_shared_by_two_processes_through_redis():
    username = f"ada-{uuid.uuid4().hex[:8]}"  # nothing counted for it before, in any run
    UserFactory(username=username)
    redis = cache_url()

    with server(redis) as first, server(redis) as second:
        assert [token(first, username, "wrong") for _ in range(3)] == [400, 400, 400]
        assert [token(second, username, "wrong") for _ in range(2)] == [400, 400]

        assert token(first, username, "pw") == 429
        assert token(second, username, "pw") == 429


def test_lockout_counter_per_process_without_a_shared_cache():
    username = f"bob-{uuid.uuid4().hex[:8]}"
    UserFactory(username=username)

    with server(None) as first, server(None) as second:
        assert [token(first, username, "wrong") for _ in range(3)] == [400, 400, 400]
        assert [token(second, username, "wrong") for _ in range(2)] == [400, 400]

        # Five failures in all, but no process saw five: each lets the right password through.
        assert token(first, username, "pw") == 200
        assert token(second, username, "pw") == 200

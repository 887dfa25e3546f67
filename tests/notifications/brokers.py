"""Brokers for tests: this process's Celery app pointed elsewhere, and a Redis of the test's own
on a free port of 127.0.0.1, which a test may pause (SIGSTOP) like a hung server."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

from incubator.celery import app as celery_app


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens (just freed by the kernel)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def drop_connections() -> None:
    """Forget the app's cached pools, so the next publish looks its broker up again."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def use_broker(url: str | None) -> None:
    """Point this process's Celery app at another broker (None: back to the configured one).

    The read and write URLs, which Celery prefers to `broker_url` (itself overridden by the
    CELERY_BROKER_URL environment variable)."""
    celery_app.conf.broker_write_url = url
    celery_app.conf.broker_read_url = url
    drop_connections()


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    use_broker(url)
    try:
        yield
    finally:
        use_broker(None)


class RedisServer:
    """`redis-server` on a free port, no persistence; paused and resumed by signals."""

    def __init__(self) -> None:
        self.port = closed_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe,
            ):
                probe.sendall(b"PING\r\n")
                if probe.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"redis-server did not start on port {self.port}")

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

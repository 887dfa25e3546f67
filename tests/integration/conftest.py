"""Real workers: a Celery worker process started by the test, on the Redis of CELERY_BROKER_URL."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """A `celery worker` subprocess consuming one private queue, so no other worker interferes."""

    def __init__(
        self,
        *,
        broker_url: str,
        queue: str,
        extra_env: dict[str, str],
        beat: bool = False,
        all_queues: bool = False,
    ) -> None:
        self.broker_url = broker_url
        self.queue = queue
        self.extra_env = extra_env
        # With beat, the worker also runs the periodic schedule (notifications' re-dispatch).
        self.beat = beat
        # Without -Q, as an operator starts it: every queue the settings declare (a test that
        # wants this gives the worker a broker of its own).
        self.all_queues = all_queues
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / "test-artifacts" / f"worker-{queue}.log"

    def start(self) -> None:
        self.log_path.parent.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_RESULT_BACKEND": self.broker_url,
            "TEST_WORKER": "1",
            **self.extra_env,
        }
        # A worker restarted on the same queue appends to the same log: read only what is new.
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "incubator",
                "worker",
                "--pool",
                "solo",
                *([] if self.all_queues else ["--queues", self.queue]),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                *(
                    ["--beat", "--schedule", str(self.log_path.with_suffix(".beat"))]
                    if self.beat
                    else []
                ),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so stopping it also stops an embedded beat process.
            start_new_session=True,
        )

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=5)

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
            if b"ready." in self.log_path.read_bytes()[self.log_offset :]:
                return
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready in {timeout}s: {self.log_path.read_text()[-2000:]}")


@pytest.fixture
def broker_url() -> str:
    # The `redis` marker (tests/conftest.py) has already checked that this is set and answers.
    return os.environ["CELERY_BROKER_URL"]


@pytest.fixture
def start_worker(broker_url) -> Iterator:
    started: list[WorkerProcess] = []

    def start(*, queue: str | None = None, beat: bool = False, **extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(
            broker_url=broker_url,
            queue=queue or f"test-{uuid.uuid4().hex[:12]}",
            extra_env=extra_env,
            beat=beat,
        )
        worker.start()
        worker.wait_ready()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()

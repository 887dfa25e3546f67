"""Real workers: a Celery worker process started by the test, on the Redis of CELERY_BROKER_URL."""

import os
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

    def __init__(self, *, broker_url: str, queue: str, extra_env: dict[str, str]) -> None:
        self.broker_url = broker_url
        self.queue = queue
        self.extra_env = extra_env
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / "test-artifacts" / f"worker-{queue}.log"

    def start(self) -> None:
        self.log_path.parent.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_RESULT_BACKEND": self.broker_url,
            **self.extra_env,
        }
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
                "--queues",
                self.queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
            if "ready." in self.log_path.read_text(errors="replace"):
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

    def start(*, queue: str | None = None, **extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(
            broker_url=broker_url,
            queue=queue or f"test-{uuid.uuid4().hex[:12]}",
            extra_env=extra_env,
        )
        worker.start()
        worker.wait_ready()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()

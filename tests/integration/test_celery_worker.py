"""The broker wiring: a real worker on Redis runs a task sent from another process."""

import pytest
from celery import Celery


@pytest.mark.redis
def test_celery_worker_answers_health_task(start_worker, broker_url):
    worker = start_worker()
    client = Celery(broker=broker_url, backend=broker_url)
    client.conf.update(accept_content=["json"], task_serializer="json", result_serializer="json")

    result = client.send_task("incubator.ping", queue=worker.queue)

    assert result.get(timeout=30) == "pong"

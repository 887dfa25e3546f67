"""Operational tasks of the programme app."""

from celery import shared_task


@shared_task(name="incubator.ping", ignore_result=False)
def ping() -> str:
    """A health check: a worker that answers "pong" is connected to the broker."""
    return "pong"

"""The Celery application; every setting lives in Django's settings under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import celeryd_after_setup
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incubator.settings")

app = Celery("incubator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_after_setup.connect
def consume_redispatch_with_deliveries(sender, instance, **kwargs) -> None:
    """A worker that delivers notifications also runs beat's re-dispatch, from its own queue.

    A plain `celery worker` consumes every declared queue, the re-dispatch queue among them; a
    worker given `-Q <NOTIFICATIONS_QUEUE>` (a deployment with workers of its own for
    notifications) gets the re-dispatch queue added here, so no setup leaves it unconsumed.
    """
    queues = instance.app.amqp.queues
    if settings.NOTIFICATIONS_QUEUE in queues.consume_from:
        queues.select_add(queues[settings.NOTIFICATIONS_REDISPATCH_QUEUE])

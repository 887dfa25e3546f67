"""The health endpoint: can this site store and send notifications right now?"""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import selectors

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """`GET /healthz/`, for a load balancer or a monitor: no log-in, no personal data.

    200 when the database answers, the broker answers (or none is configured: tasks run
    in-process) and no outbox row is stale; 503 otherwise. Failed rows are counted but keep the
    answer 200: each is a message a coordinator must look at (the dashboard shows them), not a
    sign that the site is unwell.
    """
    try:
        counts = selectors.outbox_counts().as_dict()
        database = "ok"
    except DatabaseError as error:
        logger.warning("health check: the database does not answer: %s", error)
        counts = {"pending": None, "stale": None, "failed": None}
        database = "error"
    broker = selectors.broker_status()
    healthy = (
        database == "ok"
        and broker in {selectors.BROKER_OK, selectors.BROKER_NOT_CONFIGURED}
        and counts["stale"] == 0
    )
    return JsonResponse(
        {"database": database, "broker": broker, "outbox": counts},
        status=200 if healthy else 503,
    )

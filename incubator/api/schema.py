"""Shared pieces of the OpenAPI description: DRF's error shapes, documented once."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

DetailSerializer = inline_serializer(name="ErrorDetail", fields={"detail": serializers.CharField()})

_DESCRIPTIONS = {
    400: 'A bad value: `{"field": ["message"]}`, each field named with its rule.',
    401: "Not logged in: no valid session or `Authorization: Token <key>`.",
    403: "Logged in but not allowed.",
    404: "No such object, or one this user may not see.",
    409: "A rule of the workflow forbids this now (wrong status, closed round, scored rubric).",
    415: "The request body's content type is not one the endpoint reads.",
    429: "Too many requests from this address (`THROTTLE_AUTH`), or too many failed log-ins "
    "for this account from this address: try again after the seconds in `Retry-After`.",
}

# The header of every 429: seconds until the request may be made again.
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the request may be made again.",
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error status codes, in DRF's shapes."""
    responses = {}
    for code in codes:
        if code == 400:
            responses[code] = OpenApiResponse(
                response=OpenApiTypes.OBJECT, description=_DESCRIPTIONS[400]
            )
        else:
            responses[code] = OpenApiResponse(
                response=DetailSerializer, description=_DESCRIPTIONS[code]
            )
    return responses

"""Shared pieces of the OpenAPI description: DRF's error shapes documented once, one naming
scheme for operations, and the finishing touches a generated client needs.

Operation ids are `<resource>_<action>` (`rounds_list`, `applications_submit`,
`shortlists_export_csv`) and each operation is tagged with its resource, the first segment of its
path under /api/v1/.
"""

import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

API_PREFIX = "/api/v1/"

DetailSerializer = inline_serializer(name="ErrorDetail", fields={"detail": serializers.CharField()})

_DESCRIPTIONS = {
    400: 'A bad value: `{"field": ["message"]}`, each field named with its rule.',
    401: "Not logged in: no valid session or `Authorization: Token <key>`.",
    403: "Logged in but not allowed.",
    404: "No such object, or one this user may not see.",
    405: "The method is not one this path answers.",
    406: "No representation in a media type the `Accept` header allows.",
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

# The documented shape of a 400: field names mapping to lists of messages (nested objects or
# lists of them for nested fields), and `detail` for an error that belongs to no field.
VALIDATION_ERROR_COMPONENT = {
    "type": "object",
    "description": _DESCRIPTIONS[400],
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}

_ACTIONS = {
    ("get", True): "list",
    ("get", False): "retrieve",
    ("post", True): "create",
    ("put", False): "update",
    ("patch", False): "partial_update",
    ("delete", False): "destroy",
}


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


def _path_words(path: str) -> list[str]:
    """`/api/v1/shortlists/{id}/export.csv` → ["shortlists", "export_csv"]."""
    return [
        re.sub(r"[^0-9a-z]+", "_", segment.lower()).strip("_")
        for segment in path.removeprefix(API_PREFIX).split("/")
        if segment and not segment.startswith("{")
    ]


def operation_id(path: str, method: str) -> str:
    words = _path_words(path)
    if len(words) > 1:
        # An action or a sub-resource: named by its path (`applications_submit`).
        return "_".join(words)
    on_collection = not path.rstrip("/").endswith("}")
    return f"{words[0]}_{_ACTIONS[(method.lower(), on_collection)]}"


class Schema(AutoSchema):
    """drf-spectacular's schema with our operation names and one tag per resource."""

    def get_operation_id(self) -> str:
        return operation_id(self.path, self.method)

    def get_tags(self) -> list[str]:
        return [_path_words(self.path)[0]]


def finish_schema(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: what every operation shares, stated once.

    - An operation that several methods of one path share a name with gets its verb appended.
    - Error answers are JSON everywhere (file downloads too); 400 answers refer to the
      `ValidationError` component; every operation documents 406, every one with a body 415.
    - A query parameter whose values are those of a component enum refers to it, so a client
      has one `TrackEnum`, not one copy per parameter.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ValidationError"] = VALIDATION_ERROR_COMPONENT
    enums = {
        frozenset(schema["enum"]): name
        for name, schema in schemas.items()
        if "enum" in schema and schema.get("type") == "string"
    }
    detail = {"$ref": "#/components/schemas/ErrorDetail"}
    for path, item in result.get("paths", {}).items():
        methods = [method for method in item if method in {"get", "post", "put", "patch", "delete"}]
        for method in methods:
            operation = item[method]
            if len(methods) > 1 and len(_path_words(path)) > 1 and method != "get":
                operation["operationId"] = f"{operation['operationId']}_{_verb(method)}"
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                # Errors are JSON on every endpoint, file downloads included.
                content = response.get("content", {})
                if int(code) >= 400 and "application/json" not in content:
                    schema = next(iter(content.values()), {"schema": detail})
                    response["content"] = {"application/json": schema}
            if "400" in responses:
                responses["400"]["content"] = {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}
                }
            responses.setdefault(
                "406",
                {
                    "description": _DESCRIPTIONS[406],
                    "content": {"application/json": {"schema": detail}},
                },
            )
            if "requestBody" in operation:
                responses.setdefault(
                    "415",
                    {
                        "description": _DESCRIPTIONS[415],
                        "content": {"application/json": {"schema": detail}},
                    },
                )
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                target = schema.get("items", schema)
                name = enums.get(frozenset(target.get("enum", ())))
                if name and target.get("type") == "string":
                    target.clear()
                    target["$ref"] = f"#/components/schemas/{name}"
    return result


def _verb(method: str) -> str:
    return {"post": "create", "put": "update", "patch": "partial_update", "delete": "destroy"}[
        method
    ]

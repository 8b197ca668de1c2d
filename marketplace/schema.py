"""OpenAPI: the one error format on every operation, and lists paginated only when read.

A view documents which error codes it can answer beyond the common ones with
`error_responses(402, 409)`; the body of every 4xx is the Error schema, the shape the
exception handler (marketplace.errors) writes."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Errors by field: `{"field": ["message"]}`; the rest under '
    "`non_field_errors`. A nested field is named by its path, e.g. `purchase.lead_id` "
    "or `zip_codes.0`.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "minProperties": 1,
    "example": {"non_field_errors": ["Authentication credentials were not provided."]},
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input, or a business rule refused the request.",
    "401": "Missing or unknown credentials.",
    "402": "Your balance does not cover the price.",
    "403": "Authenticated, but not allowed.",
    "404": "Not found, or not yours.",
    "405": "This method is not allowed here.",
    "406": "The Accept header asks for a format the API does not serve.",
    "409": "The object's state changed: taken, full, expired, already decided, or a "
    "price that moved.",
    "413": "The request body is too large.",
    "415": "Unsupported Content-Type.",
    "429": "Too many requests or failed log-ins; try later.",
}
# Every operation can answer these (credentials, scoping, input, throttling).
COMMON_ERRORS = ("400", "401", "403", "404", "429")
ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def error_responses(*codes: int) -> dict:
    """extend_schema `responses` entries for a view's own error codes; the hook adds the body."""
    return {code: OpenApiResponse(description=ERROR_DESCRIPTIONS[str(code)]) for code in codes}


class AutoSchema(SpectacularAutoSchema):
    """A POST on a list URL answers what it created, never a page: pagination (its
    envelope and `?page=`) is documented on GET only."""

    def _get_paginator(self):
        if self.method != "GET":
            return None
        return super()._get_paginator()


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code in COMMON_ERRORS:
                responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
            if "requestBody" in operation:
                responses.setdefault("415", {"description": ERROR_DESCRIPTIONS["415"]})
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = ERROR_REF
    return result

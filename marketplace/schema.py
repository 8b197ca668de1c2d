"""OpenAPI post-processing: document the one error format on every operation."""

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Errors by field: `{"field": ["message"]}`; the rest under `non_field_errors`.',
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"non_field_errors": ["Authentication credentials were not provided."]},
}

ERROR_RESPONSES = {
    "400": "Invalid input, or a business rule refused the request.",
    "401": "Missing or unknown credentials.",
    "403": "Authenticated, but not allowed.",
    "404": "Not found, or not yours.",
    "429": "Too many requests or failed log-ins; try later.",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                # An operation may word an error itself (extend_schema); its body is still ours.
                response = responses.setdefault(code, {"description": description})
                response.setdefault(
                    "content",
                    {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                )
    return result

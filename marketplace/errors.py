"""Domain errors and the one place that turns errors into API responses."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

NON_FIELD = "non_field_errors"


class DomainError(Exception):
    """A business rule said no. `message` is shown to the person as it is."""

    status_code = status.HTTP_400_BAD_REQUEST
    field = NON_FIELD

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


def add_domain_error(form, error: DomainError) -> None:
    """Show a domain error on a form, next to its field when the form has that field."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def api_exception_handler(exc, context):
    """Every API error body is `{"field": ["message"]}`; the rest under `non_field_errors`."""
    if isinstance(exc, DomainError):
        return Response({exc.field: [exc.message]}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        data = {NON_FIELD: [str(data["detail"])]}
    response.data = flat_errors(data)
    return response


def flat_errors(data) -> dict[str, list[str]]:
    """Nested serializer errors (`{"purchase": {"lead_id": [...]}}`) as one level keyed by
    path (`purchase.lead_id`), so every error body is `{"field": ["message"]}`, as
    documented. The items of a list field answer under the field itself
    (`{"zip_codes": {0: [...]}}` is `{"zip_codes": [...]}`): the message names the item."""
    flat: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, _join(path, key))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            for inner in value:
                walk(inner, path)
        elif isinstance(value, list):
            messages = flat.setdefault(path or NON_FIELD, [])
            messages.extend(str(v) for v in value if str(v) not in messages)
        else:
            flat.setdefault(path or NON_FIELD, []).append(str(value))

    walk(data, "")
    return flat or {NON_FIELD: ["Invalid request."]}


def _join(path: str, key) -> str:
    if isinstance(key, int) or str(key).isdigit():
        return path or NON_FIELD
    return f"{path}.{key}" if path else str(key)

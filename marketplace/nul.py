"""Refuse a NUL character anywhere in a request, in one place, before any view runs.

PostgreSQL cannot store U+0000 in text (SQLite can): a NUL that reaches a query, a lookup
or a save is a 500 there. No honest client sends one, so a request carrying a NUL in its
path, query string, headers or body is answered 400 at once and nothing is written,
webhooks included (a signed Stripe or Twilio body with a NUL is refused the same way:
neither provider sends one, and refusing it writes nothing).
"""

import re
from urllib.parse import unquote_to_bytes

from django.http import HttpResponse, JsonResponse

from .errors import NON_FIELD

MESSAGE = "The request contains a NUL character, which is not allowed."

# A JSON string escape for U+0000: `\u0000` preceded by an even number of backslashes
# (`\\u0000` is a backslash followed by the text "u0000", which is harmless).
JSON_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def has_nul(request) -> bool:
    if "\x00" in request.path_info or "\x00" in request.path:
        return True
    if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return True
    if any(
        "\x00" in value
        for key, value in request.META.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    ):
        return True
    return _body_has_nul(request)


def _body_has_nul(request) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "").lower()
    if content_type.startswith("multipart/"):
        # Fields only: an uploaded file may be binary. The body is read first (no view of
        # ours takes an upload, so all of it fits DATA_UPLOAD_MAX_MEMORY_SIZE) and parsed
        # from that copy, so a view reading request.body afterwards (a webhook) still can.
        request.body  # noqa: B018
        return any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.POST.lists()
        ) or any("\x00" in (upload.name or "") for upload in request.FILES.values())
    if not int(request.META.get("CONTENT_LENGTH") or 0) and not request.META.get(
        "HTTP_TRANSFER_ENCODING"
    ):
        return False
    body = request.body
    if b"\x00" in body:
        return True
    if content_type.startswith("application/x-www-form-urlencoded"):
        return b"\x00" in unquote_to_bytes(body.replace(b"+", b" "))
    if "json" in content_type:
        return JSON_NUL_ESCAPE.search(body) is not None
    return False


class RefuseNulMiddleware:
    """400 for any request carrying a NUL; the API answers in its error format."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({NON_FIELD: [MESSAGE]}, status=400)
            return HttpResponse(
                f"Bad request. {MESSAGE}\n", status=400, content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)

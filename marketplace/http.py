"""Request helpers shared by every app."""

import csv
import logging

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django_ratelimit import ALL
from django_ratelimit.core import get_usage, is_ratelimited

logger = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The visitor's IP: with PROXY_COUNT trusted proxies in front, read X-Forwarded-For
    from the right (each proxy appends the address it saw), else REMOTE_ADDR."""
    count = settings.PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR") or None


def ratelimit_ip(request) -> str:
    """django-ratelimit's "ip" key; requests without an address share one bucket."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104 - a bucket name, not a bind address


def limited(request, *, group: str, rate: str, key: str = "ip", peek: bool = False) -> bool:
    """Count this request and say whether it is over `rate` (django-ratelimit), or with
    `peek`, say whether the limit is already used up without counting.

    Fails open: if the cache (Redis) is down, the person is let through and the outage
    logged, rather than answered with an error page.
    """
    try:
        if peek:
            usage = get_usage(request, group=group, key=key, rate=rate, method=ALL, increment=False)
            return usage is not None and usage["count"] >= usage["limit"]
        return is_ratelimited(request, group=group, key=key, rate=rate, method=ALL, increment=True)
    except Exception:  # noqa: BLE001 - any cache failure
        logger.exception("Rate limit check failed for %s; letting the request through", group)
        return False


def csv_download(filename: str):
    """A CSV file the browser saves as `filename`: the response, and a writer into it."""

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)


class _Line:
    """csv.writer's file: each row written is handed back as it is, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_stream(filename: str, rows) -> StreamingHttpResponse:
    """A CSV file the browser saves as `filename`, written row by row as `rows` (an
    iterable of lists, the header first) is read: memory stays flat however long it is."""

    writer = csv.writer(_Line())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

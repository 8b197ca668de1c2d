"""Request helpers shared by every app."""

from django.conf import settings


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

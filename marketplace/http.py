"""Request helpers shared by every app."""

import csv
import io
import logging
import time
import weakref

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse, StreamingHttpResponse
from django_ratelimit import ALL

# django-ratelimit's own readers, so a rate and an address mean here what they mean to its
# decorator: the rate's spelling ("20/hour"), and the visitor's bucket (ratelimit_ip below,
# masked to RATELIMIT_IPV6_MASK: one IPv6 /64 is one visitor).
from django_ratelimit.core import _get_ip as ratelimit_bucket_ip  # noqa: PLC2701
from django_ratelimit.core import _split_rate as ratelimit_split_rate  # noqa: PLC2701
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


def _split_rate(rate: str) -> tuple[int, int]:
    """ "20/h" -> (20, 3600); "5/10m" -> (5, 600): django-ratelimit's own parser, so every
    spelling its decorator takes ("20/hour") means the same here."""
    return ratelimit_split_rate(rate)


def over_limits(request, *, count=(), peek=(), read=()) -> set[str]:
    """The groups this address is over: each of `count` ((group, rate) pairs) counts this
    request first, each of `peek` is only read, full at its limit. Fixed windows per rate's
    period, in one round trip to Redis (a pipeline).

    `read`: (cache keys of integers, a callback): the same round trip reads them and the
    callback gets {key: value} (marketplace.localcache's versions for intake).

    Fails open: if the cache (Redis) is down, the person is let through and the outage
    logged, rather than answered with an error page.
    """
    keys, then = read or ((), None)
    ip = ratelimit_bucket_ip(request)
    now = int(time.time())
    entries = []
    for group, rate, counting in [(*item, True) for item in count] + [
        (*item, False) for item in peek
    ]:
        limit, period = _split_rate(rate)
        key = f"rl:{group}:{ip}:{period}:{now // period}"
        entries.append((group, limit, period, key, counting))
    try:
        values, extra = _count(entries, list(keys))
    except Exception:  # noqa: BLE001 - any cache failure
        logger.exception("Rate limit check failed for %s; letting the request through", entries)
        if then is not None:
            then(None)
        return set()
    if then is not None:
        then(extra)
    return {
        group
        for (group, limit, _, _, counting), value in zip(entries, values, strict=True)
        if (value > limit if counting else value >= limit)
    }


def _count(entries, keys: list[str]) -> tuple[list[int], dict | None]:
    client = _redis_client()
    if client is None:  # a per-process cache (the embedded set-up): several calls
        values = []
        for _, _, period, key, counting in entries:
            if counting:
                cache.add(key, 0, period)
                values.append(cache.incr(key))
            else:
                values.append(int(cache.get(key) or 0))
        return values, (cache.get_many(keys) if keys else None)
    pipe = client.pipeline(transaction=False)
    for _, _, period, key, counting in entries:
        key = cache.make_and_validate_key(key)
        if counting:
            pipe.set(key, 0, ex=period, nx=True)
            pipe.incr(key)
        else:
            pipe.get(key)
    for key in keys:
        pipe.get(cache.make_and_validate_key(key))
    results = iter(pipe.execute())
    values = []
    for *_, counting in entries:
        if counting:
            next(results)
        values.append(int(next(results) or 0))
    # Integers are stored as they are by Django's Redis cache.
    extra = {key: _int_or_none(raw) for key, raw in zip(keys, results, strict=True)}
    return values, (extra if keys else None)


def _int_or_none(raw) -> int | None:
    try:
        return None if raw is None else int(raw)
    except ValueError:
        return None


def _redis_client():
    """The Redis client behind Django's cache, or None for another backend. Kept, one per
    cache client (each thread has its own): Django builds a new one on every call, and
    building one (redis-py fills its table of reply parsers) cost as much Python as the
    round trip it was for, twice a quote request."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    cache_client = backend._cache  # noqa: SLF001 - no public way to pipeline
    client = _CLIENTS.get(cache_client)
    if client is None:
        client = _CLIENTS[cache_client] = cache_client.get_client(write=True)
    return client


_CLIENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def csv_download(filename: str):
    """A CSV file the browser saves as `filename`: the response, and a writer into it."""

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)


def csv_stream(filename: str, rows, *, rows_per_chunk: int = 500) -> StreamingHttpResponse:
    """A CSV file the browser saves as `filename`, written as `rows` (an iterable of lists,
    the header first) is read, `rows_per_chunk` rows to a chunk: memory stays flat however
    long it is, and the server writes to the socket once a chunk, not once a row."""

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for number, row in enumerate(rows, start=1):
            writer.writerow(row)
            if number % rows_per_chunk == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        if tail := buffer.getvalue():
            yield tail

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

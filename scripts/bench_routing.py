"""How routing one lead scales with the pros it is offered to (issue 16, "Speed").

    DATABASE_URL=postgres://... REDIS_URL=redis://.../N .venv/bin/python scripts/bench_routing.py

Creates a throw-away test database (test_<name>), 1000 elite plumbers serving one zip (four
time zones, a third of them texted, some in quiet hours), then routes fresh leads in this
process to 10, 200 and 1000 of them: services.route(), as the routing task runs it, with its
tasks published to the configured broker on a private queue (deleted at the end). Prints the
median time and the SQL statements per route, and t(N) / t(10). Not a test: numbers only.
"""

import os
import statistics
import sys
import time
import uuid
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE  # nobody else consumes what we publish

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)

SIZES = (10, 200, 1000)
REPEAT = 5
ZONES = ["America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York"]


def make_pros(count, zip_code):
    from tests.factories import ContractorFactory, fund

    pros = []
    for n in range(count):
        quiet = n % 7 == 0  # some in quiet hours around the clock: their texts wait
        pro = ContractorFactory(
            tier="elite",
            service_zips=[zip_code.code],
            timezone=ZONES[n % len(ZONES)],
            notify_sms=n % 3 == 0,
            quiet_hours_start=clock_time(0, 0) if quiet else None,
            quiet_hours_end=clock_time(23, 59) if quiet else None,
        )
        pros.append(fund(pro))
    return pros


def route_once(n, zip_code, category):
    from leads import services
    from leads.models import Lead, Offer
    from tests.factories import LeadFactory

    lead = LeadFactory(
        status=Lead.Status.OPEN,
        zip_code=zip_code,
        category=category,
        phone=f"+1858555{n % 10000:04d}",
        email=f"bench{n}@example.com",
    )
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        services.route(lead.pk)
        elapsed = time.perf_counter() - started
    return elapsed, len(queries), Offer.objects.filter(lead=lead).count()


def main():
    from marketplace.models import Contractor
    from tests.factories import ServiceCategoryFactory, ZipCodeFactory

    setup_test_environment()  # mail to memory
    name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        plumbing = ServiceCategoryFactory(name="Plumbing", slug="plumbing")
        downtown = ZipCodeFactory(code="92101", state="CA", timezone="America/Los_Angeles")
        started = time.perf_counter()
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            pros = make_pros(max(SIZES), downtown)
        print(f"{len(pros)} pros in {time.perf_counter() - started:.0f} s ({connection.vendor})")
        results = {}
        counter = 0
        for size in SIZES:
            Contractor.objects.update(is_active=False)
            Contractor.objects.filter(pk__in=[p.pk for p in pros[:size]]).update(is_active=True)
            route_once(counter, downtown, plumbing)  # warm
            counter += 1
            runs = []
            for _ in range(REPEAT):
                runs.append(route_once(counter, downtown, plumbing))
                counter += 1
            assert {offers for *_, offers in runs} == {size}, runs
            results[size] = (
                statistics.median(t for t, *_ in runs),
                sorted({q for _, q, _ in runs}),
            )
        base = results[SIZES[0]][0]
        for size, (elapsed, counts) in results.items():
            print(
                f"route to {size:>4} pros: {elapsed * 1000:7.1f} ms (median of {REPEAT}), "
                f"{'/'.join(map(str, counts))} statements, {elapsed / base:4.1f}x t({SIZES[0]})"
            )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        from config.celery import app

        with app.connection_for_write() as conn:
            for queue in (QUEUE, f"{QUEUE}-fast"):
                try:
                    conn.default_channel.queue_delete(queue)
                except Exception:  # noqa: BLE001, S110 - never declared
                    pass


if __name__ == "__main__":
    main()

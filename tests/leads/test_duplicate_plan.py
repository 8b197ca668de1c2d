"""PostgreSQL answers the duplicate check from its indexes (lead_dup_phone_idx and
lead_dup_email_idx), never by walking a category's leads: with statistics taken before
thousands of leads came in (a burst), planned with the values, and in the plan it keeps for
the prepared statement, made without them."""

import itertools
import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from leads import policy
from leads.models import Lead
from leads.services import intake
from marketplace.models import ZipCode

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "+16195550123", "dana@example.com"


@pytest.fixture
def burst(plumbing, metro_zips):
    """Statistics of an almost empty table, then 3,000 plumbing leads of other homeowners."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    downtown = ZipCode.objects.get(code="92101")
    rng = random.Random(7)
    Lead.objects.bulk_create(
        Lead(
            reference=f"FL-B{n:05d}",
            status_token=f"burst-{n:05d}-{'x' * 32}",
            status=rng.choice(["open", "rejected", "filled"]),
            category=plumbing,
            zip_code=downtown,
            description="The kitchen sink drain is clogged and water backs up.",
            timeframe="weeks",
            job_size="medium",
            ownership="owner",
            estimated_value_cents=45_000,
            name="Burst Homeowner",
            phone=f"+1512{n:07d}",
            email=f"burst{n}@example.com",
            preferred_contact="phone",
        )
        for n in range(3000)
    )
    return plumbing


def _plan(cursor, sql: str, params) -> str:
    cursor.execute("EXPLAIN " + sql, params)
    return "\n".join(row[0] for row in cursor.fetchall())


def _assert_on_the_duplicate_indexes(plan: str) -> None:
    assert "lead_dup_phone_idx" in plan, plan
    assert "lead_dup_email_idx" in plan, plan
    assert "Seq Scan on leads_lead" not in plan, plan
    assert "leads_lead_category_id" not in plan, plan


def test_the_duplicate_check_uses_its_indexes_with_stale_statistics(burst):
    values = {
        "phone": PHONE,
        "email": EMAIL,
        "category_id": burst.pk,
        "since": timezone.now() - policy.DUPLICATE_WINDOW,
    }
    sql, params = intake._EARLIER.sql(shape=True, **values)
    with connection.cursor() as cursor:
        _assert_on_the_duplicate_indexes(_plan(cursor, sql, params))


def test_the_plan_kept_for_the_prepared_duplicate_check_uses_its_indexes(burst):
    downtown = ZipCode.objects.get(code="92101")
    found = intake._earlier_and_coverage(
        phone=PHONE, email=EMAIL, category=burst, zip_code=downtown, covered=True
    )
    assert found == (None, False, True)
    sql, params = intake._EARLIER.sql(
        shape=True,
        phone=PHONE,
        email=EMAIL,
        category_id=burst.pk,
        since=timezone.now() - timedelta(days=30),
    )
    with connection.cursor() as cursor:
        # psycopg's prepared statement for it: its text, with $1, $2... for the values.
        numbers = itertools.count(1)
        text = re.sub("%s", lambda _: f"${next(numbers)}", sql)
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement = %s", [text])
        names = [row[0] for row in cursor.fetchall()]
        assert len(names) == 1, names
        # The plan PostgreSQL keeps once it stops planning with the values (a generic plan).
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        placeholders = ", ".join(["%s"] * len(params))
        plan = _plan(cursor, f"EXECUTE {names[0]}({placeholders})", params)
    assert "= $1" in plan  # planned without the values
    _assert_on_the_duplicate_indexes(plan)

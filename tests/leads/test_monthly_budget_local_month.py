"""The monthly budget is the contractor's local month: a San Diego pro's budget resets at
midnight on the 1st in San Diego, not at midnight UTC (5 PM the day before)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from leads import queries
from marketplace.models import Contractor
from tests.factories import ContractorFactory, LeadFactory, PurchaseFactory

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
NEW_YORK = ZoneInfo("America/New_York")


def pro(zone: ZoneInfo) -> Contractor:
    # Budget $10: one more $4.50 lead fits only when less than $5.50 is spent this month.
    return ContractorFactory(
        timezone=zone.key, monthly_budget_cents=1_000, daily_lead_cap=50, weekly_lead_cap=50
    )


def spend(contractor, at: datetime, clock, *, leads=2):
    clock.move_to(at, tick=False)
    for _ in range(leads):
        PurchaseFactory(contractor=contractor, price_cents=450)


def buyer_ids(clock, at: datetime) -> set[int]:
    clock.move_to(at, tick=False)
    lead = LeadFactory()
    return set(
        queries.buyers(lead, price_cents=450, now=at.astimezone(ZoneInfo("UTC"))).values_list(
            "pk", flat=True
        )
    )


def test_a_san_diego_budget_resets_at_local_midnight_on_the_first(clock):
    san_diego = pro(LA)
    # $9 spent on March 31 at 8 PM in San Diego: April 1, 03:00 UTC.
    spend(san_diego, datetime(2026, 3, 31, 20, 0, tzinfo=LA), clock)
    # 11:30 PM on the 31st in San Diego (already April in UTC): still March, budget spent.
    assert san_diego.pk not in buyer_ids(clock, datetime(2026, 3, 31, 23, 30, tzinfo=LA))
    # 12:05 AM on April 1 in San Diego: a new month, a new budget.
    assert san_diego.pk in buyer_ids(clock, datetime(2026, 4, 1, 0, 5, tzinfo=LA))


def test_a_purchase_late_on_the_last_local_day_counts_in_that_month(clock):
    san_diego = pro(LA)
    # $9 spent at 11:30 PM on October 31 in San Diego (November 1 in UTC).
    spend(san_diego, datetime(2026, 10, 31, 23, 30, tzinfo=LA), clock)
    # November 1 at 9 AM in San Diego (the day clocks fall back): November's budget is new.
    assert san_diego.pk in buyer_ids(clock, datetime(2026, 11, 1, 9, 0, tzinfo=LA))
    # And it was spent in October: at 11:45 PM on the 31st the pro was over budget.
    assert san_diego.pk not in buyer_ids(clock, datetime(2026, 10, 31, 23, 45, tzinfo=LA))


def test_one_query_serves_pros_in_different_zones(clock, django_assert_max_num_queries):
    san_diego, new_york = pro(LA), pro(NEW_YORK)
    # Each spent $9 on the evening of March 31, local time.
    spend(san_diego, datetime(2026, 3, 31, 19, 0, tzinfo=LA), clock)  # April 1, 02:00 UTC
    spend(new_york, datetime(2026, 3, 31, 23, 0, tzinfo=NEW_YORK), clock)  # April 1, 03:00 UTC
    # April 1, 05:00 UTC: 1 AM on April 1 in New York, 10 PM on March 31 in San Diego.
    at = datetime(2026, 4, 1, 5, 0, tzinfo=ZoneInfo("UTC"))
    clock.move_to(at, tick=False)
    lead = LeadFactory()
    with django_assert_max_num_queries(2):  # the pros' zones, then the buyers
        ids = set(queries.buyers(lead, price_cents=450, now=at).values_list("pk", flat=True))
    assert new_york.pk in ids
    assert san_diego.pk not in ids

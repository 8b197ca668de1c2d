"""A statement month is the contractor's local month: an entry at 11:30 PM on March 31 in
San Diego is in March, though it is April 1 in UTC."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from billing import queries, services
from tests.pages import says_utc

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def late_in_march(contractor, time_machine):
    account = services.account_for(contractor)
    time_machine.move_to(datetime(2026, 3, 31, 23, 30, tzinfo=LA), tick=False)  # Apr 1 UTC
    services.post_entry(account, kind="top_up", amount_cents=5_000, memo="Late March")
    time_machine.move_to(datetime(2026, 4, 1, 0, 30, tzinfo=LA), tick=False)
    services.post_entry(account, kind="top_up", amount_cents=700, memo="Early April")
    return account


def test_an_entry_late_on_the_last_local_day_is_in_that_months_statement(contractor, late_in_march):
    march = [e.memo for e in queries.statement(contractor, month=date(2026, 3, 1))]
    april = [e.memo for e in queries.statement(contractor, month=date(2026, 4, 1))]
    assert (march, april) == (["Late March"], ["Early April"])
    assert queries.statement_months(contractor) == [date(2026, 4, 1), date(2026, 3, 1)]


def test_the_statement_page_and_csv_show_local_times(contractor_client, late_in_march):
    response = contractor_client.get(reverse("billing:home"), {"month": "2026-03"})
    page = response.content.decode()
    assert [e.memo for e in response.context["page"]] == ["Late March"]
    assert "11:30 PM PDT" in page and not says_utc(page)
    rows = list(
        csv.reader(
            io.StringIO(
                contractor_client.get(reverse("billing:statement-csv"), {"month": "2026-03"})
                .getvalue()
                .decode()
            )
        )
    )
    assert [r[0] for r in rows[1:]] == ["2026-03-31T23:30:00-07:00"]

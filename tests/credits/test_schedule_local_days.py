"""The non-contact schedule and the claim window speak in the contractor's local days."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from credits import policy
from credits.policy import Attempt

LA = ZoneInfo("America/Los_Angeles")
PHOENIX = ZoneInfo("America/Phoenix")  # no daylight saving time


def calls(*moments, delivered):
    return [Attempt("call", delivered + timedelta(minutes=5), False)] + [
        Attempt("call", m, False) for m in moments
    ]


@pytest.mark.parametrize("zone", [LA, PHOENIX])
def test_a_call_at_11_50_pm_local_on_delivery_day_counts_as_the_same_day(zone):
    delivered = datetime(2026, 3, 31, 21, 0, tzinfo=zone)
    late_evening = datetime(2026, 3, 31, 23, 50, tzinfo=zone)  # the next UTC day already
    assert late_evening.astimezone(UTC).date().day == 1
    missing = policy.non_contact_shortfall(
        calls(late_evening, delivered=delivered), delivered_at=delivered, time_zone=zone.key
    )
    assert "a second call on the day of delivery" not in missing
    assert "a call on day 2" in missing


def test_ten_minutes_after_local_midnight_is_day_two():
    delivered = datetime(2026, 3, 31, 21, 0, tzinfo=LA)
    after_midnight = datetime(2026, 4, 1, 0, 10, tzinfo=LA)
    missing = policy.non_contact_shortfall(
        calls(after_midnight, delivered=delivered),
        delivered_at=delivered,
        time_zone="America/Los_Angeles",
    )
    assert "a second call on the day of delivery" in missing
    assert "a call on day 2" not in missing


@pytest.mark.parametrize(
    ("delivered", "day_2", "day_3"),
    [
        # Delivered the evening before clocks spring forward (Sunday 2026-03-08 is 23 hours).
        (
            datetime(2026, 3, 7, 20, 0, tzinfo=LA),
            datetime(2026, 3, 8, 23, 30, tzinfo=LA),
            datetime(2026, 3, 9, 0, 30, tzinfo=LA),
        ),
        # Delivered the evening before clocks fall back (Sunday 2026-11-01 is 25 hours).
        (
            datetime(2026, 10, 31, 20, 0, tzinfo=LA),
            datetime(2026, 11, 1, 23, 30, tzinfo=LA),
            datetime(2026, 11, 2, 0, 30, tzinfo=LA),
        ),
    ],
)
def test_days_two_and_three_follow_the_local_calendar_across_dst(delivered, day_2, day_3):
    schedule = [
        Attempt("call", delivered + timedelta(minutes=5), False),
        Attempt("call", delivered + timedelta(hours=2), False),
        Attempt("call", day_2, False),
        Attempt("call", day_3, False),
        Attempt("email", day_3, False),
    ]
    missing = policy.non_contact_shortfall(
        schedule, delivered_at=delivered.astimezone(UTC), time_zone="America/Los_Angeles"
    )
    assert missing == []


def test_the_late_claim_message_gives_the_local_delivery_date():
    # Delivered Monday March 2 at 8 PM in Los Angeles: already March 3 in UTC.
    delivered = datetime(2026, 3, 2, 20, 0, tzinfo=LA).astimezone(UTC)
    message = policy.instant_decline(
        reason="duplicate",
        notes="Bought it twice.",
        filed_at=delivered + timedelta(days=6),
        delivered_at=delivered,
        attempts=[],
        time_zone="America/Los_Angeles",
    )
    assert "this lead was delivered on Mar 2." in message

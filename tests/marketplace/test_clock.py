"""The contractor's clock: local now, day and month, and business days, in one place."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace import clock
from tests.factories import ContractorFactory, ZipCodeFactory

LA = ZoneInfo("America/Los_Angeles")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.django_db
def test_a_contractors_day_is_their_own(time_machine):
    pro = ContractorFactory(timezone="America/Los_Angeles")
    # 11:30 PM on March 31 in Los Angeles is already April 1 in UTC.
    time_machine.move_to(datetime(2026, 4, 1, 6, 30, tzinfo=UTC), tick=False)
    assert clock.local_date(pro) == date(2026, 3, 31)
    assert clock.local_now(pro).strftime("%H:%M %Z") == "23:30 PDT"
    assert clock.month_start(pro) == datetime(2026, 3, 1, tzinfo=LA)
    time_machine.shift(timedelta(minutes=31))  # 12:01 AM on April 1
    assert clock.local_date(pro) == date(2026, 4, 1)
    assert clock.month_start(pro) == datetime(2026, 4, 1, tzinfo=LA)


def test_a_zone_name_a_zip_or_nothing_gives_a_zone():
    assert clock.zone("America/Chicago").key == "America/Chicago"
    assert clock.zone(ZipCodeFactory.build(timezone="America/Denver")).key == "America/Denver"
    assert clock.zone(ZipCodeFactory.build(timezone="")).key == clock.DEFAULT_ZONE
    assert clock.zone("Napakiak").key == clock.DEFAULT_ZONE  # a bad catalog row
    assert clock.zone(None).key == clock.DEFAULT_ZONE


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25), (date(2026, 3, 9), 24)],
)
def test_a_local_day_lasts_23_or_25_hours_on_dst_days(day, hours):
    start, end = clock.day_bounds("America/Los_Angeles", day)
    assert start == datetime(day.year, day.month, day.day, tzinfo=LA)
    # (Subtracting in one ZoneInfo gives wall-clock time; the real length is in UTC.)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)


def test_month_bounds_are_local_midnights():
    start, end = clock.month_bounds("America/New_York", date(2026, 3, 17))
    assert (start, end) == (
        datetime(2026, 3, 1, tzinfo=NEW_YORK),
        datetime(2026, 4, 1, tzinfo=NEW_YORK),
    )
    assert start.astimezone(UTC).hour == 5 and end.astimezone(UTC).hour == 4  # EST, then EDT
    start, end = clock.month_bounds("America/Los_Angeles", date(2026, 12, 31))
    assert end == datetime(2027, 1, 1, tzinfo=LA)


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # the day after is not a federal holiday
        (date(2026, 7, 3), False),  # Independence Day (Saturday) observed on Friday
        (date(2027, 12, 24), False),  # Christmas (Saturday) observed on Friday
        (date(2027, 12, 31), False),  # New Year's Day 2028 (Saturday) observed
        (date(2027, 7, 5), False),  # Independence Day (Sunday) observed on Monday
        (date(2026, 6, 19), False),  # Juneteenth
        (date(2026, 3, 7), False),  # a Saturday
        (date(2026, 3, 9), True),
    ],
)
def test_business_days_skip_weekends_and_federal_holidays(day, business):
    assert clock.is_business_day(day) is business


def test_adding_business_days_keeps_the_local_time():
    filed = datetime(2026, 11, 25, 16, 45, tzinfo=LA).astimezone(UTC)
    due = clock.add_business_days(filed, 2, who="America/Los_Angeles")
    assert due.tzinfo == UTC
    assert due.astimezone(LA) == datetime(2026, 11, 30, 16, 45, tzinfo=LA)

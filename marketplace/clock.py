"""The contractor's clock: local now, the local day and month, and business days.

Every rule with a day or a month in it (budgets, quiet hours, the credit schedule, review
targets, analytics, statements) asks this module, so "today" means one thing everywhere:
the contractor's own day, in their time zone (DESIGN "Time"). A viewer without a
contractor profile uses a zone name: a homeowner their zip's zone, staff their own.

Business days skip weekends and US federal holidays, observed days included (a holiday
falling on a Saturday is observed on the Friday before, on a Sunday the Monday after).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.utils import timezone

DEFAULT_ZONE = "America/New_York"

# Who a clock is for: a zone name, a ZoneInfo, or anything with a `timezone` field (a
# contractor, a staff user, a zip code).
Who = object


def zone(who: Who) -> ZoneInfo:
    """The zone of a contractor, a user or a zip code (their `timezone`), or of a zone
    name; the default zone when none is known (or the name is not a zone)."""
    if isinstance(who, ZoneInfo):
        return who
    name = who if isinstance(who, str) or who is None else getattr(who, "timezone", "")
    return _zone(name or DEFAULT_ZONE)


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # The zip catalog has a few rows with a blank or unknown zone; contractors' and
        # staff's zones are validated when saved.
        return ZoneInfo(DEFAULT_ZONE)


def zone_name(who: Who) -> str:
    return zone(who).key


def local_now(who: Who, *, now: datetime | None = None) -> datetime:
    """The wall clock where `who` is (an aware datetime in their zone)."""
    return (now or timezone.now()).astimezone(zone(who))


def local_date(who: Who, moment: datetime | None = None) -> date:
    """The local calendar date of a moment (now by default) where `who` is."""
    return local_now(who, now=moment).date()


def start_of(who: Who, day: date) -> datetime:
    """Local midnight starting `day`, as an aware datetime."""
    return datetime.combine(day, time(), zone(who))


def day_bounds(who: Who, day: date | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a local day (today by default). 23 or 25 hours on DST days."""
    day = day or local_date(who)
    return start_of(who, day), start_of(who, day + timedelta(days=1))


def month_bounds(who: Who, month: date | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the local month containing `month` (this month by default)."""
    first = (month or local_date(who)).replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return start_of(who, first), start_of(who, following)


def month_start(who: Who, *, now: datetime | None = None) -> datetime:
    """The moment the local month of `now` began (local midnight on the 1st)."""
    return month_bounds(who, local_date(who, now))[0]


def local_day_number(moment: datetime, *, first: datetime, who: Who) -> int:
    """Which local day `moment` falls on, counting the day of `first` as day 1."""
    return (local_date(who, moment) - local_date(who, first)).days + 1


# --- Business days ---------------------------------------------------------------------------


@cache
def _holidays(year: int) -> frozenset[date]:
    # US federal holidays (the `holidays` package's default category for the US), with the
    # observed Friday or Monday when one falls on a weekend.
    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_business_days(moment: datetime, days: int, *, who: Who) -> datetime:
    """The same local time of day, `days` business days after `moment` where `who` is.
    Each following calendar day that is a business day counts one; filed on a Saturday,
    2 business days is Tuesday."""
    local = local_now(who, now=moment)
    day = local.date()
    while days > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            days -= 1
    return datetime.combine(day, local.time(), zone(who)).astimezone(moment.tzinfo)

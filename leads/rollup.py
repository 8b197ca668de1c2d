"""The analytics rollup's rules (no database here): what a purchase adds to a contractor's
analytics, under which keys, on which local day, and the response-time steps.

Analytics (insights/analytics.py) reads sums of these from leads.models.AnalyticsCell and
ResponseCount, so reading them costs the same for a pro with ten thousand leads as for one
with a hundred. Each event writes its change in its own transaction (services/analytics.py) and
the nightly rebuild recomputes every cell from the history with the same functions here,
so an event and the rebuild can never disagree on a definition.

- A purchase counts on the local day of its delivery (its created_at in the contractor's
  zone): a lead, its price as spend, a booked appointment and a win with its revenue when
  its outcome says so, its credits net of reversals whenever they were posted (a cohort
  view), and its first contact attempt's delay in a response step.
- A lead bought by taking its live call has the source "call".
- Each is counted in four cells per grain: all, its source, its city, its service; grains
  are the day and the month, so a period reads whole months plus its edge days.
- Offers are not in the rollup: routing makes a wave of hundreds at once, and counting
  them here cost eight cells per pro per wave (2.26 s instead of 178 ms for 1,000 pros).
  Analytics counts them live in one GROUP BY over the offers' (contractor_id, offered_at)
  index, by the keys each offer copied from its lead when it was made (no join to leads;
  insights/analytics.py), at a cost that still grows with the offers of the period
  (about 0.5 µs each).

Response steps: a response time is counted in the step it falls in and shown as the
step's start, so the median is "about" that: each 10 seconds in the first minute, each
minute to 10 minutes, 5 minutes to an hour, 15 minutes to 3 hours, each hour to 12 hours,
then 12 and 18 hours, each day to a week, then 2 weeks and 30 days.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime

ALL, SOURCE, CITY, CATEGORY = "all", "source", "city", "category"
KINDS = (ALL, SOURCE, CITY, CATEGORY)
DAY, MONTH = "day", "month"
CALL = "call"  # the source of a lead bought by taking its live call

_MINUTE, _HOUR, _DAY = 60, 3600, 86400
RESPONSE_STEPS = (
    [s for s in range(0, 60, 10)]
    + [m * _MINUTE for m in range(1, 10)]
    + [m * _MINUTE for m in range(10, 60, 5)]
    + [m * _MINUTE for m in range(60, 180, 15)]
    + [h * _HOUR for h in range(3, 12)]
    + [12 * _HOUR, 18 * _HOUR]
    + [d * _DAY for d in range(1, 8)]
    + [14 * _DAY, 30 * _DAY]
)
"""Each step's start in seconds; a ResponseCount's `bucket` is an index into this list."""
RESPONSE_STEPS_TEXT = (
    "every 10 seconds in the first minute, each minute up to 10 minutes, 5 minutes up to an "
    "hour, 15 minutes up to 3 hours, then hours and days"
)
"""RESPONSE_STEPS in words, as the page, the API and the definitions say them."""

COUNTS = (
    "leads",
    "spend_cents",
    "credits_cents",
    "appointments",
    "wins",
    "won_revenue_cents",
)


def response_step(seconds: int) -> int:
    """The index of the step a response time (whole seconds, never negative) falls in."""
    return bisect.bisect_right(RESPONSE_STEPS, max(0, seconds)) - 1


def response_seconds(started: datetime, first_attempt: datetime | None) -> int | None:
    if first_attempt is None:
        return None
    return max(0, int((first_attempt - started).total_seconds()))


def median_of_steps(counts: dict[int, int]) -> int | None:
    """The median response time, in seconds, from counts per step: the middle one's step
    start (the lower whole number between the starts of two middles)."""
    total = sum(counts.values())
    if total <= 0:
        return None
    low, high = (total - 1) // 2, total // 2  # 0-based positions of the middle ones
    found, seen = {}, 0
    for step in sorted(counts):
        n = counts[step]
        if n <= 0:
            continue
        for position in (low, high):
            if position not in found and seen <= position < seen + n:
                found[position] = RESPONSE_STEPS[step]
        seen += n
        if high in found:
            break
    return (found[low] + found[high]) // 2


def source_key(route: str, utm_source: str, *, by_call: bool = False) -> str:
    """ "marketplace", "marketplace:google", "call" (a phone number has no campaign tag)."""
    if by_call:
        return CALL
    utm = campaign(utm_source)
    return f"{route}:{utm}" if utm else route


def campaign(utm_source: str) -> str:
    """A request's campaign tag as analytics groups it: trimmed, lower case."""
    return (utm_source or "").strip().lower()


def city_key(city: str, state: str) -> str:
    return f"{city}, {state}"


@dataclass(frozen=True)
class Place:
    """Where a purchase counts: its contractor, local day and keys."""

    contractor_id: int
    day: date
    source: str
    city: str
    category: str

    def cells(self) -> list[tuple[int, str, date, str, str]]:
        """(contractor, grain, start, kind, key) of the eight cells it counts in."""
        month = self.day.replace(day=1)
        keys = ((ALL, ""), (SOURCE, self.source), (CITY, self.city), (CATEGORY, self.category))
        return [
            (self.contractor_id, grain, start, kind, key)
            for grain, start in ((DAY, self.day), (MONTH, month))
            for kind, key in keys
        ]


def purchase_counts(
    *,
    price_cents: int,
    booked: bool,
    won: bool,
    won_value_cents: int | None,
    credits_cents: int = 0,
) -> dict[str, int]:
    return {
        "leads": 1,
        "spend_cents": price_cents or 0,
        "credits_cents": credits_cents,
        "appointments": int(booked),
        "wins": int(won),
        "won_revenue_cents": (won_value_cents or 0) if won else 0,
    }


def difference(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    names = set(after) | set(before)
    return {
        n: after.get(n, 0) - before.get(n, 0) for n in names if after.get(n, 0) != before.get(n, 0)
    }

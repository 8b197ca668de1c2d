"""Contractor analytics: what the leads of a period cost and what they earned (read only).

The definitions below are the product's; the analytics page shows them word for word
(`DEFINITIONS`) and the API documents them. Change them here and nowhere else.

- Period: [start, end) in local dates of the contractor's time zone. A lead belongs to the
  period by its delivery (the purchase), an offer by when it was shown, a click by when it
  happened. Credits and reversals count on the lead they are about, whenever posted: the
  cost of a period is what the leads delivered in it cost in the end (a cohort view).
- Source: the connection type (marketplace, territory, profile lead, or a live call the pro
  took, whatever route rang them) plus the homeowner's `utm_source` when the request carried
  one, lower-cased: "Marketplace · google".
- Acceptance rate: offers accepted ÷ offers accepted, declined or left to expire. Offers
  still pending, and offers withdrawn because other pros filled the lead, are left out; so
  are live calls (answered or missed, they have their own answer rate).
- Appointment booked: the lead's outcome was set to "appointment booked" or "won" at some
  point (Purchase.appointment_booked_at), even if the job was lost afterwards.
- Response time: delivery → first logged contact attempt; the median over leads with one,
  counted in steps (leads/rollup.py RESPONSE_STEPS_TEXT) and given as its step's start:
  "about 20 min" is a median between 20 and 25 minutes.
- Spend: the lead-purchase debits of those leads (per-lead territory fees included). Net
  cost = spend − credits (credits minus reversals). Cost per booked appointment and per won
  job = net cost ÷ appointments, ÷ wins. Return on spend = won revenue ÷ net cost.
- Territory subscriptions and membership fees charged in the period are shown apart: they
  are not split by source, city or service.
- Calls: every time Fairlead rang the pro for a caller, counted by when their phone rang
  (calls.queries.contractor_call_totals): received, answered (they pressed 1 and were put
  through), missed (not put through), qualified (the talk lasted CALL_QUALIFIED_SECONDS:
  the only calls charged), average talk time, call fees. A call taken is also a lead bought
  (its price is the fee, 0 when the call did not qualify), so spend, net cost and the cost
  per booked appointment include call fees, and the "Live call" source shows them alone.

Queries: eight, whatever the number of leads or calls: the contractor's rollup cells and
response counts (leads/rollup.py: what each purchase event adds, per local day and month,
source, city and service, kept by the events and rebuilt nightly); offers counted live in
one GROUP BY on the offers alone (routing makes hundreds at once, too many to count as
they are made; each offer carries its lead's keys), then the services and zips they name;
clicks, calls and fees counted in SQL. The API, which returns one group, counts only that
group's rows (and every total): no services or zips to name for the months or sources, and
the offers grouped by fewer keys.
Money is integer cents; ratios are basis points (1 bp = 0.01%).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connections
from django.db.models import Count, IntegerField, Value
from django.db.models.expressions import RawSQL

from billing import queries as billing_queries
from billing.models import Entry
from calls import queries as call_queries
from leads import queries as lead_queries
from leads import rollup
from leads.models import Offer
from marketplace import clock
from marketplace import queries as marketplace_queries
from marketplace.models import Contractor

DEFINITIONS = [
    (
        "Period",
        "From the first day through the last, in your time zone. A lead counts in the "
        "period it was delivered to you; its credits count with it, whenever they came.",
    ),
    (
        "Source",
        "How the lead reached you (marketplace, exclusive territory, your profile, or a live "
        "call you took), plus the campaign source the homeowner came from when there was "
        "one, e.g. “Marketplace · google”.",
    ),
    (
        "Acceptance rate",
        "Offers you accepted ÷ offers you accepted, declined or let expire. Pending offers, "
        "offers withdrawn because other pros filled the lead, and live calls (they have "
        "their own answer rate) are not counted.",
    ),
    (
        "Booked appointment",
        "A lead you marked “appointment booked” or “won” at some point. It stays booked if "
        "the job is lost afterwards: the appointment happened.",
    ),
    (
        "Response time",
        "From delivery to your first logged call, text or email: the median, about. Times "
        f"are counted in steps ({rollup.RESPONSE_STEPS_TEXT}) and shown as the step's start.",
    ),
    (
        "Net cost",
        "What the leads cost (per-lead territory fees and call fees included) minus credits, "
        "net of reversals. Territory subscriptions and membership fees are shown apart.",
    ),
    ("Return on spend", "Won revenue ÷ net cost: 5.0× means $5 of won jobs for every $1."),
    (
        "Calls",
        "Each time we rang you for a caller, counted on the day it rang. Answered: you "
        "pressed 1 and were put through. Missed: no answer, busy, you passed, the caller hung "
        "up first, or you could no longer take it. Qualified: you talked {qualified_seconds} "
        "seconds or more; only those are charged, and their fee counts in what your leads "
        "cost (a call you take is a lead you bought).",
    ),
]


def definitions() -> list[tuple[str, str]]:
    return [
        (term, text.format(qualified_seconds=settings.CALL_QUALIFIED_SECONDS))
        for term, text in DEFINITIONS
    ]


CALL = rollup.CALL  # the source of a lead bought by taking its live call
CONNECTION_LABELS = {
    Offer.Route.MARKETPLACE: "Marketplace",
    Offer.Route.TERRITORY: "Exclusive territory",
    Offer.Route.PROFILE: "Profile lead",
    CALL: "Live call",
    "phone_click": "Phone click",
    "website_click": "Website click",
}
ROUTE_ORDER = [Offer.Route.MARKETPLACE, Offer.Route.TERRITORY, Offer.Route.PROFILE, CALL]
GROUPS = ["source", "city", "category", "month"]
ANSWERED = {Offer.Status.ACCEPTED, Offer.Status.DECLINED, Offer.Status.EXPIRED}

EARLIEST = date(2000, 1, 1)
LATEST = date(2101, 1, 1)  # dates are accepted before this (and date arithmetic never overflows)
MAX_PERIOD_DAYS = 3 * 366


# --- The period --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local dates [start, end) in a time zone."""

    start: date
    end: date
    timezone: str

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        return clock.start_of(self.timezone, self.start), clock.start_of(self.timezone, self.end)

    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.last_day:
            months.append(month)
            month = _next_month(month)
        return months


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def local_today(contractor: Contractor, *, now: datetime | None = None) -> date:
    return clock.local_date(contractor, now)


PRESETS = {
    "last_30_days": "Last 30 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_year": "This year",
    "last_12_months": "Last 12 months",
}
DEFAULT_PRESET = "last_30_days"


def preset_dates(name: str, *, today: date) -> tuple[date, date]:
    """A named period as [start, end) ending today (or last month's end)."""
    tomorrow = today + timedelta(days=1)
    this_month = today.replace(day=1)
    return {
        "last_30_days": (today - timedelta(days=29), tomorrow),
        "this_month": (this_month, tomorrow),
        "last_month": (_months_back(this_month, 1), this_month),
        "this_year": (date(today.year, 1, 1), tomorrow),
        "last_12_months": (_months_back(this_month, 11), tomorrow),
    }[name]


DATE_RANGE_ERROR = f"Pick a date from {EARLIEST.year} to {LATEST.year - 1}."
DATE_FORMAT_ERROR = "Enter a date as YYYY-MM-DD, e.g. 2026-03-01."


def resolve_period(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """[start, end) from what was given, for the page and the API alike: nothing → the
    default preset; no end → through today; no start → the 30 days before the end."""
    if start is None and end is None:
        return preset_dates(DEFAULT_PRESET, today=today)
    end = end or today + timedelta(days=1)
    return start or end - timedelta(days=30), end


def period_errors(start: date, end: date, *, today: date) -> dict[str, str]:
    """What is wrong with the period [start, end), by "start" / "end"; empty when fine.
    The page and the API both ask this, and put the messages next to their own fields."""
    errors = {}
    if start < EARLIEST:
        errors["start"] = f"Pick a start date on or after {EARLIEST:%B %-d, %Y}."
    elif start > today:
        errors["start"] = "The period starts in the future. Pick a start date up to today."
    if end <= start:
        errors["end"] = "The period must end on or after the day it starts."
    elif end > LATEST:
        errors["end"] = f"Pick an end date before {LATEST.year}."
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["end"] = "Pick a period of at most three years."
    return errors


# --- Metrics -----------------------------------------------------------------------------


def ratio_bp(numerator: int, denominator: int) -> int | None:
    """numerator ÷ denominator in basis points, rounded half up; None without a base."""
    if denominator <= 0:
        return None
    return (numerator * 20_000 + denominator) // (2 * denominator)


def per_unit_cents(total_cents: int, count: int) -> int | None:
    """Cents per unit, rounded half up (never a float); None when there is nothing."""
    if count <= 0:
        return None
    sign = -1 if total_cents < 0 else 1
    return sign * ((abs(total_cents) * 2 + count) // (2 * count))


def median_int(values: list[int]) -> int | None:
    """The median, in whole units (the lower whole number between two middles)."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


@dataclass
class Metrics:
    """One row of numbers: the totals, or one source, city, service or month."""

    offers_seen: int = 0
    offers_accepted: int = 0
    offers_answered: int = 0
    leads: int = 0
    spend_cents: int = 0
    credits_cents: int = 0
    appointments: int = 0
    wins: int = 0
    won_revenue_cents: int = 0
    responses: dict[int, int] = field(default_factory=dict, repr=False)  # step → leads

    @property
    def net_cost_cents(self) -> int:
        return self.spend_cents - self.credits_cents

    @property
    def acceptance_rate_bp(self) -> int | None:
        return ratio_bp(self.offers_accepted, self.offers_answered)

    @property
    def contacted(self) -> int:
        return sum(self.responses.values())

    @property
    def median_response_seconds(self) -> int | None:
        """The start of the response step the median falls in (leads/rollup.py)."""
        return rollup.median_of_steps(self.responses)

    @property
    def cost_per_appointment_cents(self) -> int | None:
        return per_unit_cents(self.net_cost_cents, self.appointments)

    @property
    def cost_per_win_cents(self) -> int | None:
        return per_unit_cents(self.net_cost_cents, self.wins)

    @property
    def return_on_spend_bp(self) -> int | None:
        return ratio_bp(self.won_revenue_cents, self.net_cost_cents)

    @property
    def is_empty(self) -> bool:
        return not (self.leads or self.offers_seen)

    def as_dict(self) -> dict:
        return {
            "offers_seen": self.offers_seen,
            "offers_accepted": self.offers_accepted,
            "acceptance_rate_bp": self.acceptance_rate_bp,
            "leads": self.leads,
            "spend_cents": self.spend_cents,
            "credits_cents": self.credits_cents,
            "net_cost_cents": self.net_cost_cents,
            "contacted": self.contacted,
            "median_response_seconds": self.median_response_seconds,
            "appointments": self.appointments,
            "wins": self.wins,
            "won_revenue_cents": self.won_revenue_cents,
            "cost_per_appointment_cents": self.cost_per_appointment_cents,
            "cost_per_win_cents": self.cost_per_win_cents,
            "return_on_spend_bp": self.return_on_spend_bp,
        }


@dataclass
class Row:
    key: str
    label: str
    metrics: Metrics = field(default_factory=Metrics)


@dataclass
class Calls:
    """The calls that rang the pro in the period; `leads` are the leads they bought by
    taking one (the "Live call" source), for what a booked job from a call costs."""

    received: int = 0
    answered: int = 0
    missed: int = 0
    qualified: int = 0
    talked: int = 0
    talk_seconds: int = 0
    fees_cents: int = 0
    leads: Metrics = field(default_factory=Metrics)

    @property
    def answer_rate_bp(self) -> int | None:
        return ratio_bp(self.answered, self.answered + self.missed)

    @property
    def qualified_rate_bp(self) -> int | None:
        return ratio_bp(self.qualified, self.answered)

    @property
    def average_talk_seconds(self) -> int | None:
        return per_unit_cents(self.talk_seconds, self.talked)  # the same half-up division

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "answered": self.answered,
            "missed": self.missed,
            "qualified": self.qualified,
            "answer_rate_bp": self.answer_rate_bp,
            "qualified_rate_bp": self.qualified_rate_bp,
            "average_talk_seconds": self.average_talk_seconds,
            "fees_cents": self.fees_cents,
            "leads": self.leads.leads,
            "net_cost_cents": self.leads.net_cost_cents,
            "appointments": self.leads.appointments,
            "cost_per_appointment_cents": self.leads.cost_per_appointment_cents,
            "wins": self.leads.wins,
            "cost_per_win_cents": self.leads.cost_per_win_cents,
        }


@dataclass
class Analytics:
    period: Period
    totals: Metrics
    connections: dict[str, int]
    fees_cents: dict[str, int]
    groups: dict[str, list[Row]]
    calls: Calls = field(default_factory=Calls)

    @property
    def is_empty(self) -> bool:
        return self.totals.is_empty and not any(self.connections.values())

    @property
    def fixed_fees_cents(self) -> int:
        return sum(self.fees_cents.values())

    def best(self, group: str) -> Row | None:
        """The row with the most won revenue (then the best return): "where the money is"."""
        rows = [r for r in self.groups[group] if r.metrics.won_revenue_cents > 0]
        return max(
            rows,
            key=lambda r: (r.metrics.won_revenue_cents, r.metrics.return_on_spend_bp or 0),
            default=None,
        )


# --- Grouping keys: what "source", "city", "service" and "month" mean --------------------


def source_key(route: str, utm_source: str) -> tuple[str, str]:
    return route, rollup.campaign(utm_source)


def source_label(route: str, utm_source: str) -> str:
    label = CONNECTION_LABELS.get(route, route)
    return f"{label} · {utm_source}" if utm_source else label


@lru_cache(maxsize=4096)  # label strings, reused across leads and requests
def _month(month: date) -> tuple[str, str]:
    return f"{month:%Y-%m}", f"{month:%b %Y}"


class _Groups:
    def __init__(self):
        self.rows: dict[str, dict[str, Row]] = {group: {} for group in GROUPS}

    def metrics(self, group: str, key_label: tuple[str, str]) -> Metrics:
        key, label = key_label
        row = self.rows[group].get(key)
        if row is None:
            row = self.rows[group][key] = Row(key=key, label=label)
        return row.metrics


def _sorted(rows: dict[str, Row], group: str, period: Period) -> list[Row]:
    if group == "month":
        for month in period.months():  # every month of the period, for the chart
            key, label = _month(month)
            rows.setdefault(key, Row(key=key, label=label))
        return sorted(rows.values(), key=lambda r: r.key)
    if group == "source":
        order = {route: i for i, route in enumerate(ROUTE_ORDER)}
        return sorted(
            rows.values(), key=lambda r: (order.get(r.key.split(":")[0], 9), r.key.lower())
        )
    return sorted(
        rows.values(),
        key=lambda r: (-r.metrics.won_revenue_cents, -r.metrics.leads, r.label.lower()),
    )


# --- The one function ----------------------------------------------------------------------


def contractor_analytics(
    contractor: Contractor, period: Period, *, groups_counted=tuple(GROUPS)
) -> Analytics:
    """Every number of the analytics page for one contractor and period. `groups_counted`:
    the groups whose rows are counted (the API returns one); the others come back empty.
    The totals, connections and calls are always whole."""

    start_at, end_at = period.bounds()
    totals, groups = Metrics(), _Groups()

    # Leads, credits and response times: sums of the contractor's daily and
    # monthly rollup cells (leads/rollup.py), counted when each event happened. Source
    # cells are always read: the connections and the calls' leads are counted from them.
    kinds = {rollup.ALL, rollup.SOURCE} | {
        kind for kind, group in _GROUP_OF_KIND.items() if group in groups_counted
    }
    cells, responses = lead_queries.analytics_sums(
        contractor, start=period.start, end=period.end, kinds=kinds
    )
    offers = _count_offers(
        contractor, period, start_at=start_at, end_at=end_at, groups=groups_counted
    )
    services = marketplace_queries.category_labels(
        slugs={key for kind, key, *_ in cells if kind == rollup.CATEGORY},
        ids={key for group, key, _ in offers if group == "category"},
    )
    names = {slug: name for _, slug, name in services}
    service_of = {pk: (slug, name) for pk, slug, name in services}
    places = marketplace_queries.zip_places({key for group, key, _ in offers if group == "city"})
    found: dict[tuple, list[Metrics]] = {}

    def targets(kind: str, key: str, month) -> list[Metrics]:
        """The rows a cell adds to: the totals and its month, or its source, city or service."""
        rows = found.get((kind, key, month))
        if rows is None:
            if kind == rollup.ALL:
                rows = [totals, groups.metrics("month", _month(month))]
            elif kind == rollup.SOURCE:
                route, _, utm = key.partition(":")
                rows = [groups.metrics("source", (key, source_label(route, utm)))]
            elif kind == rollup.CITY:
                rows = [groups.metrics("city", _city_key(key))]
            else:
                rows = [groups.metrics("category", (key, names.get(key, key)))]
            found[(kind, key, month)] = rows
        return rows

    connections = dict.fromkeys(CONNECTION_LABELS, 0)
    for kind, key, month, *counts in cells:
        for m in targets(kind, key, month):
            for name, value in zip(rollup.COUNTS, counts, strict=True):
                setattr(m, name, getattr(m, name) + (value or 0))
        route = key.partition(":")[0]
        if kind == rollup.SOURCE and route != CALL:  # calls are counted as they rang, below
            connections[route] += counts[rollup.COUNTS.index("leads")] or 0
    for kind, key, month, bucket, count in responses:
        for m in targets(kind, key, month):
            m.responses[bucket] = m.responses.get(bucket, 0) + count

    for (group, key, status), count in offers.items():
        if group == "month":
            rows = [totals, groups.metrics("month", _month(key))]
        elif group == "source":
            source = rollup.source_key(*key)
            rows = [groups.metrics("source", (source, source_label(*source_key(*key))))]
        elif group == "city":
            rows = [groups.metrics("city", _city_key(rollup.city_key(*places[key])))]
        else:
            rows = [groups.metrics("category", service_of[key])]
        for m in rows:
            m.offers_seen += count
            if status in ANSWERED:
                m.offers_answered += count
            if status == Offer.Status.ACCEPTED:
                m.offers_accepted += count

    clicks = marketplace_queries.clicks_by_kind(contractor, start_at=start_at, end_at=end_at)
    for kind, count in clicks.items():
        connections[f"{kind}_click"] = count

    calls = Calls(
        **call_queries.contractor_call_totals(contractor, start_at=start_at, end_at=end_at),
        leads=groups.rows["source"].get(CALL, Row(CALL, "")).metrics,
    )
    connections[CALL] = calls.received

    fees = dict.fromkeys([Entry.Kind.SUBSCRIPTION, Entry.Kind.MEMBERSHIP], 0)
    charged = billing_queries.charged_by_kind(
        contractor, kinds=list(fees), start_at=start_at, end_at=end_at
    )
    for kind, total in charged.items():
        fees[kind] = -total  # charges are debits: shown as positive cost

    return Analytics(
        period=period,
        totals=totals,
        connections=connections,
        fees_cents={str(kind): cents for kind, cents in fees.items()},
        groups={g: _sorted(groups.rows[g], g, period) for g in GROUPS},
        calls=calls,
    )


# The rollup's cells of each kind make the rows of this group.
_GROUP_OF_KIND = {rollup.SOURCE: "source", rollup.CITY: "city", rollup.CATEGORY: "category"}

# The keys an offer is counted by: its own copy of its lead's (Offer.category, zip_code,
# utm_source, set when it is made), so the count reads offers alone.
OFFER_KEYS = {
    "route": "route",
    "utm_source": "utm_source",
    "zip_code": "zip_code",
    "category": "category",
    "status": "status",
}
# An offer made before those columns reached every worker has none: its lead's keys.
LEAD_KEYS = {**OFFER_KEYS, **{k: f"lead__{k}" for k in ("utm_source", "zip_code", "category")}}
# The keys each group's rows need (months are counted always: the totals are their sum).
KEYS_OF_GROUP = {
    "month": (),
    "source": ("route", "utm_source"),
    "city": ("zip_code",),
    "category": ("category",),
}


def _count_offers(
    contractor: Contractor, period: Period, *, start_at, end_at, groups=tuple(GROUPS)
) -> dict:
    """The contractor's offers shown in [start_at, end_at), counted per (group, key,
    status): ("month", first day), ("source", (route, utm_source)), ("city", zip code),
    ("category", category id). Totals are the months' sum.

    Offers are many (every lead shown, bought or not) and made hundreds at a time, so they
    are not in the rollup: counted here in one GROUP BY on the offers alone (their own
    keys, no join to leads) read from offer_shown_keys_idx, their zips and services named
    afterwards by id (zip_places, category_labels). Still about 0.5 µs per offer shown in
    the period: what is left of the page that grows with the history."""
    months = period.months()
    names = ["status"] + [key for group in groups for key in KEYS_OF_GROUP[group]]
    copied = {"utm_source", "zip_code", "category"}
    if copied & set(names):
        names.append("zip_code")  # tells an offer made without its lead's keys
    names = list(dict.fromkeys(names))
    shown = lead_queries.offers_between(contractor, start_at=start_at, end_at=end_at)
    rows = _grouped(shown, contractor, [OFFER_KEYS[n] for n in names], period, months)
    if "zip_code" in names:
        at = 1 + names.index("zip_code")
        if any(row[at] is None for row in rows):  # until a later release fills all
            rows = [row for row in rows if row[at] is not None] + _grouped(
                shown.filter(zip_code__isnull=True),
                contractor,
                [LEAD_KEYS[n] for n in names],
                period,
                months,
            )
    counts: dict[tuple, int] = defaultdict(int)
    for month, *values, count in rows:
        key = dict(zip(names, values, strict=True))
        status = key["status"]
        counts["month", months[month], status] += count
        if "source" in groups:
            counts["source", (key["route"], key["utm_source"]), status] += count
        if "city" in groups:
            counts["city", key["zip_code"], status] += count
        if "category" in groups:
            counts["category", key["category"], status] += count
    return {key: count for key, count in counts.items() if count}


def _grouped(offers, contractor, keys: list[str], period: Period, months) -> list[tuple]:
    """(month's index in `months`, *keys, count) of these offers less those live calls
    made (counted apart: call_queries.call_offers), subtracted as negative counts in the
    same statement rather than tested offer by offer."""
    month = _month_index(period, months, connections[offers.db])

    def counted(offers, count):
        return (
            offers.annotate(month=month)
            .values("month", *keys)
            .annotate(count=count)
            .order_by()
            .values_list("month", *keys, "count")
        )

    taken = call_queries.call_offers(offers, contractor)
    return list(counted(offers, Count("*")).union(counted(taken, -Count("*")), all=True))


def _month_index(period: Period, months: list[date], connection) -> RawSQL | Value:
    """SQL: the index in `months` of the local month an offer was shown in, found by
    comparing its time with each month's start, computed here in the zone (DST included):
    the months of truncating each time in the zone, at a third of the cost per offer. Raw,
    as a Case of a dozen Whens takes longer to compile than the small pro's whole count."""
    if len(months) == 1:
        return Value(0, output_field=IntegerField())
    quote = connection.ops.quote_name
    column = f"{quote(Offer._meta.db_table)}.{quote('offered_at')}"
    whens = " ".join(f"WHEN {column} < %s THEN {i}" for i in range(len(months) - 1))
    starts = [
        connection.ops.adapt_datetimefield_value(clock.start_of(period.timezone, first))
        for first in months[1:]
    ]
    sql = f"CASE {whens} ELSE {len(months) - 1} END"
    return RawSQL(sql, starts, output_field=IntegerField())  # noqa: S611 - our names; times are parameters


@lru_cache(maxsize=4096)  # label strings, reused across requests
def _city_key(key: str) -> tuple[str, str]:
    return key, key

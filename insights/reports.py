"""Ops reports for finance: lead volume, fill rate, speed, revenue by stream, credits and
overdue claims, by day, week or month and by state or city (read only).

Definitions (shown on the report page as `DEFINITIONS`):
- Days, weeks (starting Monday) and months are in the viewer's own time zone (a staff
  user's `timezone`), the zone the admin shows their times in.
- Lead volume: quote requests received in the period, whatever became of them.
- Fill rate: leads sold at least once ÷ leads whose fate is known (sold, or expired with no
  buyer). Rejected leads, and leads still being screened or open without a buyer, are out.
- Time to first offer / first acceptance: from the request to the first offer made to any
  pro / to the first purchase; medians over the leads that had one.
- Revenue is what the ledger posted in the period (cash basis): "1% purchases" are
  lead-purchase debits for marketplace and profile leads, "per-lead territory fees" the
  lead-purchase debits for territory leads, then territory subscriptions and memberships.
  Credits net of reversals posted in the period are shown apart, before net revenue.
- Places: a metro is one of the metro areas of territories/metros.py (a center and a
  radius, as on the territory page); a zip in none of them is shown by its city and state.
- Credits by reason: claims filed in the period, by outcome; "credited" is the money
  credited in the period net of reversals, under its claim's reason, or "Found invalid by
  Fairlead" for proactive credits. Credit rate = credited ÷ lead revenue (1% purchases and
  per-lead fees) of the same period or contractor.
- Claim rate (by contractor): of the leads they bought in the period, the share with a
  claim not declined at once, whenever filed (as the credit review queue counts it).
- Overdue claims: pending claims past their due time now, whatever the period.
- Calls: every call to a Fairlead number that started in the period. Answer rate = calls a
  pro took ÷ calls put through to at least one pro (callers still being screened, or not
  ready for a visit, are not put through). Qualified rate = qualified ÷ answered calls whose
  length is known. Missed = the caller hung up during screening; voicemails are apart.
  Calls are placed where the work is, like leads: the zip the caller keyed in, else (they
  hung up before the zip question) the line's metro zip, then by state or metro as the
  leads are; the "By line" table is the other reading, per Fairlead number and its label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from billing import queries as billing_queries
from billing.models import Entry
from calls import queries as call_queries
from credits import policy
from credits import queries as credit_queries
from credits.models import CreditClaim
from leads import queries as lead_queries
from leads.models import Lead, Offer
from marketplace import clock
from marketplace import queries as marketplace_queries
from territories.metros import metros_of

from .analytics import median_int, per_unit_cents, ratio_bp

DEFINITIONS = [
    ("Time zone", "Days, weeks (from Monday) and months are in {tz}."),
    ("Lead volume", "Quote requests received in the period, whatever became of them."),
    (
        "Fill rate",
        "Leads sold at least once ÷ leads sold or expired with no buyer. Rejected leads and "
        "leads still in screening or open without a buyer are not counted.",
    ),
    (
        "Time to first offer / acceptance",
        "From the homeowner's request to the first offer made to a pro / to the first "
        "purchase. Medians.",
    ),
    (
        "Revenue",
        "Ledger entries posted in the period. 1% purchases: leads bought in the marketplace "
        "or from a profile. Per-lead territory fees: leads bought in an exclusive territory. "
        "Credits, net of reversals, are taken off after.",
    ),
    (
        "Metro",
        "The metro areas of the territory page (a center zip and a radius); a zip outside "
        "all of them is shown by its city and state.",
    ),
    (
        "Credit rate",
        "Money credited (net of reversals) ÷ lead revenue (1% purchases and per-lead fees).",
    ),
    (
        "Calls",
        "Calls to Fairlead's numbers that started in the period. Answer rate: calls a pro "
        "took ÷ calls put through to at least one pro. Qualified rate: calls that lasted the "
        "qualifying length (charged) ÷ answered calls whose length is known. Missed: the "
        "caller hung up during screening. A call's place is the zip the caller keyed in, "
        "else its line's metro; “By line” shows each Fairlead number.",
    ),
]

GRANULARITIES = {"day": "Day", "week": "Week", "month": "Month"}
PLACES = {"state": "State", "metro": "Metro"}
MAX_DAYS_BY_DAY = 92
UNSERVED_ROWS = 50
STREAMS = [
    ("one_percent_cents", "1% purchases"),
    ("territory_per_lead_cents", "Per-lead territory fees"),
    ("subscriptions_cents", "Territory subscriptions"),
    ("memberships_cents", "Memberships"),
]
PROACTIVE = "proactive"
PROACTIVE_LABEL = "Found invalid by Fairlead (no claim)"


def ops_today(time_zone: str) -> date:
    return clock.local_date(time_zone)


def may_see_reports(user) -> bool:
    """Staff with the permission (the finance group has it) and superusers: the reports
    show every contractor's money."""
    return user.is_active and user.is_staff and user.has_perm("leads.view_ops_reports")


def granularity_error(start: date, end: date, granularity: str) -> str:
    if granularity == "day" and (end - start).days > MAX_DAYS_BY_DAY:
        return f"Pick weeks or months for periods longer than {MAX_DAYS_BY_DAY} days."
    return ""


# --- Rows ------------------------------------------------------------------------------------


@dataclass
class LeadStats:
    received: int = 0
    rejected: int = 0
    sold: int = 0
    expired: int = 0
    to_offer: list[int] = field(default_factory=list, repr=False)
    to_sale: list[int] = field(default_factory=list, repr=False)

    @property
    def fill_rate_bp(self) -> int | None:
        return ratio_bp(self.sold, self.sold + self.expired)

    @property
    def median_to_offer_seconds(self) -> int | None:
        return median_int(self.to_offer)

    @property
    def median_to_sale_seconds(self) -> int | None:
        return median_int(self.to_sale)


@dataclass
class Revenue:
    one_percent_cents: int = 0
    territory_per_lead_cents: int = 0
    subscriptions_cents: int = 0
    memberships_cents: int = 0
    credits_cents: int = 0

    @property
    def lead_revenue_cents(self) -> int:
        return self.one_percent_cents + self.territory_per_lead_cents

    @property
    def gross_cents(self) -> int:
        return sum(getattr(self, attr) for attr, _ in STREAMS)

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.credits_cents

    @property
    def credit_rate_bp(self) -> int | None:
        return ratio_bp(self.credits_cents, self.lead_revenue_cents)


@dataclass
class Bucket:
    key: str
    label: str
    leads: LeadStats = field(default_factory=LeadStats)
    revenue: Revenue = field(default_factory=Revenue)


@dataclass
class ReasonRow:
    reason: str
    label: str
    filed: int = 0
    declined: int = 0
    pending: int = 0
    approved: int = 0
    denied: int = 0
    credited_cents: int = 0
    share_of_lead_revenue_bp: int | None = None

    @property
    def approval_rate_bp(self) -> int | None:
        return ratio_bp(self.approved, self.approved + self.denied)


@dataclass
class ContractorRow:
    contractor_id: int
    label: str = ""
    purchases: int = 0
    spend_cents: int = 0
    claims: int = 0
    approved: int = 0
    credited_cents: int = 0
    claimed_purchases: int = 0  # of `purchases`, those with a claim not declined at once

    @property
    def claim_rate_bp(self) -> int | None:
        return ratio_bp(self.claimed_purchases, self.purchases)

    @property
    def credit_rate_bp(self) -> int | None:
        return ratio_bp(self.credited_cents, self.spend_cents)


@dataclass
class UnservedRow:
    """Requests in one zip for one service that no pro covered when they came in."""

    zip_code: str
    place: str
    category: str
    requests: int


CALL_COUNTS = (
    "calls",
    "rang",
    "answered",
    "settled",
    "qualified",
    "missed",
    "voicemails",
    "fees_cents",
    "talk_seconds",
)


@dataclass
class CallStats:
    """Calls to Fairlead's numbers: all of them, or one place, service or line."""

    key: str
    label: str
    calls: int = 0
    rang: int = 0
    answered: int = 0
    settled: int = 0
    qualified: int = 0
    missed: int = 0
    voicemails: int = 0
    fees_cents: int = 0
    talk_seconds: int = 0

    def add(self, row: dict) -> None:
        for attr in CALL_COUNTS:
            setattr(self, attr, getattr(self, attr) + row[attr])

    @property
    def answer_rate_bp(self) -> int | None:
        return ratio_bp(self.answered, self.rang)

    @property
    def qualified_rate_bp(self) -> int | None:
        return ratio_bp(self.qualified, self.settled)

    @property
    def average_talk_seconds(self) -> int | None:
        return per_unit_cents(self.talk_seconds, self.settled)


@dataclass
class OpsReport:
    start: date
    end: date
    time_zone: str
    granularity: str
    place: str
    totals: Bucket
    buckets: list[Bucket]
    places: list[Bucket]
    reasons: list[ReasonRow]
    contractors: list[ContractorRow]
    overdue: list
    overdue_count: int
    unserved: list[UnservedRow] = field(default_factory=list)
    calls: CallStats = field(default_factory=lambda: CallStats("all", "All"))
    call_groups: dict[str, list[CallStats]] = field(default_factory=dict)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


# --- Buckets ---------------------------------------------------------------------------------


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def _bucket_label(first: date, granularity: str) -> str:
    if granularity == "month":
        return f"{first:%b %Y}"
    if granularity == "week":
        return f"Week of {first:%b} {first.day}, {first.year}"
    return f"{first:%a} {first:%b} {first.day}, {first.year}"


def _every_bucket(start: date, end: date, granularity: str) -> list[date]:
    firsts, day = [], bucket_start(start, granularity)
    while day < end:
        firsts.append(day)
        if granularity == "month":
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        else:
            day += timedelta(days=7 if granularity == "week" else 1)
    return firsts


def _lead_stream(route: str) -> str:
    """Which revenue stream a lead purchase is: a territory's per-lead fee, or the 1%
    price of a marketplace or profile lead."""
    return "territory_per_lead_cents" if route == Offer.Route.TERRITORY else "one_percent_cents"


def _place_key(place: str, city: str, state: str, metro) -> tuple[str, str]:
    if place == "state":
        return state, state
    if metro is not None:
        return metro.slug, metro.name
    return f"{city}, {state}", f"{city}, {state} (no metro)"


# --- The report ------------------------------------------------------------------------------


def ops_report(
    start: date, end: date, *, granularity: str, place: str, time_zone: str
) -> OpsReport:
    """Every number of the ops report for [start, end), days in `time_zone`."""
    zone = clock.zone(time_zone)
    start_at, end_at = clock.start_of(zone, start), clock.start_of(zone, end)
    totals = Bucket(key="all", label="All")
    buckets = {}
    for first in _every_bucket(start, end, granularity):
        key = f"{first:%Y-%m-%d}"
        buckets[key] = Bucket(key=key, label=_bucket_label(first, granularity))
    places: dict[str, Bucket] = {}

    def place_bucket(zip_code, city, state) -> Bucket:
        key, label = _place_key(place, city, state, metro_of.get(zip_code))
        if key not in places:
            places[key] = Bucket(key=key, label=label)
        return places[key]

    def time_bucket(day: date) -> Bucket:
        return buckets[f"{bucket_start(day, granularity):%Y-%m-%d}"]

    # Leads: one slim row each, with their first offer and first sale.
    leads = lead_queries.lead_timelines(start_at=start_at, end_at=end_at)

    # Lead revenue by place (subscriptions and memberships are not tied to a lead's place).
    lead_revenue = billing_queries.lead_revenue_by_place(start_at=start_at, end_at=end_at)
    # Calls, counted in SQL by place, service and line: a query each.
    calls = {
        by: call_queries.call_volume(start_at=start_at, end_at=end_at, by=by)
        for by in call_queries.CALL_GROUPS
    }
    metro_of = {}
    if place == "metro":
        metro_of = metros_of(
            {row[2] for row in leads}
            | {row["purchase__lead__zip_code_id"] for row in lead_revenue}
            | {row["place_zip"] for row in calls["place"]}
        )
    for created_at, status, zip_code, city, state, offered_at, sold_at in leads:
        day = created_at.astimezone(zone).date()
        for stats in (
            totals.leads,
            time_bucket(day).leads,
            place_bucket(zip_code, city, state).leads,
        ):
            stats.received += 1
            if status == Lead.Status.REJECTED:
                stats.rejected += 1
            if sold_at is not None:
                stats.sold += 1
                stats.to_sale.append(max(0, int((sold_at - created_at).total_seconds())))
            elif status == Lead.Status.EXPIRED:
                stats.expired += 1
            if offered_at is not None:
                stats.to_offer.append(max(0, int((offered_at - created_at).total_seconds())))

    # Revenue: ledger entries posted in the period, summed by day, kind and route in SQL.
    stream_of = {
        Entry.Kind.SUBSCRIPTION: "subscriptions_cents",
        Entry.Kind.MEMBERSHIP: "memberships_cents",
        Entry.Kind.CREDIT: "credits_cents",
        Entry.Kind.REVERSAL: "credits_cents",
    }
    rows = billing_queries.revenue_by_day(
        kinds=[Entry.Kind.LEAD_PURCHASE, *stream_of], start_at=start_at, end_at=end_at, zone=zone
    )
    for row in rows:
        if row["kind"] == Entry.Kind.LEAD_PURCHASE:
            attr = _lead_stream(row["purchase__offer__route"])
            amount = -row["total"]  # debits to the contractor are revenue to us
        else:
            attr = stream_of[row["kind"]]
            amount = row["total"] if attr == "credits_cents" else -row["total"]
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(row["day"])
        for revenue in (totals.revenue, time_bucket(day).revenue):
            setattr(revenue, attr, getattr(revenue, attr) + amount)

    for row in lead_revenue:
        revenue = place_bucket(
            row["purchase__lead__zip_code_id"],
            row["purchase__lead__zip_code__city"],
            row["purchase__lead__zip_code__state"],
        ).revenue
        attr = _lead_stream(row["purchase__offer__route"])
        setattr(revenue, attr, getattr(revenue, attr) - row["total"])  # debits are revenue

    reasons, contractors = _credits(start_at, end_at)
    for reason in reasons:
        reason.share_of_lead_revenue_bp = ratio_bp(
            reason.credited_cents, totals.revenue.lead_revenue_cents
        )
    call_totals, call_groups = _calls(calls, place, metro_of)
    overdue, overdue_count = _overdue()
    unserved = [
        UnservedRow(
            zip_code=row["zip_code_id"],
            place=f"{row['zip_code__city']}, {row['zip_code__state']}",
            category=row["category__name"],
            requests=row["n"],
        )
        for row in lead_queries.unserved_demand(
            start_at=start_at, end_at=end_at, limit=UNSERVED_ROWS
        )
    ]
    return OpsReport(
        start=start,
        end=end,
        time_zone=zone.key,
        granularity=granularity,
        place=place,
        totals=totals,
        buckets=list(buckets.values()),
        places=sorted(places.values(), key=lambda b: (-b.leads.received, b.label)),
        reasons=reasons,
        contractors=contractors,
        overdue=overdue,
        overdue_count=overdue_count,
        unserved=unserved,
        calls=call_totals,
        call_groups=call_groups,
    )


NO_PLACE = ("unknown", "Not known (no zip)")
NO_SERVICE = ("none", "Not chosen (hung up first)")


def _call_key(by: str, row: dict, place: str, metro_of) -> tuple[str, str]:
    if by == "place":
        if row["place_zip"] is None:
            return NO_PLACE
        return _place_key(
            place, row["place_city"], row["place_state"], metro_of.get(row["place_zip"])
        )
    if by == "category":
        return (
            (row["category__slug"], row["category__name"]) if row["category__slug"] else NO_SERVICE
        )
    number, label = row["tracking_number__number"], row["tracking_number__label"]
    return number, f"{label} · {number}"


def _calls(rows: dict[str, list[dict]], place: str, metro_of) -> tuple[CallStats, dict]:
    """The call counts of each grouping, added up per row of the report (several zips make
    one metro); the totals are the places' sum, since every call has one place."""
    totals, groups = CallStats("all", "All"), {}
    for by, found in rows.items():
        stats: dict[str, CallStats] = {}
        for row in found:
            key, label = _call_key(by, row, place, metro_of)
            stats.setdefault(key, CallStats(key, label)).add(row)
            if by == "place":
                totals.add(row)
        groups[by] = sorted(stats.values(), key=lambda c: (-c.calls, c.label))
    return totals, groups


def _credits(start_at, end_at) -> tuple[list[ReasonRow], list[ContractorRow]]:

    reasons = {r.slug: ReasonRow(reason=r.slug, label=r.label) for r in policy.REASONS}
    reasons[PROACTIVE] = ReasonRow(reason=PROACTIVE, label=PROACTIVE_LABEL)
    contractors: dict[int, ContractorRow] = {}

    def contractor_row(pk) -> ContractorRow:
        if pk not in contractors:
            contractors[pk] = ContractorRow(contractor_id=pk)
        return contractors[pk]

    Status = CreditClaim.Status
    filed = credit_queries.claims_filed(start_at=start_at, end_at=end_at)
    for row in filed:
        reason = reasons.setdefault(row["reason"], ReasonRow(row["reason"], row["reason"]))
        count, status = row["count"], row["status"]
        reason.filed += count
        reason.declined += count if status == Status.DECLINED else 0
        reason.pending += count if status == Status.PENDING else 0
        reason.denied += count if status == Status.DENIED else 0
        approved = count if status in {Status.APPROVED, Status.PARTIALLY_APPROVED} else 0
        reason.approved += approved
        contractor = contractor_row(row["purchase__contractor"])
        contractor.claims += count
        contractor.approved += approved

    entries = billing_queries.credit_entries(start_at=start_at, end_at=end_at)
    targets = [credit_queries.credit_target(key) for key, _, _ in entries]
    claim_ids = {target[1] for target in targets if target and target[0] == "claim"}
    claim_reason = credit_queries.claim_reasons(claim_ids)
    for (_, amount, contractor_id), target in zip(entries, targets, strict=True):
        if target is None:
            continue  # a credit we cannot tie to a lead: shown in the ledger, not here
        kind, pk = target
        reason = claim_reason.get(pk, "") if kind == "claim" else PROACTIVE
        if reason in reasons:
            reasons[reason].credited_cents += amount
        contractor_row(contractor_id).credited_cents += amount

    for row in credit_queries.purchases_and_claims_by_contractor(start_at=start_at, end_at=end_at):
        if row["contractor"] in contractors:
            contractors[row["contractor"]].purchases = row["count"]
            contractors[row["contractor"]].spend_cents = row["spend"] or 0
            contractors[row["contractor"]].claimed_purchases = row["claimed"]
    names = marketplace_queries.contractor_labels(list(contractors))
    for row in contractors.values():
        row.label = names.get(row.contractor_id, f"Contractor {row.contractor_id}")
    return (
        [r for r in reasons.values() if r.filed or r.credited_cents],
        sorted(
            contractors.values(),
            key=lambda r: (-r.credited_cents, -(r.claim_rate_bp or 0), r.label.lower()),
        ),
    )


def _overdue(limit: int = 100):

    return credit_queries.overdue_claims(limit=limit)

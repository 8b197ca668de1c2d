"""Reads of leads shared by views, the API and other apps."""

import operator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import NamedTuple

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from marketplace import clock
from marketplace.compiled import CompiledQuery
from marketplace.models import Contractor

from . import rollup
from .models import (
    PENDING_EXPIRES_AT,
    PENDING_FIRST,
    AnalyticsCell,
    Lead,
    Offer,
    Purchase,
    ResponseCount,
    Review,
)
from .policy import DUPLICATE_WINDOW
from .pricing import lead_price

HOMEOWNER_STATUS = {
    Lead.Status.SUBMITTED: ("Received", "We have your request and are checking it."),
    Lead.Status.SCREENING: (
        "Being checked",
        "A member of our team is checking a detail of your request. This usually takes "
        "less than a business day.",
    ),
    "chosen_pro_unavailable": (
        "Your chosen pro can't take it",
        "The pro you chose cannot take your request right now. We have not shared it with "
        "anyone else: say below whether to send it to other local pros who do this work.",
    ),
    "unserved": (
        "No pro covers this yet",
        "No pro on Fairlead does this work in your zip code yet. We keep your request until "
        "it expires: if a pro who does joins meanwhile, they can still take it, and we email "
        "you either way. You may want to ask elsewhere too.",
    ),
    "with_chosen_pro": (
        "With the pro you chose",
        "Your request went to the pro you chose, and only to them. They will contact you "
        "directly by your preferred contact method.",
    ),
    Lead.Status.OPEN: (
        "Finding pros",
        "We are showing your request to local pros who do this work. You will hear from "
        "them directly by your preferred contact method.",
    ),
    Lead.Status.FILLED: (
        "Matched",
        "A pro accepted your request (their name is below) and will contact you.",
    ),
    Lead.Status.EXPIRED: (
        "No match this time",
        "No pro could take your request in time. You are welcome to send a new one.",
    ),
    Lead.Status.REJECTED: ("Closed", "This request is closed and will not be shared."),
}


def leads_for_status_page():

    return Lead.objects.select_related("category", "zip_code").prefetch_related(
        Prefetch("purchases", queryset=Purchase.objects.select_related("contractor"))
    )


# Why a closed request was closed, as the homeowner reads it (ops' words stay internal).
REJECTION_SAID = {
    Lead.RejectReason.OUT_OF_AREA: "We cannot serve this address, so it was not shared with "
    "pros. You are welcome to send a new request for another address.",
    Lead.RejectReason.INVALID: "We could not verify the contact details, so it was not shared "
    "with pros. Send a new request with a phone and email where we can reach you.",
    Lead.RejectReason.NOT_REQUESTED: "You told us you did not make this request, so it was "
    "not shared any further.",
}


def homeowner_status(lead: Lead) -> dict:
    key = lead.status
    if lead.unserved and lead.status == Lead.Status.OPEN and not lead.purchases.exists():
        key = "unserved"
    if (
        lead.status == Lead.Status.OPEN
        and lead.profile_contractor_id
        and lead.released_at is None
        and lead.chosen_pro_unavailable_at is None
    ):
        key = "with_chosen_pro"
    if awaits_release(lead):
        key = "chosen_pro_unavailable"
    title, explanation = HOMEOWNER_STATUS[key]
    if lead.homeowner_hired_at is not None:
        title = "Closed"
        explanation = "You told us you hired someone, so we stopped showing your request to pros."
    elif lead.status == Lead.Status.REJECTED and lead.rejection_reason in REJECTION_SAID:
        explanation = REJECTION_SAID[lead.rejection_reason]
    if lead.status == Lead.Status.REJECTED and lead.rejection_reason == Lead.RejectReason.DUPLICATE:
        explanation = (
            "You already sent us this request recently, and we are still working on it. "
            "Use the link in the first confirmation email to follow it."
        )
    return {"title": title, "explanation": explanation}


def awaits_release(lead: Lead) -> bool:
    """The pro the homeowner chose cannot take it, and the homeowner has not yet said
    whether to send it to other pros."""
    return (
        lead.status == Lead.Status.OPEN
        and lead.chosen_pro_unavailable_at is not None
        and lead.released_at is None
    )


def masked_email(lead: Lead) -> str:
    """d•••@example.com: enough for the homeowner to recognise, little for anyone else."""
    local, _, domain = lead.email.partition("@")
    return f"{local[:1]}•••@{domain}"


def same_homeowner_leads(lead: Lead, now):
    """The ids of this homeowner's leads (phone or email) in this category and the
    duplicate window, for `lead__in`: nobody who bought one of them is sold another
    (DESIGN, step 3)."""
    return _same_homeowner(
        phone=lead.phone,
        email=lead.email,
        category_id=lead.category_id,
        since=now - DUPLICATE_WINDOW,
    )


def _same_homeowner(*, phone: str, email: str, category_id: int, since):
    """same_homeowner_leads() from plain values: one branch per way of knowing the
    homeowner, each answered by its own index (lead_dup_phone_idx, lead_dup_email_idx)
    whatever the statistics say. As one OR, PostgreSQL could walk every lead of the
    category in the window instead (1 ms at a few thousand, on every routing and accept)."""

    def branch(**same):
        return (
            Lead.objects.filter(**same, category_id=category_id, created_at__gte=since)
            .order_by()
            .values("pk")
        )

    leads = branch(phone=phone)
    if email:  # a caller has no email: "" would make every caller one homeowner
        leads = leads.union(branch(email=email), all=True)
    return leads


@dataclass(frozen=True)
class CapTimes:
    """The moments the caps count from, at `now`: 24 hours and 7 days ago, the start of the
    default zone's local month and of each zone's (`month_starts`: (zone, start) for every
    zone a contractor is in), and `since`, the earliest of them."""

    day_ago: datetime
    week_ago: datetime
    month_default: datetime
    month_starts: tuple
    since: datetime

    @classmethod
    def at(cls, now, *, zones) -> "CapTimes":
        month_starts = tuple((zone, clock.month_start(zone, now=now)) for zone in zones)
        day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
        month_default = clock.month_start(None, now=now)
        since = min([week_ago, month_default] + [start for _zone, start in month_starts])
        return cls(day_ago, week_ago, month_default, month_starts, since)


def _zones(contractors) -> list[str]:
    """The time zones these contractors are in: one small query."""
    return list(contractors.order_by().values_list("timezone", flat=True).distinct())


def _over_caps(*, price_cents: int, times: CapTimes):
    """A contractor's purchases that put them at a cap for one more lead at `price_cents`:
    the daily (24 h) or weekly (7 days) count, or this local month's spend (from local
    midnight on the 1st in their zone) plus this price over the monthly budget. One grouped
    row per contractor over their recent purchases (index purchase_caps_idx), read as NOT
    EXISTS: the planner then sizes the pros who pass right (a filter per cap made it guess
    a few dozen where a thousand pass, and join them row by row)."""

    month_start = Case(
        *[
            When(Exact(OuterRef("timezone"), zone), then=Value(start))
            for zone, start in times.month_starts
        ],
        default=Value(times.month_default),
        output_field=DateTimeField(),
    )
    return (
        Purchase.objects.filter(contractor=OuterRef("pk"), created_at__gte=times.since)
        .order_by()
        .values("contractor")
        .annotate(
            bought_today=Count("pk", filter=Q(created_at__gte=times.day_ago)),
            bought_week=Count("pk", filter=Q(created_at__gte=times.week_ago)),
            # This month's spend with this lead's price: over the budget is at the cap.
            spent_with_this=Coalesce(
                Sum("price_cents", filter=Q(created_at__gte=month_start)), Value(0)
            )
            + Value(price_cents),
        )
        .filter(
            # The contractor's own row, joined (SQLite refuses outer columns in HAVING); its
            # columns alone, so GROUP BY repeats no parameter (PostgreSQL would not match
            # two bound copies of one).
            Q(bought_today__gte=F("contractor__daily_lead_cap"))
            | Q(bought_week__gte=F("contractor__weekly_lead_cap"))
            | Q(spent_with_this__gt=F("contractor__monthly_budget_cents"))
        )
    )


def _takes_leads(*, star_threshold: int | None):
    """Active, onboarded, not paused; and with `star_threshold`, a star score at or above it
    (or no reviews yet)."""
    contractors = Contractor.objects.filter(
        is_active=True, is_paused=False, onboarded_at__isnull=False
    )
    if star_threshold is not None:
        contractors = contractors.filter(
            Q(star_score__isnull=True) | Q(star_score__gte=star_threshold)
        )
    return contractors


def buyers(lead: Lead, *, price_cents: int, now, star_gated: bool = True):
    """Contractors who may buy this lead now: the rules on the contractor's side of DESIGN
    step 5, used both to choose whom to offer a lead and again when they accept it.

    Active, onboarded, not paused, star score at or above the threshold (or no reviews
    yet), under the daily (24 h) and weekly (7 days) caps, this month's purchases (the
    contractor's local month) plus this price within the monthly budget, and never bought
    this homeowner for this category in 30 days. The balance is checked when offering and,
    under a lock, when paying. The star score gates the marketplace only (seed 004): a
    territory's subscriber paid for its leads, and a homeowner chose a profile lead's pro
    (`star_gated=False`).
    """
    star_threshold = settings.STAR_SCORE_THRESHOLD if star_gated else None
    return _buyers(
        star_threshold=star_threshold,
        homeowner=same_homeowner_leads(lead, now),
        price_cents=price_cents,
        times=CapTimes.at(now, zones=_zones(_takes_leads(star_threshold=star_threshold))),
    )


def _buyers(*, star_threshold, homeowner, price_cents: int, times: CapTimes):
    return (
        _takes_leads(star_threshold=star_threshold)
        .exclude(purchases__lead__in=homeowner)
        # The caps with nothing bought yet; then with what they bought (_over_caps).
        .filter(daily_lead_cap__gt=0, weekly_lead_cap__gt=0, monthly_budget_cents__gte=price_cents)
        .filter(~Exists(_over_caps(price_cents=price_cents, times=times)))
    )


def public_phone(contractor) -> str:
    """The number a pro's profile rings: their Fairlead profile number when they have one
    (seed 004: calls to it are counted and timed, not just clicked), else their own."""
    number = (
        contractor.tracking_numbers.filter(active=True, purpose="profile")
        .values_list("number", flat=True)
        .first()
    )
    return number or contractor.phone


def takes_profile_requests(contractor) -> bool:
    """May homeowners ask this pro for a quote now? Active, onboarded, not paused, and a
    balance that covers the smallest job in their services (a profile lead's price: the
    marketplace rate, never star-gated). Reads the contractor's prefetched categories and
    account, so a directory page costs no query per pro."""
    if not (contractor.is_active and contractor.onboarded_at and not contractor.is_paused):
        return False
    prices = [
        lead_price(
            route=Offer.Route.PROFILE, category=c, estimated_value_cents=c.small_job_value_cents
        ).cents
        for c in contractor.categories.all()
        if c.active
    ]
    account = getattr(contractor, "account", None)
    balance = account.balance_cents if account is not None else 0
    return bool(prices) and balance >= min(prices)


def covered(*, category_id: int, zip_code_id: str) -> bool:
    """Does any pro who takes leads (active, onboarded, not paused) do this job here? If
    not, the homeowner is told at once and ops see it as unserved demand."""

    return covering(category_id=category_id, zip_code_id=zip_code_id).exists()


def covering(*, category_id: int, zip_code_id: str):
    """The pros who take leads (active, onboarded, not paused) and do this job here."""
    return Contractor.objects.filter(
        is_active=True,
        is_paused=False,
        onboarded_at__isnull=False,
        categories=category_id,
        service_areas__zip_code=zip_code_id,
    )


def serving(contractors, lead: Lead):
    """Those of `contractors` who do this lead's work where it is: its category, its zip."""
    return _serving(contractors, category_id=lead.category_id, zip_code_id=lead.zip_code_id)


def _serving(contractors, *, category_id, zip_code_id):
    return contractors.filter(categories=category_id, service_areas__zip_code=zip_code_id)


def eligible_contractors(lead: Lead, *, tier: str, price_cents: int, now):
    """Contractors of one tier to offer this lead to (DESIGN, Lead lifecycle step 5), in
    one query whatever their number: the buyers() rules, plus _offerable()'s."""
    return _offerable(
        buyers(lead, price_cents=price_cents, now=now),
        category_id=lead.category_id,
        zip_code_id=lead.zip_code_id,
        tier=tier,
        price_cents=price_cents,
        lead_id=lead.pk,
    ).select_related("user")


def _offerable(buyers, *, category_id, zip_code_id, tier, price_cents, lead_id):
    """Those of `buyers` a wave of this tier offers the lead to: serving its category and
    zip, of the tier, a balance that covers the price, and not offered the lead yet."""
    return (
        _serving(buyers, category_id=category_id, zip_code_id=zip_code_id)
        .filter(tier=tier, account__balance_cents__gte=price_cents)
        .exclude(offers__lead=lead_id)
        .order_by("pk")
    )


# What a wave reads of each pro it offers a lead to: the offer, and its messages (WavePro).
WAVE_PRO_FIELDS = (
    "phone",
    "timezone",
    "notify_in_app",
    "notify_email",
    "notify_sms",
    "quiet_hours_start",
    "quiet_hours_end",
)


def _wave_query(*, lead_id, category_id, zip_code_id, tier, price_cents, star_threshold,
                phone, dup_since, day_ago, week_ago, month_default, since, email=None,
                **zones):  # fmt: skip
    """eligible_contractors() from plain values, for `wave_contractors` to compile once:
    `zones` holds zone_<i> and month_<i>, each zone's name and the start of its month."""
    count = len(zones) // 2
    times = CapTimes(
        day_ago,
        week_ago,
        month_default,
        tuple((zones[f"zone_{i}"], zones[f"month_{i}"]) for i in range(count)),
        since,
    )
    homeowner = _same_homeowner(phone=phone, email=email, category_id=category_id, since=dup_since)
    buyers = _buyers(
        star_threshold=star_threshold, homeowner=homeowner, price_cents=price_cents, times=times
    )
    return _offerable(
        buyers,
        category_id=category_id,
        zip_code_id=zip_code_id,
        tier=tier,
        price_cents=price_cents,
        lead_id=lead_id,
    ).values_list("pk", "user_id", "user__email", *WAVE_PRO_FIELDS)


_WAVE_QUERY = CompiledQuery(_wave_query)


class WaveUser(NamedTuple):
    pk: int
    email: str


class WavePro(NamedTuple):
    """What a wave reads of a pro it offers a lead to (WAVE_PRO_FIELDS, their user's email),
    read as a Contractor is: a wave of a thousand pros builds no two thousand model
    instances (that cost routing about 15 ms)."""

    pk: int
    user_id: int
    user: WaveUser
    phone: str
    timezone: str
    notify_in_app: bool
    notify_email: bool
    notify_sms: bool
    quiet_hours_start: time | None
    quiet_hours_end: time | None


def wave_contractors(lead: Lead, *, tier: str, price_cents: int, now) -> list[WavePro]:
    """eligible_contractors(), as a wave reads them, from a query compiled once per process:
    building it cost routing more than running it."""
    star_threshold = float(settings.STAR_SCORE_THRESHOLD)  # as the FloatField takes it
    times = CapTimes.at(now, zones=_zones(_takes_leads(star_threshold=star_threshold)))
    values = {
        "lead_id": lead.pk,
        "category_id": lead.category_id,
        "zip_code_id": lead.zip_code_id,
        "tier": tier,
        "price_cents": price_cents,
        "star_threshold": star_threshold,
        "phone": lead.phone,
        "dup_since": now - DUPLICATE_WINDOW,
        "day_ago": times.day_ago,
        "week_ago": times.week_ago,
        "month_default": times.month_default,
        "since": times.since,
    }
    if lead.email:
        values["email"] = lead.email
    for i, (zone, start) in enumerate(times.month_starts):
        values[f"zone_{i}"], values[f"month_{i}"] = zone, start
    rows = _WAVE_QUERY.rows(shape=(bool(lead.email), len(times.month_starts)), **values)
    return [
        WavePro(pk, user_id, WaveUser(user_id, email), *fields)
        for pk, user_id, email, *fields in rows
    ]


def offers_for(contractor):
    """A contractor's offers, pending first (soonest to expire), then the rest newest first.
    A call lead's call, and the pro's leg of it, come along (calls' reverse relations)."""

    return (
        Offer.objects.filter(contractor=contractor)
        .select_related("lead__category", "lead__zip_code", "lead__call", "purchase", "call_leg")
        # Only a pending offer sorts by its expiry: the rest are newest first (a call lead
        # taken a minute ago sits on page one, not after months of old offers). Index
        # offer_list_order_idx is built on these very expressions.
        .annotate(pending_first=PENDING_FIRST, pending_expires_at=PENDING_EXPIRES_AT)
        .order_by("pending_first", "pending_expires_at", "-offered_at", "-pk")
    )


def offer_for(contractor, pk):
    """The contractor's own offer with this id, or None: another contractor's offer is not
    found (views answer 404, the API 404, services OfferNotFound)."""

    return (
        Offer.objects.select_related("lead__category", "lead__zip_code")
        .filter(pk=pk, contractor=contractor)
        .first()
    )


def purchase_for(contractor, pk=None, *, lead_id=None):
    """The contractor's own purchase, by its id (dashboard) or its lead's id (API), or None."""
    found = purchases_for(contractor)
    found = found.filter(pk=pk) if lead_id is None else found.filter(lead_id=lead_id)
    return found.first()


def purchases_for(contractor):
    """A contractor's purchases, newest first, with a call lead's call and the pro's leg of
    it (calls' reverse relations: the pages show duration, fee and recording, no query per row)."""

    return (
        Purchase.objects.filter(contractor=contractor)
        .select_related("lead__category", "lead__zip_code", "lead__call", "offer__call_leg")
        .order_by("-created_at")
    )


def public_reviews(contractor, limit: int = 20):
    """Submitted, visible reviews of a pro, newest first, for the public profile."""

    return (
        Review.objects.filter(
            purchase__contractor=contractor, submitted_at__isnull=False, hidden=False
        )
        .select_related("purchase__lead__category")
        .order_by("-submitted_at")[:limit]
    )


def lead_volume(
    zip_codes: list[str], *, category_ids: list[int], since
) -> dict[tuple[str, int], tuple[int, int]]:
    """Per (zip, category): (leads, summed estimated value) since a moment, rejected
    requests left out, in one query whatever the number of zips and categories. Territory
    pricing and the territory map read it."""
    rows = (
        Lead.objects.filter(
            zip_code__in=zip_codes, category_id__in=category_ids, created_at__gte=since
        )
        .exclude(status=Lead.Status.REJECTED)
        .order_by()
        .values("zip_code", "category_id")
        .annotate(n=Count("pk"), value=Sum("estimated_value_cents"))
    )
    return {(row["zip_code"], row["category_id"]): (row["n"], row["value"] or 0) for row in rows}


def analytics_sums(contractor, *, start, end, kinds=None):
    """The contractor's analytics rollup (models.AnalyticsCell, ResponseCount) summed over
    local days [start, end): whole months from the month cells; a month the period covers
    in part from its day cells, or, when it covers most of it, from the month cell less
    the days left out. So a year reads 13 month cells and at most about 30 day cells per
    key, whatever the number of leads. Two queries; returns

    - cells: (kind, key, month or None, *rollup.COUNTS), the month given for "all" only;
    - responses: (kind, key, month or None, bucket, count) likewise.

    `kinds`: only the cells of these kinds (rollup.ALL, SOURCE, CITY, CATEGORY).
    """
    whole, plus, minus = [], [], []  # whole months [from, to); day ranges to add, to take
    month = start.replace(day=1)
    while month < end:
        following = _next_month(month)
        first, stop = max(start, month), min(end, following)
        inside = (stop - first).days
        outside = (following - month).days - inside
        if inside > outside:  # the month cell, less any days left out
            if whole and whole[-1][1] == month:
                whole[-1][1] = following
            else:
                whole.append([month, following])
            minus += [(month, first), (stop, following)]
        else:
            plus.append((first, stop))
        month = following
    days = lambda ranges: [  # noqa: E731
        Q(grain=rollup.DAY, start__gte=a, start__lt=b) for a, b in ranges if a < b
    ]
    taken = days(minus)
    span = reduce(
        operator.or_,
        [Q(grain=rollup.MONTH, start__gte=a, start__lt=b) for a, b in whole] + days(plus) + taken,
    )
    sign = (
        Case(When(reduce(operator.or_, taken), then=Value(-1)), default=Value(1))
        if taken
        else Value(1)
    )
    in_month = Case(When(kind=rollup.ALL, then=F("month")), default=None, output_field=DateField())
    if kinds is not None:
        span &= Q(kind__in=list(kinds))
    cells = (
        AnalyticsCell.objects.filter(span, contractor=contractor)
        .annotate(in_month=in_month, sign=sign)
        .values("kind", "key", "in_month")
        .annotate(**{name: Sum(F(name) * F("sign")) for name in rollup.COUNTS})
        .order_by()
        .values_list("kind", "key", "in_month", *rollup.COUNTS)
    )
    responses = (
        ResponseCount.objects.filter(span, contractor=contractor)
        .annotate(in_month=in_month, sign=sign)
        .values("kind", "key", "in_month", "bucket")
        .annotate(n=Sum(F("count") * F("sign")))
        .filter(n__gt=0)
        .order_by()
        .values_list("kind", "key", "in_month", "bucket", "n")
    )
    return [cell for cell in cells if any(cell[3:])], list(responses)


def _next_month(day):
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def offers_between(contractor, *, start_at, end_at):
    """The contractor's offers shown in [start_at, end_at), for counting by group by the
    keys each offer carries (index offer_shown_keys_idx, which holds them on PostgreSQL)."""
    return Offer.objects.filter(contractor=contractor, offered_at__gte=start_at).filter(
        offered_at__lt=end_at
    )


def lead_timelines(*, start_at, end_at) -> list[tuple]:
    """Every request received in [start_at, end_at), one slim row each: (created at, status,
    zip, city, state, first offer at, first sale at). One query, for the ops report."""
    first_offer = (
        Offer.objects.filter(lead=OuterRef("pk")).order_by("offered_at").values("offered_at")[:1]
    )
    first_sale = (
        Purchase.objects.filter(lead=OuterRef("pk")).order_by("created_at").values("created_at")[:1]
    )
    return list(
        Lead.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
        .annotate(first_offer_at=Subquery(first_offer), first_sale_at=Subquery(first_sale))
        .order_by()
        .values_list(
            "created_at",
            "status",
            "zip_code_id",
            "zip_code__city",
            "zip_code__state",
            "first_offer_at",
            "first_sale_at",
        )
    )


def unserved_demand(*, start_at, end_at, limit: int):
    """Requests no pro covered in [start_at, end_at), counted by zip and service, most first."""
    return (
        Lead.objects.filter(created_at__gte=start_at, created_at__lt=end_at, unserved=True)
        .values("zip_code_id", "zip_code__city", "zip_code__state", "category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "zip_code_id", "category__name")[:limit]
    )

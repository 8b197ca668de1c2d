"""Reads of balances and statements, always scoped to one contractor."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse

from marketplace import clock
from marketplace.models import Contractor
from marketplace.money import format_cents

from . import services
from .models import Account, Entry, Membership, UnmatchedPayment
from .pricing import lead_price_cents


def balance_cents(contractor) -> int:
    account = Account.objects.filter(contractor=contractor).only("balance_cents").first()
    return account.balance_cents if account else 0


# The lowest typical job value among a contractor's active categories.
_CHEAPEST_TYPICAL_VALUE = Min(
    "categories__typical_job_value_cents", filter=Q(categories__active=True)
)


def _line(cheapest_value_cents: int | None) -> int | None:
    return None if cheapest_value_cents is None else lead_price_cents(cheapest_value_cents)


def low_balance_line_cents(contractor) -> int | None:
    """The balance below which a contractor is warned: the price of the cheapest typical
    lead among their active categories (1% of the lowest typical job value). The cheapest,
    not an average, so the warning means "you cannot buy even a cheap lead now": a balance
    above it still buys some of the leads they are offered, and warning earlier would
    nag pros who keep a small float on purpose. None when they serve no category: there is
    no lead to price, so no warning. `contractor` is a Contractor or its id."""
    pk = getattr(contractor, "pk", contractor)
    cheapest = Contractor.objects.filter(pk=pk).aggregate(value=_CHEAPEST_TYPICAL_VALUE)["value"]
    return _line(cheapest)


@dataclass(frozen=True)
class BalanceState:
    """What a balance banner needs: the balance, what is owed when it is below zero
    (buying and offers are paused then), and whether it is below the low-balance line."""

    balance_cents: int
    low_line_cents: int | None

    @property
    def owed_cents(self) -> int:
        return max(-self.balance_cents, 0)

    @property
    def paused(self) -> bool:
        return self.balance_cents < 0

    @property
    def low(self) -> bool:
        line = self.low_line_cents
        return not self.paused and line is not None and self.balance_cents < line


def balance_state(contractor) -> BalanceState:
    """The contractor's balance and its lines, in one query (for the Billing page and the
    dashboard banner)."""
    row = (
        Contractor.objects.filter(pk=contractor.pk)
        .annotate(
            balance=Subquery(
                Account.objects.filter(contractor=OuterRef("pk")).values("balance_cents")[:1]
            ),
            cheapest=_CHEAPEST_TYPICAL_VALUE,
        )
        .values("balance", "cheapest")
        .first()
    ) or {"balance": 0, "cheapest": None}
    return BalanceState(balance_cents=row["balance"] or 0, low_line_cents=_line(row["cheapest"]))


def _entries_of(contractor):
    """The contractor's entries by their account's id, a subquery (an InitPlan): index
    entry_statement_idx then reads them in statement order and stops after a page. A join
    to the account made PostgreSQL fetch and sort every entry the contractor ever had."""
    account = Account.objects.filter(contractor=contractor).values("pk")[:1]
    return Entry.objects.filter(account_id=Subquery(account))


def statement(contractor, *, month: date | None = None):
    """The contractor's entries, newest first, optionally for one calendar month (the
    contractor's local month)."""
    entries = _entries_of(contractor)
    if month is not None:
        start, end = clock.month_bounds(contractor, month)
        entries = entries.filter(created_at__gte=start, created_at__lt=end)
    return entries.order_by("-created_at", "-pk")


STATEMENT_LINE = ("created_at", "kind", "memo", "amount_cents", "balance_after_cents", "pk")


def statement_lines(contractor, *, month: date | None = None, chunk: int = 2000):
    """The statement's entries as tuples of STATEMENT_LINE, newest first, read `chunk` at a
    time by keyset (after the last one read): a month's file is one query, and a file of
    all time holds one chunk in memory, never every entry."""
    entries = statement(contractor, month=month)
    rows = list(entries.values_list(*STATEMENT_LINE)[:chunk])
    while rows:
        yield from rows
        if len(rows) < chunk:
            return
        at, pk = rows[-1][0], rows[-1][-1]
        after = Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk)
        rows = list(entries.filter(after).values_list(*STATEMENT_LINE)[:chunk])


def entry_count(contractor) -> int:
    """How many entries the contractor's statement has, from the account's running count
    (one row), not a COUNT(*) over every entry."""
    account = Account.objects.filter(contractor=contractor).only("entry_count").first()
    return account.entry_count if account else 0


def statement_months(contractor) -> list[date]:
    """Local months from the first entry's through this one (or the last entry's, if
    later), newest first, for the month picker. Read from the first entry alone (index
    entry_statement_idx), not by folding every entry into its month; a quiet month in
    between is listed and shows it had no entries."""
    first = (
        _entries_of(contractor)
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
        .first()
    )
    if first is None:
        return []
    month = clock.local_date(contractor, first).replace(day=1)
    last = clock.local_date(contractor).replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months[::-1]


# --- Readiness: what a contractor still lacks to receive leads --------------------------------
# Onboarding ends on it and the Overview shows it while anything is missing. It lives here,
# not in marketplace/, because it needs the balance and the lead price.


@dataclass(frozen=True)
class Missing:
    """One thing that keeps leads away, said for the contractor, with where to fix it."""

    code: str  # funds | service_area | categories | paused | deactivated | star_score
    title: str
    sentence: str
    url: str = ""  # empty when there is nothing to click (support reactivates an account)


def readiness(contractor) -> list[Missing]:
    """What is missing for leads to reach this contractor, most blocking first; empty when
    they are ready. Funds are short when the balance is below the price of a typical lead in
    the cheapest of their services. Three queries."""
    settings_url = reverse("marketplace:settings")
    missing = []
    if not contractor.is_active:
        missing.append(
            Missing(
                "deactivated",
                "Your account is deactivated",
                "Our team deactivated your account, so no leads reach you. "
                "Contact Fairlead support to reactivate it.",
            )
        )
    if contractor.is_paused:
        missing.append(
            Missing(
                "paused",
                "Resume offers",
                "You paused offers: no new leads reach you until you resume them in Settings.",
                settings_url,
            )
        )
    services = list(
        contractor.categories.filter(active=True)
        .order_by("typical_job_value_cents", "name")
        .values_list("name", flat=True)
    )
    if not services:
        missing.append(
            Missing(
                "categories",
                "Choose your services",
                "You offer none of the services homeowners can ask for, so no lead matches you.",
                settings_url,
            )
        )
    if not contractor.service_areas.exists():
        missing.append(
            Missing(
                "service_area",
                "Set your service area",
                "You serve no zip code yet, so no lead matches you.",
                settings_url,
            )
        )
    # The same line the low-balance alert warns at (balance_state), named for the pro.
    state = balance_state(contractor)
    balance = state.balance_cents
    if services:
        short = state.paused or state.low
        cost = f"a typical {services[0]} lead costs {format_cents(state.low_line_cents)}"
    else:
        short, cost = balance <= 0, "each lead is paid from it"
    if state.paused:
        missing.append(
            Missing(
                "funds",
                "Add funds",
                f"Your balance is {format_cents(balance)}: "
                f"you owe {format_cents(state.owed_cents)} (a "
                "reversed credit or a card refund or dispute took it below zero, as your "
                "statement shows). Buying and new offers are paused until your balance is "
                "positive again.",
                reverse("billing:home") + "#add-funds",
            )
        )
    elif short:
        missing.append(
            Missing(
                "funds",
                "Add funds",
                f"Your balance is {format_cents(balance)} and {cost}: leads are offered only when "
                "your balance covers their price.",
                reverse("billing:home") + "#add-funds",
            )
        )
    threshold = settings.STAR_SCORE_THRESHOLD
    if contractor.star_score is not None and contractor.star_score < threshold:
        missing.append(
            Missing(
                "star_score",
                "Raise your star score",
                # Shown rounded down, as every page shows it (leads/scoring.py).
                f"Your star score is {int(contractor.star_score)}%, below the {threshold}% "
                "marketplace leads need; leads sent to you by name still reach you.",
                reverse("leads:home") + "#star-score",
            )
        )
    return missing


# --- What moving up a tier costs, shown before it is charged ----------------------------------


@dataclass(frozen=True)
class UpgradeQuote:
    """What an upgrade charges today and renews at, as services.change_tier would do it."""

    tier: str
    label: str
    charge_cents: int  # today, from the balance
    prorated_from: str  # the tier whose paid month runs on, or "" for a full month
    renews_on: datetime  # when the next month is charged
    renewal_cents: int  # what each month costs from then
    balance_cents: int
    is_upgrade: bool = True  # else a move down from a tier ops set by hand, paid from today

    @property
    def covered(self) -> bool:
        return self.balance_cents >= self.charge_cents

    @property
    def balance_after_cents(self) -> int:
        return self.balance_cents - self.charge_cents


def upgrade_quote(contractor, *, tier: str, now) -> UpgradeQuote | None:
    """The quote for a move to `tier` that charges today (services.charges_now): an
    upgrade, or a move down from a tier ops set by hand; None when it charges nothing."""
    if tier not in Contractor.Tier.values:
        return None
    membership = Membership.objects.filter(contractor=contractor).first()
    if not services.charges_now(contractor, membership, tier=tier, now=now):
        return None
    running = membership is not None and membership.period_end > now
    return UpgradeQuote(
        tier=tier,
        label=Contractor.Tier(tier).label,
        charge_cents=services.upgrade_charge_cents(membership, tier=tier, now=now),
        prorated_from=membership.get_tier_display() if running else "",
        renews_on=membership.period_end if running else services.add_month(now),
        renewal_cents=services.membership_fee_cents(tier),
        balance_cents=balance_cents(contractor),
        is_upgrade=Contractor.Tier(tier).rank > Contractor.Tier(contractor.tier).rank,
    )


def charged_by_kind(contractor, *, kinds: list[str], start_at, end_at) -> dict[str, int]:
    """The sum of the contractor's ledger entries of these kinds in [start_at, end_at)."""
    rows = (
        Entry.objects.filter(account__contractor=contractor, kind__in=kinds)
        .filter(created_at__gte=start_at, created_at__lt=end_at)
        .values("kind")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    return {row["kind"]: row["total"] for row in rows}


def lead_revenue_by_place(*, start_at, end_at) -> list[dict]:
    """Lead purchases posted in [start_at, end_at), summed by the lead's zip and route."""
    return list(
        Entry.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
        .filter(kind=Entry.Kind.LEAD_PURCHASE, purchase__isnull=False)
        .values(
            "purchase__lead__zip_code_id",
            "purchase__lead__zip_code__city",
            "purchase__lead__zip_code__state",
            "purchase__offer__route",
        )
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )


def revenue_by_day(*, kinds: list[str], start_at, end_at, zone):
    """Entries of these kinds posted in [start_at, end_at), summed by local day, kind and
    the purchase's route, in SQL."""
    return (
        Entry.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
        .filter(kind__in=kinds)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "kind", "purchase__offer__route")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )


def credit_entries(*, start_at, end_at) -> list[tuple[str, int, int]]:
    """Credits and reversals posted in [start_at, end_at): (idempotency key, amount,
    contractor id)."""
    return list(
        Entry.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
        .filter(kind__in=[Entry.Kind.CREDIT, Entry.Kind.REVERSAL])
        .values_list("idempotency_key", "amount_cents", "account__contractor")
    )


def other_reports_of_payment(item: UnmatchedPayment):
    """The other unmatched items of the same card payment: by its payment intent or its
    Checkout session (a session's completion and its payment_intent.succeeded each become
    an item when they cannot be placed). Finance sees them next to the item."""
    same = Q()
    if item.payment_intent_id:
        same |= Q(payment_intent_id=item.payment_intent_id)
    if item.session_id:
        same |= Q(session_id=item.session_id)
    if item.top_up_id:
        same |= Q(top_up_id=item.top_up_id)
    if not same:
        return UnmatchedPayment.objects.none()
    return UnmatchedPayment.objects.filter(same).exclude(pk=item.pk).order_by("created_at", "pk")

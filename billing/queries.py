"""Reads of balances and statements, always scoped to one contractor."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Min, OuterRef, Q, Subquery

from marketplace.models import Contractor

from .models import Account, Entry
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


def statement(contractor, *, month: date | None = None):
    """The contractor's entries, newest first, optionally for one calendar month (UTC)."""
    entries = Entry.objects.filter(account__contractor=contractor)
    if month is not None:
        entries = entries.filter(created_at__year=month.year, created_at__month=month.month)
    return entries.order_by("-created_at", "-pk")


def statement_months(contractor) -> list[date]:
    """Months with at least one entry, newest first, for the month picker."""
    return list(
        Entry.objects.filter(account__contractor=contractor).dates(
            "created_at", "month", order="DESC"
        )
    )

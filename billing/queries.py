"""Reads of balances and statements, always scoped to one contractor."""

from datetime import date

from marketplace import clock

from .models import Account, Entry


def balance_cents(contractor) -> int:
    account = Account.objects.filter(contractor=contractor).only("balance_cents").first()
    return account.balance_cents if account else 0


def statement(contractor, *, month: date | None = None):
    """The contractor's entries, newest first, optionally for one calendar month (the
    contractor's local month)."""
    entries = Entry.objects.filter(account__contractor=contractor)
    if month is not None:
        start, end = clock.month_bounds(contractor, month)
        entries = entries.filter(created_at__gte=start, created_at__lt=end)
    return entries.order_by("-created_at", "-pk")


def statement_months(contractor) -> list[date]:
    """Local months with at least one entry, newest first, for the month picker."""
    return [
        month.date()
        for month in Entry.objects.filter(account__contractor=contractor).datetimes(
            "created_at", "month", order="DESC", tzinfo=clock.zone(contractor)
        )
    ]

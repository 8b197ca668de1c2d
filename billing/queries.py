"""Reads of balances and statements, always scoped to one contractor."""

from datetime import date

from .models import Account, Entry


def balance_cents(contractor) -> int:
    account = Account.objects.filter(contractor=contractor).only("balance_cents").first()
    return account.balance_cents if account else 0


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

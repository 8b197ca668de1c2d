import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import Account, Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(contractor):
    return services.account_for(contractor)


def test_an_entry_moves_the_balance_and_records_it(account):
    entry = services.post_entry(account, kind="top_up", amount_cents=10_000, memo="Card")
    account.refresh_from_db()
    assert account.balance_cents == 10_000
    assert entry.balance_after_cents == 10_000
    debit = services.post_entry(account, kind="lead_purchase", amount_cents=-450, memo="Lead")
    assert debit.balance_after_cents == 9_550


def test_a_debit_that_needs_cover_is_refused_when_the_balance_is_short(account):
    services.post_entry(account, kind="top_up", amount_cents=400, memo="Card")
    with pytest.raises(services.InsufficientBalance) as error:
        services.post_entry(
            account, kind="lead_purchase", amount_cents=-450, memo="Lead", require_cover=True
        )
    assert error.value.status_code == 402
    assert "$4.00 does not cover $4.50" in error.value.message
    account.refresh_from_db()
    assert account.balance_cents == 400
    assert account.entries.count() == 1


def test_the_same_cause_posts_once(account):
    first = services.post_entry(
        account, kind="top_up", amount_cents=5_000, memo="Card", idempotency_key="session:1"
    )
    again = services.post_entry(
        account, kind="top_up", amount_cents=5_000, memo="Card", idempotency_key="session:1"
    )
    assert again.pk == first.pk
    account.refresh_from_db()
    assert account.balance_cents == 5_000


@pytest.mark.parametrize("amount", [0, 1.5, "100", True])
def test_only_whole_non_zero_cents_move(account, amount):
    with pytest.raises(services.InvalidAmount):
        services.post_entry(account, kind="top_up", amount_cents=amount, memo="x")
    assert not Entry.objects.exists()


def test_entries_cannot_be_edited_or_deleted(account):
    entry = services.post_entry(account, kind="top_up", amount_cents=100, memo="x")
    entry.amount_cents = 1_000_000
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_adjustments_need_a_reason_and_a_staff_member(account, contractor):
    from tests.factories import UserFactory

    ops = UserFactory(email="finance@example.com", is_staff=True)
    with pytest.raises(services.DomainError, match="Say why"):
        services.adjust(account, amount_cents=500, reason="  ", by=ops)
    with pytest.raises(services.DomainError, match="Only staff"):
        services.adjust(account, amount_cents=500, reason="goodwill", by=contractor.user)
    entry = services.adjust(account, amount_cents=-500, reason="double top-up refunded", by=ops)
    assert (entry.kind, entry.created_by, entry.reason) == (
        "adjustment",
        ops,
        "double top-up refunded",
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(st.integers(min_value=-50_000, max_value=50_000).filter(bool), max_size=25))
def test_the_balance_always_equals_the_sum_of_the_entries(contractor, amounts):
    account = services.account_for(contractor)
    for amount in amounts:
        try:
            services.post_entry(
                account,
                kind="adjustment",
                amount_cents=amount,
                memo="p",
                reason="property",
                require_cover=amount < 0 and amount % 2 == 0,
            )
        except services.InsufficientBalance:
            pass
    account.refresh_from_db()
    total = account.entries.aggregate(total=Sum("amount_cents"))["total"] or 0
    assert account.balance_cents == total
    running = 0
    for entry in account.entries.order_by("created_at", "pk"):
        running += entry.amount_cents
        assert entry.balance_after_cents == running
    assert services.ledger_mismatches() == []


def test_check_ledger_command_finds_a_tampered_balance(account, capsys):
    services.post_entry(account, kind="top_up", amount_cents=1_000, memo="x")
    call_command("check_ledger")
    Account.objects.filter(pk=account.pk).update(balance_cents=999_999)
    with pytest.raises(CommandError, match="1 account"):
        call_command("check_ledger")
    assert "$9,999.99" in capsys.readouterr().err


def test_an_adjustment_tells_the_contractor_why_not_who(account):
    from tests.factories import UserFactory

    ops = UserFactory(email="ops@fairlead.example", is_staff=True)
    entry = services.adjust(account, amount_cents=125_075, reason="Storm-week goodwill", by=ops)
    assert entry.memo == "Adjustment: Storm-week goodwill"
    assert entry.created_by == ops  # who did it stays on record, for ops
    assert "+$1,250.75" in str(entry)

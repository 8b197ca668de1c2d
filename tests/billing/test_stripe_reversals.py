"""Card refunds and disputes reach the ledger: a reversing entry per change Stripe reports,
once, whatever the order or number of deliveries (DESIGN, Money; Trust issue item 5)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from billing import services
from billing.models import Entry, StripeEvent, TopUp
from marketplace.models import Notification
from tests.factories import UserFactory

from .conftest import (
    charge_refunded,
    checkout_completed,
    dispute_event,
    stripe_signature,
)

pytestmark = pytest.mark.django_db

PI = "pi_3Nalice"


def send(payload: bytes, *, times: int = 1) -> list:
    """Deliver a signed webhook `times` times in a row, as Stripe's retries would."""
    return [
        services.handle_stripe_webhook(payload, stripe_signature(payload)) for _ in range(times)
    ]


def balance(contractor) -> int:
    account = services.account_for(contractor)
    account.refresh_from_db()
    return account.balance_cents


def kinds_and_amounts(contractor) -> list[tuple[str, int]]:
    return list(
        Entry.objects.filter(account__contractor=contractor)
        .order_by("created_at", "pk")
        .values_list("kind", "amount_cents")
    )


@pytest.fixture
def top_up(contractor, stripe_on):
    """A $100.00 top-up, started; its completion has not reached us yet."""
    return TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=10_000, checkout_session_id="cs_1"
    )


@pytest.fixture
def paid(top_up):
    send(checkout_completed("cs_1", 10_000, event_id="evt_paid", payment_intent=PI))
    top_up.refresh_from_db()
    return top_up


def refunded(amount_refunded: int, event_id: str) -> bytes:
    return charge_refunded(PI, amount=10_000, amount_refunded=amount_refunded, event_id=event_id)


def opened(amount: int, event_id: str, *, status="needs_response", dispute="dp_1") -> bytes:
    return dispute_event(
        "created", PI, amount=amount, status=status, event_id=event_id, dispute=dispute
    )


def closed(amount: int, status: str, event_id: str) -> bytes:
    return dispute_event("closed", PI, amount=amount, status=status, event_id=event_id)


def test_completion_records_the_payment_intent_on_the_top_up(paid):
    assert (paid.status, paid.payment_intent_id) == ("paid", PI)


def test_a_full_refund_takes_the_top_up_back_once_however_often_delivered(contractor, paid):
    send(refunded(10_000, "evt_refund"), times=5)
    assert balance(contractor) == 0
    assert kinds_and_amounts(contractor) == [("top_up", 10_000), ("refund", -10_000)]
    refund = Entry.objects.get(kind="refund")
    assert refund.idempotency_key == f"stripe-refund:{PI}:10000"
    assert "refund" in refund.memo.lower()
    paid.refresh_from_db()
    assert (paid.charge_id, paid.refunded_cents, paid.refund_reversed_cents) == (
        "ch_1",
        10_000,
        10_000,
    )
    record = StripeEvent.objects.get(event_id="evt_refund")
    assert record.processed_at is not None
    assert "-$100.00" in record.result


def test_partial_refunds_debit_only_the_difference_once(contractor, paid):
    # amount_refunded is cumulative: $30 refunded, then $20 more (total $50).
    send(refunded(3_000, "evt_r1"), times=5)
    send(refunded(5_000, "evt_r2"), times=5)
    send(refunded(3_000, "evt_r1_again"), times=5)  # an old state, sent again late
    assert balance(contractor) == 5_000
    assert kinds_and_amounts(contractor) == [
        ("top_up", 10_000),
        ("refund", -3_000),
        ("refund", -2_000),
    ]


def test_partial_refunds_arriving_newest_first_debit_the_total_once(contractor, paid):
    send(refunded(5_000, "evt_r2"), times=5)
    send(refunded(3_000, "evt_r1"), times=5)
    assert balance(contractor) == 5_000
    assert kinds_and_amounts(contractor) == [("top_up", 10_000), ("refund", -5_000)]
    assert StripeEvent.objects.get(event_id="evt_r1").result == "refund: no money moved"


def test_a_refund_before_the_payment_completes_waits_and_applies_then(contractor, top_up):
    send(refunded(4_000, "evt_early_refund"), times=5)
    assert balance(contractor) == 0
    assert not Entry.objects.exists()
    waiting = StripeEvent.objects.get(event_id="evt_early_refund")
    assert waiting.processed_at is None
    assert waiting.result.startswith("waiting")

    send(checkout_completed("cs_1", 10_000, event_id="evt_paid", payment_intent=PI), times=5)
    assert balance(contractor) == 6_000
    assert kinds_and_amounts(contractor) == [("top_up", 10_000), ("refund", -4_000)]
    waiting.refresh_from_db()
    assert waiting.processed_at is not None
    assert "-$40.00" in waiting.result


def test_a_dispute_withdraws_the_amount_and_a_won_dispute_returns_it(contractor, paid):
    send(opened(10_000, "e1"), times=5)
    assert balance(contractor) == 0
    send(closed(10_000, "won", "e2"), times=5)
    assert balance(contractor) == 10_000
    assert kinds_and_amounts(contractor) == [
        ("top_up", 10_000),
        ("chargeback", -10_000),
        ("chargeback", 10_000),
    ]
    keys = set(Entry.objects.filter(kind="chargeback").values_list("idempotency_key", flat=True))
    assert keys == {"stripe-dispute:dp_1:open:10000", "stripe-dispute:dp_1:won:0"}


def test_a_lost_dispute_keeps_the_withdrawal_and_never_debits_twice(contractor, paid):
    send(opened(7_000, "e1"), times=5)
    send(closed(7_000, "lost", "e2"), times=5)
    send(opened(7_000, "e3"))
    assert balance(contractor) == 3_000
    assert kinds_and_amounts(contractor) == [("top_up", 10_000), ("chargeback", -7_000)]


@pytest.mark.parametrize(("outcome", "expected"), [("won", 10_000), ("lost", 3_000)])
def test_a_dispute_closed_before_it_was_created_ends_in_the_same_balance(
    contractor, paid, outcome, expected
):
    send(closed(7_000, outcome, "e2"), times=5)
    send(opened(7_000, "e1"), times=5)
    assert balance(contractor) == expected
    assert Entry.objects.filter(kind="chargeback").count() == (outcome == "lost")


def test_a_dispute_before_the_payment_completes_applies_with_it(contractor, top_up):
    send(opened(10_000, "e1"))
    send(closed(10_000, "lost", "e2"))
    send(refunded(2_000, "evt_refund"))
    assert not Entry.objects.exists()
    send(checkout_completed("cs_1", 10_000, event_id="evt_paid", payment_intent=PI))
    assert balance(contractor) == 0  # the refund and the lost dispute together: the charge
    assert kinds_and_amounts(contractor) == [
        ("top_up", 10_000),
        ("refund", -2_000),
        ("chargeback", -8_000),
    ]


def test_a_refund_and_a_lost_dispute_never_take_more_than_the_charge(contractor, paid):
    send(refunded(4_000, "evt_refund"))
    send(opened(10_000, "e1"))
    send(closed(10_000, "lost", "e2"))
    send(refunded(6_000, "evt_refund_more"))
    assert balance(contractor) == 0
    taken = -sum(a for kind, a in kinds_and_amounts(contractor) if kind != "top_up")
    assert taken == 10_000


def test_a_refund_after_a_won_dispute_is_taken_in_full(contractor, paid):
    send(opened(10_000, "e1"))
    send(refunded(4_000, "evt_refund"))  # the dispute already holds it all: nothing more
    assert balance(contractor) == 0
    send(closed(10_000, "won", "e2"))
    assert balance(contractor) == 6_000  # the dispute's money back, the refund kept


def test_an_inquiry_withdraws_nothing(contractor, paid):
    send(opened(10_000, "e1", status="warning_needs_response"))
    send(closed(10_000, "warning_closed", "e2"))
    assert balance(contractor) == 10_000
    assert kinds_and_amounts(contractor) == [("top_up", 10_000)]
    paid.refresh_from_db()
    assert paid.dispute_status == "closed"


def test_events_for_an_unknown_payment_move_nothing(contractor, paid):
    send(charge_refunded("pi_nobody", amount=500, amount_refunded=500, event_id="evt_x"))
    send(dispute_event("created", "", amount=500, status="needs_response", event_id="evt_y"))
    assert kinds_and_amounts(contractor) == [("top_up", 10_000)]
    assert StripeEvent.objects.get(event_id="evt_x").result.startswith("waiting")
    assert StripeEvent.objects.get(event_id="evt_y").result == "no payment intent: ignored"


def test_a_second_dispute_on_the_same_payment_is_left_to_ops(contractor, paid):
    send(opened(5_000, "e1"))
    send(opened(5_000, "e2", dispute="dp_2"))
    assert balance(contractor) == 5_000
    assert "second dispute" in StripeEvent.objects.get(event_id="e2").result


@pytest.fixture
def finance(staff_groups):
    user = UserFactory(email="finance@fairlead.example", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user


def test_finance_staff_are_emailed_once_for_each_refund_or_dispute_applied(
    contractor, paid, finance
):
    UserFactory(email="screener@fairlead.example", is_staff=True)
    send(refunded(2_500, "evt_refund"), times=5)
    send(opened(7_500, "e1"))
    emails = Notification.objects.filter(template="stripe_reversal").order_by("pk")
    assert [n.to for n in emails] == ["finance@fairlead.example"] * 2
    assert "Alice Plumbing" in emails[0].subject
    assert "-$25.00" in emails[0].body and "$75.00" in emails[0].body
    assert "dispute" in emails[1].body.lower() and "$0.00" in emails[1].body


def test_the_stripe_event_admin_shows_what_each_event_did(client, contractor, paid, finance):
    send(refunded(2_500, "evt_refund"))
    client.force_login(finance)
    page = client.get(reverse("admin:billing_stripeevent_changelist")).content.decode()
    assert "evt_refund" in page and "-$25.00" in page
    found = client.get(reverse("admin:billing_topup_changelist"), {"q": PI})
    assert list(found.context["cl"].result_list) == [paid]
    assert '<td class="field-refunded">$25.00</td>' in found.content.decode()

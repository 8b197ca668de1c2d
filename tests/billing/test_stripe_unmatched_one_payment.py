"""One card payment reaches a balance once, however many unmatched items report it.

A Checkout session paid for another amount than its top-up is one item (the session's);
its payment_intent.succeeded keeps waiting and, after STRIPE_UNMATCHED_AFTER, becomes a
second item for the same payment. Finance crediting both, in either order or at once,
credited the money twice (reviewer, issue 13): each credit had its own idempotency key."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import Entry, StripeEvent, TopUp, UnmatchedPayment
from tests.factories import ContractorFactory

from .conftest import charge_refunded, stripe_event
from .test_stripe_unmatched import PI, balance, session, signed

pytestmark = pytest.mark.django_db


def deliver(payload: bytes):
    return services.handle_stripe_webhook(payload, signed(payload))


def payment_succeeded(amount: int, *, event_id="evt_pi", intent=PI) -> bytes:
    return stripe_event(
        event_id,
        "payment_intent.succeeded",
        {"id": intent, "object": "payment_intent", "amount": amount, "currency": "usd"},
    )


def paid_another_amount_then_flagged(contractor):
    """$50 top-up paid $75: the session's item, then its payment's item an hour later."""
    top_up = TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_m"
    )
    deliver(session("cs_m", 7_500, event_id="evt_cs"))
    deliver(payment_succeeded(7_500))
    assert services.flag_unmatched_stripe_events(now=timezone.now() + timedelta(hours=2)) == 1
    by_session = UnmatchedPayment.objects.get(reason="amount")
    by_intent = UnmatchedPayment.objects.get(reason="no_payment")
    assert by_session.top_up == top_up and by_intent.top_up is None
    return top_up, by_session, by_intent


@pytest.mark.parametrize("first", ["session", "intent"])
def test_the_two_reports_of_one_mismatched_payment_credit_it_once_in_either_order(
    contractor, finance, stripe_on, first
):
    top_up, by_session, by_intent = paid_another_amount_then_flagged(contractor)
    account = services.account_for(contractor)
    one, other = (by_session, by_intent) if first == "session" else (by_intent, by_session)
    entry = services.credit_unmatched(one, account=account, note="Stripe: $75", by=finance)
    with pytest.raises(services.AlreadyResolved):
        services.credit_unmatched(other, account=account, note="again", by=finance)
    assert balance(contractor) == 7_500
    assert Entry.objects.filter(amount_cents__gt=0).count() == 1
    one.refresh_from_db()
    other.refresh_from_db()
    assert (one.status, one.entry) == ("credited", entry)
    # The other report of the same payment is closed, naming the item that credited it.
    assert other.status == "matched"
    assert f"item {one.pk}" in other.note
    assert other.resolved_by == finance
    # The payment_intent.succeeded event says what happened, not "matched when its session
    # completed" over a credit by hand.
    pi_event = StripeEvent.objects.get(event_id="evt_pi")
    assert pi_event.processed_at is not None
    assert "session completed" not in pi_event.result


def test_a_legacy_credit_by_its_intent_key_still_refuses_the_session_item(
    contractor, finance, stripe_on
):
    """Items credited before this fix left only a `stripe-unmatched:pi_…` entry."""
    _, by_session, by_intent = paid_another_amount_then_flagged(contractor)
    account = services.account_for(contractor)
    services.post_entry(
        account,
        kind=Entry.Kind.TOP_UP,
        amount_cents=7_500,
        memo="placed by hand",
        idempotency_key=f"stripe-unmatched:{PI}",
    )
    with pytest.raises(services.AlreadyResolved):
        services.credit_unmatched(by_session, account=account, note="x", by=finance)
    assert balance(contractor) == 7_500


def test_a_session_completing_after_finance_credited_its_payment_credits_nothing(
    contractor, finance, stripe_on
):
    TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_l"
    )
    deliver(payment_succeeded(5_000))
    services.flag_unmatched_stripe_events(now=timezone.now() + timedelta(hours=2))
    item = UnmatchedPayment.objects.get()
    services.credit_unmatched(item, account=services.account_for(contractor), note="k", by=finance)
    record = deliver(session("cs_l", 5_000, event_id="evt_late"))
    assert balance(contractor) == 5_000
    assert "already on a balance" in record.result


def test_a_session_whose_top_up_was_written_after_it_completed_credits_that_top_up(
    contractor, finance, stripe_on
):
    account = services.account_for(contractor)
    deliver(session("cs_race", 5_000, event_id="evt_race", account_id=account.pk))
    top_up = TopUp.objects.create(
        account=account, amount_cents=5_000, checkout_session_id="cs_race"
    )
    item = UnmatchedPayment.objects.get()
    entry = services.credit_unmatched(item, account=account, note="hers", by=finance)
    top_up.refresh_from_db()
    assert (top_up.status, top_up.entry, top_up.payment_intent_id) == ("paid", entry, PI)
    assert TopUp.objects.count() == 1
    assert balance(contractor) == 5_000


def test_the_flag_says_how_long_it_waited_in_minutes(contractor, finance, stripe_on):
    deliver(payment_succeeded(5_000))
    services.flag_unmatched_stripe_events(now=timezone.now() + timedelta(hours=2))
    detail = UnmatchedPayment.objects.get().detail
    assert "within 60 minutes" in detail
    assert "0:00" not in detail


def test_a_refund_after_finance_credited_a_payment_without_top_up_takes_it_back_once(
    contractor, finance, stripe_on
):
    account = services.account_for(contractor)
    deliver(session("cs_ghost", 5_000, event_id="evt_ghost", account_id=account.pk))
    item = UnmatchedPayment.objects.get()
    entry = services.credit_unmatched(item, account=account, note="hers", by=finance)
    top_up = TopUp.objects.get(payment_intent_id=PI)
    assert (top_up.status, top_up.entry, top_up.amount_cents) == ("paid", entry, 5_000)
    refund = charge_refunded(PI, amount=5_000, amount_refunded=5_000, event_id="evt_rf")
    for _ in range(3):
        deliver(refund)
    assert balance(contractor) == 0
    assert Entry.objects.filter(kind=Entry.Kind.REFUND).count() == 1
    assert UnmatchedPayment.objects.count() == 1  # the refund found its payment
    services.flag_unmatched_stripe_events(now=timezone.now() + timedelta(hours=2))
    assert UnmatchedPayment.objects.count() == 1


def test_a_refund_that_waited_is_applied_when_finance_credits_its_payment(
    contractor, finance, stripe_on
):
    account = services.account_for(contractor)
    deliver(charge_refunded(PI, amount=5_000, amount_refunded=2_000, event_id="evt_rf"))
    deliver(session("cs_ghost", 5_000, event_id="evt_ghost", account_id=account.pk))
    services.flag_unmatched_stripe_events(now=timezone.now() + timedelta(hours=2))
    credit = UnmatchedPayment.objects.get(reason="no_top_up")
    services.credit_unmatched(credit, account=account, note="hers", by=finance)
    assert balance(contractor) == 3_000
    refund_item = UnmatchedPayment.objects.get(reason="no_payment")
    assert refund_item.status == "matched"


def test_the_item_page_shows_finance_the_other_items_of_its_payment(
    client, contractor, finance, stripe_on
):
    _, by_session, by_intent = paid_another_amount_then_flagged(contractor)
    unrelated = TopUp.objects.create(
        account=services.account_for(ContractorFactory()),
        amount_cents=1_000,
        checkout_session_id="cs_other",
    )
    deliver(session("cs_other", 2_000, event_id="evt_other", intent="pi_other"))
    other_item = UnmatchedPayment.objects.get(top_up=unrelated)
    client.force_login(finance)
    page = client.get(reverse("admin:billing_unmatchedpayment_change", args=[by_session.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("admin:billing_unmatchedpayment_change", args=[by_intent.pk]) in html
    assert reverse("admin:billing_unmatchedpayment_change", args=[other_item.pk]) not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row and advisory locks")
def test_two_finance_members_crediting_both_reports_at_once_credit_it_once(
    contractor, finance, stripe_on
):
    _, by_session, by_intent = paid_another_amount_then_flagged(contractor)
    account = services.account_for(contractor)
    barrier = threading.Barrier(2)
    outcomes = []

    def credit(item):
        try:
            barrier.wait()
            services.credit_unmatched(item, account=account, note="theirs", by=finance)
            outcomes.append("credited")
        except services.DomainError as error:
            outcomes.append(error.__class__.__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=credit, args=(i,)) for i in (by_session, by_intent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["AlreadyResolved", "credited"]
    assert balance(contractor) == 7_500
    assert UnmatchedPayment.objects.filter(status="credited").count() == 1
    assert services.ledger_mismatches() == []

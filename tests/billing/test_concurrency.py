"""Money races, proved with real threads on PostgreSQL (row locks do nothing on SQLite)."""

import threading

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from billing import services
from billing.models import Entry, StripeEvent, TopUp
from tests.resilience.conftest import run_at_once

from .conftest import charge_refunded, checkout_completed, stripe_signature

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="row locks need PostgreSQL (CI runs it)",
    ),
]


def test_concurrent_debits_never_overdraw_and_keep_the_sum(contractor):
    account = services.account_for(contractor)
    services.post_entry(account, kind="top_up", amount_cents=1_000, memo="start")
    # 20 purchases of $4.50 race for a $10.00 balance: exactly two can be paid.
    results = run_at_once(
        20,
        lambda i: services.post_entry(
            account, kind="lead_purchase", amount_cents=-450, memo=f"lead {i}", require_cover=True
        ),
    )
    paid = [r for r in results if isinstance(r, Entry)]
    refused = [r for r in results if isinstance(r, services.InsufficientBalance)]
    assert (len(paid), len(refused)) == (2, 18)
    account.refresh_from_db()
    assert account.balance_cents == 100
    assert sorted(e.balance_after_cents for e in paid) == [100, 550]
    assert services.ledger_mismatches() == []


def test_concurrent_credits_all_land(contractor):
    account = services.account_for(contractor)
    run_at_once(
        15, lambda i: services.post_entry(account, kind="top_up", amount_cents=100, memo=f"{i}")
    )
    account.refresh_from_db()
    assert account.balance_cents == 1_500
    assert services.ledger_mismatches() == []


def test_the_same_stripe_event_delivered_at_once_credits_once(contractor, stripe_on):
    account = services.account_for(contractor)
    TopUp.objects.create(account=account, amount_cents=10_000, checkout_session_id="cs_race")
    payload = checkout_completed("cs_race", 10_000, event_id="evt_race")
    signature = stripe_signature(payload)

    def deliver(i):
        return (
            Client()
            .post(
                reverse("billing:stripe-webhook"),
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=signature,
            )
            .status_code
        )

    assert run_at_once(8, deliver) == [200] * 8
    account.refresh_from_db()
    assert account.balance_cents == 10_000
    assert Entry.objects.filter(kind="top_up").count() == 1
    assert StripeEvent.objects.count() == 1


def post_webhook(payload: bytes) -> int:
    return (
        Client()
        .post(
            reverse("billing:stripe-webhook"),
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
        )
        .status_code
    )


def test_the_same_refund_delivered_at_once_debits_once(contractor, stripe_on):
    account = services.account_for(contractor)
    TopUp.objects.create(account=account, amount_cents=10_000, checkout_session_id="cs_refund")
    post_webhook(checkout_completed("cs_refund", 10_000, event_id="evt_p", payment_intent="pi_r"))
    refund = charge_refunded("pi_r", amount=10_000, amount_refunded=2_500, event_id="evt_r")
    # Two deliveries of the same event, and two events telling the same refund.
    again = charge_refunded("pi_r", amount=10_000, amount_refunded=2_500, event_id="evt_r2")
    payloads = [refund, refund, again, again]
    assert run_at_once(4, lambda i: post_webhook(payloads[i])) == [200] * 4
    account.refresh_from_db()
    assert account.balance_cents == 7_500
    assert Entry.objects.filter(kind="refund").count() == 1
    assert services.ledger_mismatches() == []


def test_a_refund_racing_the_payment_it_refunds_is_never_lost(contractor, stripe_on):
    """The refund cannot find its top-up until the completion commits; both serialize on
    the payment intent, so whichever runs second applies the refund."""
    account = services.account_for(contractor)
    for round_ in range(6):
        session, intent = f"cs_race_{round_}", f"pi_race_{round_}"
        TopUp.objects.create(account=account, amount_cents=10_000, checkout_session_id=session)
        payloads = [
            checkout_completed(session, 10_000, event_id=f"evt_c{round_}", payment_intent=intent),
            charge_refunded(
                intent, amount=10_000, amount_refunded=10_000, event_id=f"evt_r{round_}"
            ),
        ]
        assert run_at_once(2, lambda i, payloads=payloads: post_webhook(payloads[i])) == [200] * 2
        account.refresh_from_db()
        assert account.balance_cents == 0, round_
    assert Entry.objects.filter(kind="refund").count() == 6
    assert services.ledger_mismatches() == []


def test_a_tier_change_during_the_renewal_never_deadlocks_or_charges_twice(contractor):
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import Membership
    from tests.factories import fund

    fund(contractor, 1_000_000)
    for round_ in range(8):
        services.change_tier(contractor, tier="pro")
        now = timezone.now()
        # The paid month has just ended and beat is about to renew it.
        Membership.objects.filter(contractor=contractor).update(
            period_start=now - timedelta(days=30),
            period_end=now - timedelta(seconds=1),
            started_at=now - timedelta(days=30),
        )
        results = run_at_once(
            2,
            lambda i: (
                services.renew_memberships()
                if i == 0
                else services.change_tier(contractor, tier="elite")
            ),
        )
        assert not any(isinstance(r, Exception) for r in results), (round_, results)
        contractor.refresh_from_db()
        membership = Membership.objects.get(contractor=contractor)
        assert (contractor.tier, membership.tier) == ("elite", "elite")
        assert membership.period_end > timezone.now()
        services.change_tier(contractor, tier="base")  # scheduled; reset for the next round
        Membership.objects.filter(contractor=contractor).delete()
        contractor.tier = "base"
        contractor.save(update_fields=["tier"])
    assert services.ledger_mismatches() == []


def test_buying_a_lead_while_changing_tier_does_not_deadlock(contractor, monkeypatch):
    """The purchase holds the account and, at COMMIT, checks its rows' references to the
    contractor; the tier change holds the contractor and waits for the account. With
    FOR UPDATE on the contractor that was a deadlock; NO KEY UPDATE lets both finish."""
    import time

    import leads.services as lead_services
    from tests.factories import fund
    from tests.leads.test_accept import make_offer

    fund(contractor, 100_000)
    offer = make_offer(contractor=contractor)
    bought = threading.Event()
    send = lead_services.lifecycle.notify_address

    def slow_notify(*args, **kwargs):  # inside the purchase's transaction, before COMMIT
        send(*args, **kwargs)
        bought.set()
        time.sleep(1.5)

    monkeypatch.setattr(lead_services.lifecycle, "notify_address", slow_notify)

    def run(i):
        if i == 0:
            return lead_services.accept_offer(offer, contractor=contractor)
        bought.wait(timeout=10)
        time.sleep(0.3)  # the purchase now waits in its sleep, holding the account
        return services.change_tier(contractor, tier="elite")

    purchase, message = run_at_once(2, run)
    assert not isinstance(purchase, Exception), purchase
    assert not isinstance(message, Exception), message
    assert services.ledger_mismatches() == []

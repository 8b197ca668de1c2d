"""Hypothesis drives card payments through Stripe's life (completed, refunded in parts or
whole, disputed, dispute won or lost) and delivers the webhooks in any order, any number of
times, with lead purchases in between. After every step the ledger must be whole and agree
with what the delivered events say, and no payment is ever taken back for more than it paid."""

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing import services
from billing.models import Entry, TopUp
from tests.factories import ContractorFactory

from .conftest import charge_refunded, checkout_completed, dispute_event, stripe_signature

pytestmark = pytest.mark.django_db

MAX_PAYMENTS = 2  # few payments, so their events meet often
HOLDS = {"open", "lost"}  # dispute states in which the card network holds the money
RANK = {None: 0, "open": 1, "won": 2, "lost": 2}


@dataclass
class Payment:
    """What Stripe knows about one card payment."""

    number: int
    amount: int
    refunded: int = 0
    dispute_amount: int = 0
    dispute: str | None = None  # None, "open", "won", "lost"

    @property
    def intent(self) -> str:
        return f"pi_{self.number}"

    @property
    def dispute_id(self) -> str:
        return f"dp_{self.number}"


@dataclass
class Sent:
    """One webhook Stripe sent, and the state it tells."""

    payment: Payment
    payload: bytes
    completes: bool = False
    refunded: int = 0
    dispute: str | None = None
    delivered: bool = False


class StripeReversals(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at its end: no example sees another's.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.contractor = ContractorFactory()
        self.account = services.account_for(self.contractor)
        self.payments: list[Payment] = []
        self.sent: list[Sent] = []
        self.spent = 0
        self.events = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _event_id(self) -> str:
        self.events += 1
        return f"evt_{self.events}"

    # --- What Stripe does ------------------------------------------------------------------

    @initialize(
        amount=st.integers(min_value=1_000, max_value=20_000),
        refunds=st.integers(min_value=0, max_value=3),
        dispute=st.sampled_from(["won", "lost", "open", None]),
        data=st.data(),
    )
    def first_payment(self, amount, refunds, dispute, data):
        """A payment whose story Stripe has already told (refunds, a dispute and how it
        ended), so every example has several events to deliver out of order."""
        self.pay(amount)
        payment = self.payments[0]
        for _ in range(refunds):
            if payment.refunded < payment.amount:
                self.refund(data)
        if dispute is not None:
            self.open_dispute(data)
        if dispute in ("won", "lost"):
            self.close_dispute(data, won=dispute == "won")

    @precondition(lambda self: len(self.payments) < MAX_PAYMENTS)
    @rule(amount=st.integers(min_value=1_000, max_value=20_000))
    def pay(self, amount):
        payment = Payment(number=len(self.payments) + 1, amount=amount)
        self.payments.append(payment)
        TopUp.objects.create(
            account=self.account, amount_cents=amount, checkout_session_id=f"cs_{payment.number}"
        )
        payload = checkout_completed(
            f"cs_{payment.number}",
            amount,
            event_id=self._event_id(),
            payment_intent=payment.intent,
        )
        self.sent.append(Sent(payment, payload, completes=True))

    @precondition(lambda self: any(p.refunded < p.amount for p in self.payments))
    @rule(data=st.data())
    def refund(self, data):
        payment = data.draw(st.sampled_from([p for p in self.payments if p.refunded < p.amount]))
        left = payment.amount - payment.refunded
        part = data.draw(st.integers(min_value=1, max_value=left) | st.just(left))
        payment.refunded += part
        payload = charge_refunded(
            payment.intent,
            amount=payment.amount,
            amount_refunded=payment.refunded,
            event_id=self._event_id(),
            charge=f"ch_{payment.number}",
        )
        self.sent.append(Sent(payment, payload, refunded=payment.refunded))

    @precondition(lambda self: any(p.dispute is None for p in self.payments))
    @rule(data=st.data())
    def open_dispute(self, data):
        payment = data.draw(st.sampled_from([p for p in self.payments if p.dispute is None]))
        payment.dispute = "open"
        payment.dispute_amount = data.draw(
            st.one_of(st.just(payment.amount), st.integers(min_value=1, max_value=payment.amount))
        )
        self._send_dispute(payment, "created", "needs_response")

    @precondition(lambda self: any(p.dispute == "open" for p in self.payments))
    @rule(data=st.data(), won=st.booleans())
    def close_dispute(self, data, won):
        payment = data.draw(st.sampled_from([p for p in self.payments if p.dispute == "open"]))
        payment.dispute = "won" if won else "lost"
        self._send_dispute(payment, "closed", payment.dispute)

    def _send_dispute(self, payment: Payment, what: str, status: str):
        payload = dispute_event(
            what,
            payment.intent,
            amount=payment.dispute_amount,
            status=status,
            event_id=self._event_id(),
            dispute=payment.dispute_id,
            charge=f"ch_{payment.number}",
        )
        self.sent.append(Sent(payment, payload, dispute=payment.dispute))

    # --- What reaches us: any sent event, in any order, any number of times ------------------

    @precondition(lambda self: self.sent)
    @rule(data=st.data(), times=st.integers(min_value=1, max_value=3))
    def deliver(self, data, times):
        sent = data.draw(st.sampled_from(self.sent))
        for _ in range(times):
            services.handle_stripe_webhook(sent.payload, stripe_signature(sent.payload))
        sent.delivered = True

    @precondition(lambda self: any(not sent.delivered for sent in self.sent))
    @rule(order=st.sampled_from(["newest first", "shuffled", "as sent"]), data=st.data())
    def deliver_the_rest(self, order, data):
        """Every event not delivered yet: newest first, shuffled or in Stripe's order.
        (A true random shuffle: hypothesis's own permutations lean towards the identity,
        which is the one order that hides out-of-order bugs.)"""
        waiting = [sent for sent in self.sent if not sent.delivered]
        if order == "newest first":
            waiting.reverse()
        elif order == "shuffled":
            data.draw(st.randoms(use_true_random=True)).shuffle(waiting)
        for sent in waiting:
            services.handle_stripe_webhook(sent.payload, stripe_signature(sent.payload))
            sent.delivered = True

    @rule(amount=st.integers(min_value=1, max_value=15_000))
    def buy(self, amount):
        """A purchase needs cover: with the balance below the price (or below zero) it is
        refused."""
        can_pay = self.expected_balance() >= amount
        try:
            services.post_entry(
                self.account,
                kind="lead_purchase",
                amount_cents=-amount,
                memo="Lead",
                require_cover=True,
            )
        except services.InsufficientBalance:
            assert not can_pay
        else:
            assert can_pay
            self.spent += amount

    # --- What must hold after every step -------------------------------------------------------

    def taken_back(self, payment: Payment) -> int:
        """What the delivered events say the ledger must have taken back from this payment."""
        delivered = [s for s in self.sent if s.payment is payment and s.delivered]
        if not any(s.completes for s in delivered):
            return 0
        refunded = max((s.refunded for s in delivered), default=0)
        dispute = max((s.dispute for s in delivered), key=RANK.__getitem__, default=None)
        held = payment.dispute_amount if dispute in HOLDS else 0
        return min(payment.amount, refunded + held)

    def paid(self, payment: Payment) -> int:
        completed = any(s.completes and s.delivered for s in self.sent if s.payment is payment)
        return payment.amount if completed else 0

    def expected_balance(self) -> int:
        return sum(self.paid(p) - self.taken_back(p) for p in self.payments) - self.spent

    @invariant()
    def the_balance_is_the_sum_of_the_entries_and_what_stripe_said(self):
        self.account.refresh_from_db()
        total = self.account.entries.aggregate(total=Sum("amount_cents"))["total"] or 0
        assert self.account.balance_cents == total
        assert self.account.balance_cents == self.expected_balance()

    @invariant()
    def no_payment_is_taken_back_for_more_than_it_paid(self):
        for payment in self.payments:
            reversals = Entry.objects.filter(
                account=self.account, idempotency_key__startswith=f"stripe-refund:{payment.intent}:"
            ) | Entry.objects.filter(
                account=self.account,
                idempotency_key__startswith=f"stripe-dispute:{payment.dispute_id}:",
            )
            taken = -(reversals.aggregate(total=Sum("amount_cents"))["total"] or 0)
            assert 0 <= taken <= self.paid(payment)
            assert taken == self.taken_back(payment)


def test_refunds_and_disputes_in_any_order_keep_the_ledger_whole(stripe_on):
    run_state_machine_as_test(
        StripeReversals,
        settings=settings(
            max_examples=100,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

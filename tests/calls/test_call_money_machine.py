"""Hypothesis places calls that a pro takes, then delivers their callbacks (the Dial action
with the talk time, the pro's leg report, the recording, the caller's status) in any order,
any number of times, with the stale-call sweep, top-ups and proactive credits in between.
After every step: each account's balance is the sum of its entries, a call is charged at
most once, only if its talk time qualified, and never more is credited than was paid."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing import services as billing
from billing.models import Account, Entry
from calls import services
from calls.models import Call
from credits import services as credits
from leads.models import Purchase
from tests.factories import UserFactory

from .conftest import LINE, screen
from .phone import Phone

pytestmark = pytest.mark.django_db

QUALIFIED = 60
CALLBACKS = ["dial", "leg", "recording", "status"]


@dataclass
class Placed:
    phone: Phone
    dial: object
    seconds: int  # how long the caller and the pro really talked


def test_call_charges_hold_under_any_order_of_callbacks(line, holder, elite, clock):
    staff = UserFactory(is_staff=True, is_superuser=True)

    class CallMoney(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.client = Client()
            self.calls: list[Placed] = []

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @precondition(lambda self: len(self.calls) < 3)
        @rule(to_elite=st.booleans(), seconds=st.sampled_from([0, 12, 59, 60, 61, 75, 240]))
        def a_pro_takes_a_call(self, to_elite, seconds):
            phone = Phone(self.client, to=LINE, caller=f"+1512555{len(self.calls) + 200:04d}")
            dial = screen(phone)
            if to_elite and dial.dialled == "+15125550001":
                from .phone import TwiML

                dial = TwiML(phone.dial_ends(dial, "no-answer"))
            if dial.dialled is None:
                return  # nobody could take it (caps, balance): nothing to charge
            phone.pro_presses(phone.pro_answers(dial), "1")
            self.calls.append(Placed(phone, dial, seconds))

        @precondition(lambda self: self.calls)
        @rule(data=st.data(), callback=st.sampled_from(CALLBACKS), times=st.integers(1, 3))
        def twilio_reports(self, data, callback, times):
            placed = data.draw(st.sampled_from(self.calls))
            phone, dial = placed.phone, placed.dial
            for _ in range(times):
                if callback == "dial":
                    phone.dial_ends(dial, "completed", placed.seconds)
                elif callback == "leg":
                    phone.leg_ends(dial, placed.seconds)
                elif callback == "recording":
                    phone.recording_ready(
                        dial.find("Dial").get("recordingStatusCallback"), placed.seconds
                    )
                else:
                    phone.hang_up(placed.seconds + 30)

        @rule(minutes=st.sampled_from([1, 3, 61]))
        def the_sweep_runs(self, minutes):
            clock.shift(timedelta(minutes=minutes))
            services.settle_stale_calls()

        @rule(cents=st.integers(1, 5_000))
        def a_top_up(self, cents):
            billing.post_entry(
                billing.account_for(holder), kind="top_up", amount_cents=cents, memo="t"
            )

        @precondition(lambda self: self.calls)
        @rule(data=st.data())
        def ops_credit_the_lead(self, data):
            placed = data.draw(st.sampled_from(self.calls))
            call = Call.objects.get(call_sid=placed.phone.sid)
            credits.credit_lead_proactively(call.lead, by=staff, reason="incorrect_contact")

        @invariant()
        def balances_are_their_entries(self):
            for account in Account.objects.all():
                total = account.entries.aggregate(t=Sum("amount_cents"))["t"] or 0
                assert account.balance_cents == total

        @invariant()
        def each_call_is_charged_once_and_only_if_it_qualified(self):
            for placed in self.calls:
                call = Call.objects.get(call_sid=placed.phone.sid)
                charges = Entry.objects.filter(idempotency_key=f"call:{call.call_sid}")
                assert charges.count() <= 1
                if placed.seconds < QUALIFIED:
                    assert not charges.exists() and call.fee_cents == 0
                if call.settled_at is not None and call.bridged_seconds:
                    assert call.bridged_seconds == placed.seconds
                    assert charges.exists() == (placed.seconds >= QUALIFIED)
                purchase = Purchase.objects.get(lead=call.lead)
                assert purchase.price_cents == call.fee_cents
                credited = (
                    Entry.objects.filter(
                        kind__in=["credit", "reversal"], idempotency_key__contains=f":{purchase.pk}"
                    ).aggregate(t=Sum("amount_cents"))["t"]
                    or 0
                )
                assert credited <= purchase.price_cents

    run_state_machine_as_test(
        CallMoney,
        settings=settings(
            max_examples=40,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )

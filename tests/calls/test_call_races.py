"""Twilio retrying a call's callbacks at the same moment, proved with real threads on
PostgreSQL: one charge, one pro bridged."""

import pytest
from django.conf import settings
from django.test import Client

from billing.models import Entry
from calls.models import Call, CallLeg
from leads.models import Purchase
from tests.resilience.conftest import run_at_once

from .conftest import screen
from .phone import Phone

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="row locks need PostgreSQL (CI runs it)",
    ),
]


def test_the_dial_report_delivered_ten_times_at_once_charges_once(phone, holder):
    dial = screen(phone)
    phone.pro_presses(phone.pro_answers(dial), "1")
    results = run_at_once(
        10, lambda i: Phone(Client(), to=phone.to, sid=phone.sid).dial_ends(dial, "completed", 90)
    )
    assert all(r.status_code == 200 for r in results)
    assert Entry.objects.filter(idempotency_key=f"call:{phone.sid}").count() == 1
    assert Call.objects.get().fee_cents == 1_500


def test_two_presses_of_1_at_once_buy_once(phone, holder):
    dial = screen(phone)
    whisper = phone.pro_answers(dial)

    def press(i):
        other = Phone(Client(), to=phone.to, sid=phone.sid)
        other.leg_sid = phone.leg_sid
        return other.pro_presses(whisper, "1")

    results = run_at_once(6, press)
    assert all(r.bridges for r in results)
    assert Purchase.objects.count() == 1 and CallLeg.objects.get().status == "taken"

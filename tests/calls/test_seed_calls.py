"""The demo's phone numbers and past calls: made by the simulator, so they are real calls,
and placed once however often `make setup` runs."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import Entry
from billing.services import ledger_mismatches
from calls.models import Call, CallSettings, TrackingNumber
from leads.models import Lead

pytestmark = pytest.mark.django_db


def test_seed_calls_is_idempotent_and_its_calls_are_real(metro_zips, capsys, settings):
    settings.DEBUG = True  # as `make setup` runs it: the simulator is on
    call_command("seed_demo")
    call_command("seed_calls")
    call_command("seed_calls")

    lines = TrackingNumber.objects.filter(purpose="service_line").order_by("number")
    assert [(n.number, n.area_zip_id) for n in lines] == [
        ("+15125550100", "78701"),
        ("+16195550100", "92101"),
    ]
    assert all(n.categories.count() == 4 for n in lines)
    profile = TrackingNumber.objects.get(purpose="profile")
    assert profile.contractor.user.email == "elite@fairlead.example"
    assert CallSettings.objects.filter(enabled=True).count() == 2
    assert all(row.takes_calls for row in CallSettings.objects.all())

    calls = {c.caller_phone: c for c in Call.objects.select_related("lead")}
    assert len(calls) == 4  # not doubled by the second run
    qualified = calls["+15125550131"]
    assert (qualified.qualified, qualified.fee_cents) == (True, 1_500)
    assert qualified.legs.get().contractor.user.email == "exclusive@fairlead.example"
    short = calls["+16195550132"]
    assert (short.qualified, short.fee_cents, short.charge) == (False, 0, None)
    assert short.legs.get().contractor.user.email == "elite@fairlead.example"
    assert short.lead.purchases.get().price_cents == 0
    missed = calls["+15125550133"]
    assert (missed.outcome, missed.lead) == ("missed", None)
    voicemail = calls["+16195550134"]
    assert voicemail.outcome == "voicemail" and voicemail.recording_url.startswith("sim:")
    assert voicemail.lead.status == Lead.Status.SCREENING
    assert Lead.objects.filter(channel="call").count() == 3

    assert Entry.objects.filter(idempotency_key__startswith="call:").count() == 1
    assert ledger_mismatches() == []
    out = capsys.readouterr().out
    assert "+15125550100  Austin service line: press 1 electrical, 2 hvac, 3 plumbing" in out
    assert "+16195550199  Summit Home Services profile: rings Summit Home Services" in out

    call_command("seed_calls", "--numbers-only")
    assert "simulate_call --to +15125550100" in capsys.readouterr().out


def test_seed_calls_needs_the_demo_accounts(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_calls")


def test_where_twilio_is_live_the_numbers_are_seeded_but_no_call_is_placed(
    metro_zips, settings, capsys
):
    call_command("seed_demo")
    settings.DEBUG = False
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    call_command("seed_calls")
    assert TrackingNumber.objects.count() == 3 and not Call.objects.exists()
    assert "No demo calls placed: Twilio is live" in capsys.readouterr().out

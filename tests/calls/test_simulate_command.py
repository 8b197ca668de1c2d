"""`manage.py simulate_call` places a call through the webhooks and prints each step."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import Entry
from calls.models import Call

from .conftest import LINE

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("simulate_call", *args, stdout=out)
    return out.getvalue()


def test_a_qualified_call_from_the_command_line(line, holder):
    out = run(
        "--to", "(512) 555-0100", "--from", "512-555-0144", "--press", "2", "--zip", "78701",
        "--ready", "2", "--pro", "answer", "--talk", "75",
    )  # fmt: skip
    call = Call.objects.get()
    assert (call.caller_phone, call.qualified, call.fee_cents) == ("+15125550144", True, 1_500)
    assert Entry.objects.filter(idempotency_key__startswith="call:").count() == 1
    assert "caller hears  Thanks for calling Fairlead" in out
    assert "Twilio  rings +15125550001" in out
    assert "Alice Plumbing is charged $15.00" in out
    assert f"/admin/calls/call/{call.pk}/change/" in out


def test_a_pro_who_misses_then_one_who_talks_briefly(line, holder, elite):
    out = run(
        "--to", LINE, "--say", "plumbing", "--zip", "78701", "--ready", "1",
        "--pro", "no-answer,answer", "--talk", "30",
    )  # fmt: skip
    call = Call.objects.get()
    assert list(call.legs.values_list("status", flat=True)) == ["no_answer", "taken"]
    assert (call.qualified, call.charge) == (False, None)
    assert 'caller  says "plumbing"' in out and "not charged" in out


def test_without_a_number_it_lists_the_numbers_to_try(line):
    assert "+15125550100  Austin ads: press 1 electrical, 2 plumbing" in run()


def test_bad_options_are_explained(line, settings):
    with pytest.raises(CommandError, match="A pro may"):
        run("--to", LINE, "--pro", "shout")
    with pytest.raises(CommandError, match="555"):
        run("--to", "555")
    settings.DEBUG = False
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    with pytest.raises(CommandError, match="Twilio is live"):
        run("--to", LINE)
    assert not Call.objects.exists()

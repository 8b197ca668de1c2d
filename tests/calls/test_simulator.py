"""The call simulator plays whole calls through the real webhooks, following the TwiML they
answer: the money, the lead and the transcript are what a real call would leave."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Entry
from calls import simulator
from calls.models import Call, CallLeg, TrackingNumber
from calls.simulator import Script, SimulatorError, simulate
from leads.models import Lead, Offer, Purchase
from marketplace.models import Notification

from .conftest import LINE, PROFILE_LINE

pytestmark = pytest.mark.django_db


def plumbing_call(**kwargs) -> Script:
    answers = {"service": ["2"], "zip": ["78701"], "ready": ["2"]}
    return Script(to=LINE, answers=kwargs.pop("answers", answers), **kwargs)


def charges(pro):
    return Entry.objects.filter(account__contractor=pro, idempotency_key__startswith="call:")


def said(result) -> str:
    return "\n".join(f"{who}: {what}" for who, what in result.lines)


def test_a_qualified_call_is_charged_the_territory_fee_once(line, holder, elite):
    result = simulate(plumbing_call(talk_seconds=75))

    call = result.call
    assert (call.outcome, call.qualified, call.bridged_seconds) == ("connected", True, 75)
    assert [c.amount_cents for c in charges(holder)] == [-1_500]
    purchase = Purchase.objects.get(lead=call.lead)
    assert (purchase.contractor, purchase.price_cents) == (holder, 1_500)
    assert call.lead.status == Lead.Status.FILLED
    # The recording callback names a simulated recording, which the player makes up.
    assert call.recording_url.startswith("sim:RE") and call.recording_seconds == 75
    assert not call.voicemail
    transcript = said(result)
    assert "caller hears: Thanks for calling Fairlead" in transcript
    assert "caller: presses 2" in transcript and "caller: presses 78701" in transcript
    assert "Twilio: rings +15125550001" in transcript
    assert "pro hears: Fairlead call: plumbing in 7 8 7 0 1" in transcript
    assert "is charged $15.00" in transcript
    assert call.duration_seconds > 75  # the call status callback: screening and all


def test_a_short_call_is_recorded_and_not_charged(line, holder):
    result = simulate(plumbing_call(talk_seconds=40))

    call = result.call
    assert (call.qualified, call.fee_cents, call.charge) == (False, 0, None)
    assert not charges(holder).exists()
    purchase = Purchase.objects.get(lead=call.lead)
    assert (purchase.contractor, purchase.price_cents, purchase.entry) == (holder, 0, None)
    assert "Not qualified (0:40, under 60 s): not charged." in said(result)


def test_the_simulator_follows_a_miss_to_the_next_pro(line, holder, elite):
    result = simulate(plumbing_call(pros=["no-answer", "answer"], talk_seconds=61))

    legs = list(result.call.legs.values_list("contractor", "status"))
    assert legs == [(holder.pk, "no_answer"), (elite.pk, "taken")]
    purchase = Purchase.objects.get(lead=result.call.lead)
    assert (purchase.offer.route, purchase.price_cents) == (Offer.Route.MARKETPLACE, 450)
    assert [c.amount_cents for c in charges(elite)] == [-450]


def test_a_pro_who_passes_and_a_busy_one_then_nobody_sends_the_lead_to_routing(
    line, holder, elite, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = simulate(plumbing_call(pros=["decline", "busy"]))

    call = result.call
    assert call.outcome == Call.Outcome.NO_PRO
    assert list(call.legs.values_list("status", flat=True)) == ["declined", "busy"]
    lead = Lead.objects.get(pk=call.lead_id)  # routed after the call's last commit
    assert lead.routed_at is not None and lead.status == Lead.Status.OPEN
    assert "A local pro will call you back" in said(result)


def test_words_are_said_and_a_wrong_zip_twice_leaves_a_voicemail(line, elite):
    result = simulate(
        plumbing_call(
            answers={"service": ["plumbing"], "zip": ["00000", "99999"]}, voicemail_seconds=25
        )
    )

    call = result.call
    assert call.outcome == Call.Outcome.VOICEMAIL and call.voicemail
    assert call.recording_url.startswith("sim:RE") and call.recording_seconds == 25
    assert call.lead.status == Lead.Status.SCREENING  # held for a screener to listen
    assert 'caller: says "plumbing"' in said(result)
    assert not CallLeg.objects.exists()


def test_a_caller_who_hangs_up_at_the_zip_is_a_missed_call_and_gets_one_text(
    line, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = simulate(plumbing_call(hang_up_at="zip", caller="+15125550177"))

    call = result.call
    assert (call.outcome, call.lead) == (Call.Outcome.MISSED, None)
    text = Notification.objects.get(to="+15125550177")
    assert "zip=" not in text.body and "category=plumbing" in text.body
    assert "caller: hangs up when asked for the zip" in said(result)


def test_a_caller_who_hangs_up_while_it_rings_is_called_back(
    line, holder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = simulate(plumbing_call(hang_up_at="ringing"))

    call = result.call
    assert call.outcome == Call.Outcome.NO_PRO
    assert call.legs.get().status == CallLeg.Status.CANCELED
    assert Lead.objects.get(pk=call.lead_id).routed_at is not None
    assert not Purchase.objects.exists()


def test_a_profile_number_rings_its_pro_without_a_menu(metro_zips, elite):
    elite.base_zip_id = "78701"
    elite.save()
    number = TrackingNumber.objects.create(
        number=PROFILE_LINE, purpose="profile", label="Elite profile", contractor=elite
    )
    result = simulate(Script(to=number.number, talk_seconds=90))

    call = result.call
    assert not any(who == "caller" and "presses" in what for who, what in result.lines)
    assert call.legs.get().contractor == elite and call.qualified
    assert Purchase.objects.get(lead=call.lead).offer.route == Offer.Route.PROFILE


def test_an_unknown_number_is_not_in_service(db):
    result = simulate(Script(to="+15125550999"))

    assert result.call is None
    assert "not in service" in said(result)


def test_the_call_takes_the_time_it_would_on_the_clock(line, holder, clock):
    started = timezone.now()
    result = simulate(plumbing_call(talk_seconds=75), wait=clock.shift)

    call = result.call
    leg = call.legs.get()
    assert leg.taken_at - leg.whispered_at >= timedelta(seconds=3)
    assert timezone.now() - started == timedelta(seconds=call.duration_seconds)


def test_the_simulator_is_off_where_twilio_is_live(settings, line):
    settings.DEBUG = False
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    assert "Twilio is live" in simulator.why_off()
    with pytest.raises(SimulatorError, match="Twilio is live"):
        simulate(plumbing_call())
    assert not Call.objects.exists()

    settings.DEBUG = True  # a developer's own account: still only in-process requests
    assert simulator.why_off() == ""


def test_the_simulator_is_off_in_production_unless_a_staging_site_turns_it_on(settings, line):
    settings.DEBUG, settings.CALL_SIMULATOR, settings.TWILIO_ACCOUNT_SID = False, False, ""
    with pytest.raises(SimulatorError, match="charge real balances"):
        simulate(plumbing_call())
    assert not Call.objects.exists()
    settings.CALL_SIMULATOR = True
    assert simulator.why_off() == ""


def test_the_simulator_needs_a_token_to_sign_with(settings):
    settings.TWILIO_AUTH_TOKEN = ""
    assert "no Twilio auth token" in simulator.why_off()


def test_a_bad_script_is_refused_before_dialling(line):
    with pytest.raises(SimulatorError, match="A pro may"):
        simulate(plumbing_call(pros=["shout"]))
    with pytest.raises(SimulatorError, match="Hang up at"):
        simulate(plumbing_call(hang_up_at="dinner"))
    assert not Call.objects.exists()


def test_demo_callers_are_fictional_numbers_of_the_lines_metro(line):
    caller = simulator.demo_caller(line)
    assert caller[:9] in {"+15125550", "+17375550"} and 100 <= int(caller[-3:]) <= 199
    assert simulator.demo_caller().startswith("+15125550")


def test_a_pro_who_bought_one_callers_lead_is_still_rung_for_another_caller(line, holder):
    """Callers have no email: two callers are two homeowners, not one seen twice."""
    first = simulate(plumbing_call(caller="+15125550161"))
    second = simulate(plumbing_call(caller="+15125550162"))

    assert [r.call.legs.get().contractor for r in (first, second)] == [holder, holder]
    assert Purchase.objects.filter(contractor=holder).count() == 2
    # The same caller again is the same homeowner: never sold to the same pro twice.
    again = simulate(plumbing_call(caller="+15125550161"))
    assert again.call.outcome == Call.Outcome.NO_PRO and not again.call.legs.exists()

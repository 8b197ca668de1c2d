"""Full calls through the real webhooks, signed as Twilio signs them: screened, routed live
to the territory holder then the marketplace, bought on the whisper, charged once if the
bridged call qualified, and handed to routing when nobody takes it."""

from datetime import timedelta

import pytest

from billing.models import Entry
from calls.models import Call, CallLeg
from leads.models import ContactAttempt, Lead, Offer, Purchase

from .conftest import screen

pytestmark = pytest.mark.django_db


def balance(pro) -> int:
    pro.account.refresh_from_db()
    return pro.account.balance_cents


def call_charges(pro):
    return Entry.objects.filter(account__contractor=pro, idempotency_key__startswith="call:")


def test_screened_call_to_the_territory_holder_who_talks_75_s_is_charged_once(phone, holder, elite):
    before = balance(holder)
    dial = screen(phone)
    assert dial.dialled == "+15125550001"  # the holder first
    whisper = phone.pro_answers(dial)
    assert "plumbing in 7 8 7 0 1" in whisper.said() and "$15.00" in whisper.said()
    assert phone.pro_presses(whisper, "1").bridges
    phone.dial_ends(dial, "completed", 75)

    call = Call.objects.get()
    lead = call.lead
    assert (lead.channel, lead.phone, lead.category.slug, lead.zip_code_id) == (
        "call",
        "+15125550123",
        "plumbing",
        "78701",
    )
    assert lead.timeframe == Lead.Timeframe.WEEKS and lead.status == Lead.Status.FILLED
    purchase = Purchase.objects.get(lead=lead)
    assert purchase.contractor == holder and purchase.offer.route == Offer.Route.TERRITORY
    assert (call.qualified, call.bridged_seconds, call.fee_cents) == (True, 75, 1_500)
    assert purchase.price_cents == 1_500 and purchase.entry.amount_cents == -1_500
    assert balance(holder) == before - 1_500
    assert call_charges(holder).count() == 1
    attempt = ContactAttempt.objects.get(purchase=purchase)
    assert attempt.verified and attempt.duration_seconds == 75 and attempt.result == "reached"
    # The consent record is what the caller heard and pressed.
    consent = lead.consents.get()
    assert consent.method == "phone_ivr"
    assert "Calls may be recorded" in consent.text and "78701" in consent.text


def test_holder_misses_then_a_marketplace_pro_talks_40_s_not_charged(phone, holder, elite):
    before = balance(elite)
    first = screen(phone)
    assert first.dialled == "+15125550001"
    second = TwiMLFrom(phone.dial_ends(first, "no-answer"))
    assert second.dialled == "+15125550002"
    whisper = phone.pro_answers(second)
    assert "$4.50" in whisper.said()  # 1% of the $450 plumbing job
    assert phone.pro_presses(whisper, "1").bridges
    phone.dial_ends(second, "completed", 40)

    call = Call.objects.get()
    purchase = Purchase.objects.get(lead=call.lead)
    assert purchase.contractor == elite and purchase.offer.route == Offer.Route.MARKETPLACE
    assert (call.qualified, call.fee_cents, purchase.price_cents, purchase.entry) == (
        False,
        0,
        0,
        None,
    )
    assert balance(elite) == before and not call_charges(elite).exists()
    assert list(call.legs.values_list("status", flat=True)) == ["no_answer", "taken"]
    # The short call is still the pro's lead, with its contact revealed, and logged.
    assert ContactAttempt.objects.get(purchase=purchase).duration_seconds == 40


def test_nobody_answers_the_lead_is_routed_in_waves(
    phone, holder, elite, django_capture_on_commit_callbacks
):
    first = screen(phone)
    second = TwiMLFrom(phone.dial_ends(first, "busy"))
    with django_capture_on_commit_callbacks(execute=True):
        last = TwiMLFrom(phone.dial_ends(second, "no-answer"))
    assert "A local pro will call you back" in last.said() and last.hangs_up
    call = Call.objects.get()
    assert call.outcome == Call.Outcome.NO_PRO
    lead = Lead.objects.get(pk=call.lead_id)
    assert lead.status == Lead.Status.OPEN and lead.routed_at is not None
    # Routed as any request: the holder's exclusive window first, then the waves.
    assert lead.offers.get().route == Offer.Route.TERRITORY
    assert lead.waves.count() == 3


def test_a_pro_who_passes_is_not_offered_the_lead_again_by_the_waves(
    phone, elite, django_capture_on_commit_callbacks, clock
):
    dial = screen(phone)
    whisper = phone.pro_answers(dial)
    assert phone.pro_presses(whisper, "2").hangs_up
    with django_capture_on_commit_callbacks(execute=True):
        phone.dial_ends(dial, "completed", 9)
    lead = Call.objects.get().lead
    assert CallLeg.objects.get().status == "declined"
    # Not rung again, but offered the request like any other pro afterwards.
    assert lead.offers.get().contractor == elite


def test_a_caller_not_ready_is_sent_to_pros_as_a_request(
    phone, elite, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        done = screen(phone, ready="3")
    assert "they will call you back" in done.said() and done.find("Dial") is None
    lead = Call.objects.get().lead
    assert lead.timeframe == Lead.Timeframe.FLEXIBLE and lead.routed_at is not None
    assert lead.offers.get().contractor == elite


def test_a_pro_whose_balance_dropped_before_pressing_1_is_skipped(phone, holder, elite):
    from billing import services as billing

    dial = screen(phone)
    whisper = phone.pro_answers(dial)
    account = billing.account_for(holder)
    billing.post_entry(
        account, kind="adjustment", amount_cents=-account.balance_cents, memo="x", reason="test"
    )
    refused = phone.pro_presses(whisper, "1")
    assert "cannot take this call" in refused.said() and refused.hangs_up
    nxt = TwiMLFrom(phone.dial_ends(dial, "completed", 12))
    assert nxt.dialled == "+15125550002"
    assert CallLeg.objects.get(contractor=holder).status == "skipped"
    assert not Purchase.objects.filter(contractor=holder).exists()


def test_a_pro_in_quiet_hours_or_paused_is_not_rung(phone, holder, elite):
    from datetime import time

    holder.quiet_hours_start, holder.quiet_hours_end = time(0, 0), time(23, 59)
    holder.save()
    elite.is_paused = True
    elite.save()
    done = screen(phone)
    assert done.find("Dial") is None and "call you back" in done.said()


def TwiMLFrom(response):
    from .phone import TwiML

    return TwiML(response)


def test_stale_connected_call_is_settled_from_the_leg_report(phone, holder, clock):
    from calls import services

    dial = screen(phone)
    whisper = phone.pro_answers(dial)
    clock.shift(timedelta(seconds=6))
    phone.pro_presses(whisper, "1")
    phone.leg_ends(dial, 80)  # 6 s of whisper: 74 s bridged
    # The Dial action never comes.
    clock.shift(timedelta(minutes=3))
    assert services.settle_stale_calls() == {"settled": 1, "released": 0}
    call = Call.objects.get()
    assert (call.bridged_seconds, call.qualified, call.fee_cents) == (74, True, 1_500)
    # The Dial action arriving late changes nothing.
    phone.dial_ends(dial, "completed", 75)
    assert call_charges(holder).count() == 1


def test_a_connected_call_with_no_report_at_all_is_never_charged(phone, holder, clock):
    from calls import services

    dial = screen(phone)
    phone.pro_presses(phone.pro_answers(dial), "1")
    clock.shift(timedelta(minutes=61))
    services.settle_stale_calls()
    call = Call.objects.get()
    assert (call.qualified, call.fee_cents) == (False, 0)
    assert not call_charges(holder).exists()


@pytest.mark.parametrize("order", ["repeated", "reversed"])
def test_every_callback_three_times_in_any_order_charges_once(phone, holder, order):
    dial = screen(phone)
    whisper = phone.pro_answers(dial)
    phone.pro_presses(whisper, "1")
    callbacks = [
        lambda: phone.pro_presses(whisper, "1"),
        lambda: phone.dial_ends(dial, "completed", 75),
        lambda: phone.leg_ends(dial, 83),
        lambda: phone.recording_ready(dial.find("Dial").get("recordingStatusCallback"), 75),
        lambda: phone.hang_up(90),
    ]
    if order == "reversed":
        callbacks.reverse()
    for callback in callbacks:
        for _ in range(3):
            callback()
    call = Call.objects.get()
    assert (call.bridged_seconds, call.fee_cents, call.recording_seconds) == (75, 1_500, 75)
    assert call_charges(holder).count() == 1
    assert ContactAttempt.objects.filter(purchase__lead=call.lead).count() == 1
    assert Purchase.objects.get(lead=call.lead).price_cents == 1_500


def test_the_whisper_is_not_talk_time_a_50_s_talk_after_15_s_of_whisper_is_not_charged(
    phone, holder, clock
):
    dial = screen(phone)
    whisper = phone.pro_answers(dial)
    clock.shift(timedelta(seconds=15))  # the pro hears the job and the fee
    phone.pro_presses(whisper, "1")
    phone.dial_ends(dial, "completed", 65)  # Twilio counts from the pro's pick-up
    call = Call.objects.get()
    assert (call.bridged_seconds, call.qualified, call.fee_cents) == (50, False, 0)
    assert not call_charges(holder).exists()


def test_a_call_with_no_report_is_not_logged_as_reaching_the_homeowner(phone, holder, clock):
    from calls import services

    dial = screen(phone)
    phone.pro_presses(phone.pro_answers(dial), "1")
    clock.shift(timedelta(minutes=61))
    services.settle_stale_calls()
    call = Call.objects.get()
    assert (call.bridged_seconds, call.qualified) == (None, False)
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize(
    ("label", "said"),
    [("Austin ads", "Austin ads line"), ("San Diego service line", "San Diego service line")],
)
def test_a_call_leads_description_names_its_line_once(label, said):
    from types import SimpleNamespace

    from calls.services import _description

    call = SimpleNamespace(
        category=None, tracking_number=SimpleNamespace(label=label), zip_code_id="", timeframe=""
    )
    assert _description(call).startswith(f"Phone call to Fairlead's {said} about a service.")

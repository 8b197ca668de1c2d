"""The voice webhooks' edges: forged requests, unknown numbers, retries and voicemail,
callers who hang up, duplicates, profile numbers, and speech answers."""

import pytest
from django.urls import reverse

from calls.models import Call, CallLeg, TrackingNumber
from leads.models import Lead, LeadFlag, Offer
from marketplace.models import Notification, SmsOptOut

from .conftest import LINE, PROFILE_LINE, screen, takes_calls
from .phone import Phone, TwiML

pytestmark = pytest.mark.django_db

WEBHOOKS = [
    ("calls:voice", ()),
    ("calls:call-status", ()),
    ("calls:gather", (1, "zip")),
    ("calls:voicemail", (1,)),
    ("calls:recording", (1,)),
    ("calls:leg-recording", (1,)),
    ("calls:whisper", (1,)),
    ("calls:whisper-answer", (1,)),
    ("calls:dialed", (1,)),
    ("calls:leg-status", (1,)),
]


@pytest.mark.parametrize("name,args", WEBHOOKS, ids=[n for n, _ in WEBHOOKS])
@pytest.mark.parametrize("signature", [False, "bm90IGEgc2lnbmF0dXJl"], ids=["missing", "forged"])
def test_a_request_not_signed_by_twilio_is_refused_and_writes_nothing(
    phone, elite, name, args, signature
):
    dial = screen(phone)  # a call in progress, so the ids in the URLs exist
    before = (Call.objects.count(), CallLeg.objects.count(), Lead.objects.count())
    stage = Call.objects.get().stage
    params = phone.base(Digits="1", DialCallStatus="completed", DialCallDuration="90")
    response = phone.post(reverse(name, args=args), params, signature=signature)
    assert response.status_code == 403
    assert (Call.objects.count(), CallLeg.objects.count(), Lead.objects.count()) == before
    assert Call.objects.get().stage == stage and dial.dialled


def test_a_signature_for_other_parameters_is_refused(phone):
    params = phone.base()
    from tests.resilience.fake_providers import SITE_URL, twilio_signature

    signature = twilio_signature(SITE_URL + reverse("calls:voice"), {**params, "To": "+1999"})
    assert phone.post(reverse("calls:voice"), params, signature=signature).status_code == 403
    assert not Call.objects.exists()


def test_an_unknown_or_inactive_number_is_not_in_service(client, line, caplog):
    answer = Phone(client, to="+15125559999").ring()
    assert "not in service" in answer.said() and answer.hangs_up
    TrackingNumber.objects.filter(pk=line.pk).update(active=False)
    assert "not in service" in Phone(client, to=LINE).ring().said()
    assert not Call.objects.exists()
    assert "not one of our active numbers" in caplog.text


def test_the_first_request_repeated_asks_again_and_records_one_call(phone):
    first = phone.ring()
    again = phone.ring()
    assert first.gather_url == again.gather_url
    assert Call.objects.count() == 1


def test_an_answer_repeated_after_the_next_question_changes_nothing(phone):
    menu = phone.ring()
    asked_zip = phone.press(menu, "2")
    phone.press(menu, "1")  # Twilio retrying the service answer
    call = Call.objects.get()
    assert (call.stage, call.category.slug) == ("zip", "plumbing")
    assert phone.press(asked_zip, "78701").gather_url.endswith("/ready/")


def test_speech_answers_work_too(phone):
    menu = phone.ring()
    asked_zip = phone.press(menu, speech="I have a plumbing leak")
    asked_ready = phone.press(asked_zip, speech="7 8 7 0 1")
    assert "Austin" in asked_ready.said()
    call = Call.objects.get()
    assert (call.category.slug, call.zip_code_id) == ("plumbing", "78701")
    assert call.answers[1]["via"] == "speech"


def test_a_wrong_zip_gets_one_retry_then_voicemail_which_becomes_a_held_lead(phone):
    menu = phone.ring()
    asked_zip = phone.press(menu, "2")
    retry = phone.press(asked_zip, "00000")
    assert "not a zip code we know" in retry.said()
    voicemail = phone.press(retry)  # no input the second time
    assert voicemail.find("Record") is not None
    TwiML(phone.post(voicemail.find("Record").get("action"), phone.base(RecordingDuration="21")))
    phone.recording_ready(voicemail.find("Record").get("recordingStatusCallback"), 21)
    call = Call.objects.get()
    assert (call.outcome, call.voicemail, call.recording_seconds) == ("voicemail", True, 21)
    lead = call.lead
    # Filed under the line's metro for the screeners, who listen and correct it.
    assert (lead.zip_code_id, lead.category.slug, lead.status) == ("78701", "plumbing", "screening")
    assert lead.flags.filter(code=LeadFlag.Code.CALL_VOICEMAIL).exists()


def test_a_caller_who_hangs_up_while_screened_gets_one_text_with_what_they_said(phone):
    menu = phone.ring()
    phone.press(menu, "2")
    phone.hang_up(seconds=14)
    phone.hang_up(seconds=14)  # the status callback repeated
    call = Call.objects.get()
    assert (call.outcome, call.duration_seconds) == ("missed", 14)
    [text] = Notification.objects.filter(channel="sms")
    assert text.to == "+15125550123" and "category=plumbing" in text.body
    assert not Lead.objects.exists()


def test_a_caller_who_opted_out_gets_no_text(client, line):
    SmsOptOut.objects.create(phone="+15125550124")
    phone = Phone(client, to=LINE, caller="+15125550124")
    phone.ring()
    phone.hang_up()
    assert not Notification.objects.filter(channel="sms").exists()
    assert Call.objects.get().outcome == "missed"


def test_the_same_caller_again_within_30_days_is_a_duplicate(client, line, elite):
    first = Phone(client, to=LINE)
    screen(first, ready="3")
    again = screen(Phone(client, to=LINE))
    assert "already asked us for plumbing help" in again.said() and again.find("Dial") is None
    second = Call.objects.order_by("-pk").first()
    assert second.lead.status == Lead.Status.REJECTED and second.outcome == "held"


def test_a_caller_from_another_state_is_held_for_screening(client, line, elite):
    held = screen(Phone(client, to=LINE, caller="+16195550147"))  # San Diego, for Austin
    assert "Our team will check your request" in held.said() and held.find("Dial") is None
    lead = Call.objects.get().lead
    assert lead.status == Lead.Status.SCREENING
    assert lead.flags.filter(code=LeadFlag.Code.AREA_CODE_MISMATCH).exists()


def test_a_withheld_caller_id_is_screened_but_not_made_a_lead(client, line, elite):
    done = screen(Phone(client, to=LINE, caller="+266696687"))
    assert "caller ID" in done.said()
    assert not Lead.objects.exists()


@pytest.fixture
def profile_line(elite):
    elite.base_zip_id = "78701"  # a profile call is filed in the pro's own zip
    elite.save()
    return TrackingNumber.objects.create(
        number=PROFILE_LINE, purpose="profile", label="Elite's profile", contractor=elite
    )


def test_a_profile_number_rings_its_pro_without_a_menu(client, profile_line, elite):
    phone = Phone(client, to=PROFILE_LINE)
    dial = phone.ring()
    assert dial.find("Gather") is None and dial.dialled == "+15125550002"
    whisper = phone.pro_answers(dial)
    phone.pro_presses(whisper, "1")
    phone.dial_ends(dial, "completed", 61)
    call = Call.objects.get()
    assert call.lead.profile_contractor == elite and call.qualified
    assert call.lead.purchases.get().offer.route == Offer.Route.PROFILE


def test_a_missed_profile_call_becomes_the_pros_profile_request(
    client, profile_line, elite, django_capture_on_commit_callbacks
):
    phone = Phone(client, to=PROFILE_LINE)
    dial = phone.ring()
    with django_capture_on_commit_callbacks(execute=True):
        phone.dial_ends(dial, "no-answer")
    lead = Call.objects.get().lead
    offer = lead.offers.get()
    assert (offer.contractor, offer.route, offer.status) == (elite, "profile", "pending")


def test_a_caller_who_hangs_up_while_a_pro_rings_leaves_a_routed_lead(
    phone, elite, django_capture_on_commit_callbacks
):
    dial = screen(phone)
    with django_capture_on_commit_callbacks(execute=True):
        phone.dial_ends(dial, "canceled")
        phone.hang_up()
    call = Call.objects.get()
    assert call.outcome == "no_pro" and call.legs.get().status == "canceled"
    assert call.lead.offers.get().contractor == elite


def test_max_pros_rung_then_the_caller_is_told_a_pro_will_call(client, line, elite, settings):
    settings.CALL_MAX_PROS = 1
    phone = Phone(client, to=LINE)
    dial = screen(phone)
    done = TwiML(phone.dial_ends(dial, "no-answer"))
    assert done.find("Dial") is None and "call you back" in done.said()


def test_a_pro_not_verified_is_never_rung(client, line, elite):
    elite.call_settings.verified_number = ""
    elite.call_settings.save()
    assert screen(Phone(client, to=LINE)).find("Dial") is None
    takes_calls(elite, "+15125550002")
    assert screen(Phone(client, to=LINE, caller="+15125550177")).dialled == "+15125550002"


def test_the_public_profile_rings_the_pros_fairlead_number(client, profile_line, elite):
    elite.slug = "elite-plumbing"
    elite.save()
    response = client.get(reverse("leads:profile-call", args=["elite-plumbing"]))
    assert response["Location"] == f"tel:{PROFILE_LINE}"
    TrackingNumber.objects.filter(pk=profile_line.pk).update(active=False)
    response = client.get(reverse("leads:profile-call", args=["elite-plumbing"]))
    assert response["Location"] == f"tel:{elite.phone}"

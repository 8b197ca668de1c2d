"""STOP turns a number's texts off and START turns them back on, for the contractor who owns
the number too, and the reply to START says so. Replies are signed by Twilio or refused."""

from xml.etree import ElementTree

import pytest
from django.urls import reverse

from marketplace import notifications
from marketplace.models import Contractor, SmsOptOut

from .fake_providers import SITE_URL, twilio_fixture, twilio_signature  # noqa: F401

pytestmark = pytest.mark.django_db

PHONE = "+16195550100"
SMS_URL = f"{SITE_URL}/webhooks/twilio/sms/"


@pytest.fixture
def texting_contractor(contractor):
    Contractor.objects.filter(pk=contractor.pk).update(notify_sms=True, phone=PHONE)
    contractor.refresh_from_db()
    return contractor


def reply(client, body: str, *, sender: str = PHONE) -> str:
    """Text `body` from `sender` to our number, as Twilio posts it; the TwiML reply's text."""
    params = {"From": sender, "To": "+15005550006", "Body": body, "MessageSid": "SM" + "9" * 32}
    response = client.post(
        reverse("marketplace:twilio-sms"),
        params,
        HTTP_X_TWILIO_SIGNATURE=twilio_signature(SMS_URL, params),
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    return " ".join(m.text or "" for m in root.findall("Message"))


def offer_texts(contractor) -> list[str]:
    contractor.refresh_from_db()
    rows = notifications.notify_contractor(
        contractor, template="lead_expired", context={"lead": _lead()}
    )
    return [r.channel for r in rows if r.channel == "sms"]


def _lead():
    from tests.factories import LeadFactory

    return LeadFactory()


def test_start_after_stop_turns_the_contractors_texts_back_on_and_says_so(
    client, twilio, texting_contractor
):
    assert reply(client, "STOP") == ""  # Twilio itself confirms a STOP
    texting_contractor.refresh_from_db()
    assert not texting_contractor.notify_sms
    assert offer_texts(texting_contractor) == []

    answer = reply(client, " start ")
    assert "Alice Plumbing" in answer
    assert "back on" in answer
    assert not SmsOptOut.objects.exists()
    texting_contractor.refresh_from_db()
    assert texting_contractor.notify_sms
    assert offer_texts(texting_contractor) == ["sms"]


def test_start_from_a_number_no_contractor_has_says_texts_may_come_again(client, twilio):
    reply(client, "STOP", sender="+16195550177")
    answer = reply(client, "UNSTOP", sender="+16195550177")
    assert "Fairlead" in answer
    assert not SmsOptOut.objects.exists()


def test_another_contractors_texts_are_left_alone(
    client, twilio, texting_contractor, other_contractor
):
    Contractor.objects.filter(pk=other_contractor.pk).update(notify_sms=False, phone="+16195550111")
    reply(client, "STOP")
    reply(client, "START")
    other_contractor.refresh_from_db()
    assert not other_contractor.notify_sms


def test_any_other_text_changes_nothing_and_gets_no_reply(client, twilio, texting_contractor):
    assert reply(client, "Stop sending me leads in Chula Vista please") == ""
    texting_contractor.refresh_from_db()
    assert texting_contractor.notify_sms
    assert not SmsOptOut.objects.exists()


def test_a_forged_stop_is_refused_with_no_write(client, twilio, texting_contractor):
    params = {"From": PHONE, "Body": "STOP"}
    response = client.post(
        reverse("marketplace:twilio-sms"),
        params,
        HTTP_X_TWILIO_SIGNATURE=twilio_signature(SMS_URL, params, token="guessed"),
    )
    assert response.status_code == 400
    texting_contractor.refresh_from_db()
    assert texting_contractor.notify_sms
    assert not SmsOptOut.objects.exists()

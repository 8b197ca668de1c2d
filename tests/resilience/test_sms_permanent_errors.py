"""Twilio refusing a text for good (an unsubscribed, invalid or landline number) fails it at
once with the reason: no retries, which Twilio would refuse the same way. An unsubscribed
number is recorded as opted out, as a STOP reply is."""

import pytest
from celery.exceptions import Retry

from marketplace.models import Contractor, Notification, SmsOptOut
from marketplace.tasks import send_notification
from tests.factories import NotificationFactory

from .fake_providers import twilio_fixture  # noqa: F401 - the twilio fixture

pytestmark = pytest.mark.django_db

PHONE = "+16195550100"


@pytest.fixture
def texting_contractor(contractor):
    Contractor.objects.filter(pk=contractor.pk).update(notify_sms=True, phone=PHONE)
    contractor.refresh_from_db()
    return contractor


def a_text(contractor=None) -> Notification:
    return NotificationFactory(
        channel="sms",
        to=PHONE,
        body="New plumbing lead.",
        user=contractor.user if contractor else None,
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21610, "unsubscribed"),
        (21211, "not a valid phone number"),
        (21614, "not a mobile number"),
    ],
)
def test_a_permanent_twilio_error_fails_the_text_at_once_without_retries(twilio, code, reason):
    message = a_text()
    twilio.refuse_with = code
    send_notification.apply(args=[message.pk], throw=True)  # no Retry: nothing to retry
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert str(code) in message.last_error
    assert reason in message.last_error
    assert twilio.calls == 1
    assert twilio.messages == []


def test_an_unsubscribed_number_is_opted_out_and_its_contractor_texts_turned_off(
    twilio, texting_contractor
):
    message, waiting = a_text(texting_contractor), a_text(texting_contractor)
    twilio.refuse_with = 21610
    send_notification.apply(args=[message.pk], throw=True)
    assert SmsOptOut.objects.filter(phone=PHONE).exists()
    texting_contractor.refresh_from_db()
    assert not texting_contractor.notify_sms
    waiting.refresh_from_db()
    assert waiting.status == "failed"  # the other text waiting for it is not tried
    send_notification.apply(args=[waiting.pk], throw=True)
    assert twilio.calls == 1


def test_an_invalid_number_is_not_opted_out(twilio, texting_contractor):
    twilio.refuse_with = 21211
    send_notification.apply(args=[a_text(texting_contractor).pk], throw=True)
    assert not SmsOptOut.objects.exists()
    texting_contractor.refresh_from_db()
    assert texting_contractor.notify_sms


@pytest.mark.parametrize("code", [20429, 30001])
def test_another_twilio_error_is_retried(twilio, code):
    message = a_text()
    twilio.refuse_with = code
    with pytest.raises(Retry):
        send_notification.apply(args=[message.pk], throw=True)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert str(code) in message.last_error


def test_an_unsubscribed_report_after_sending_opts_the_number_out_too(
    client, twilio, texting_contractor
):
    message = a_text(texting_contractor)
    send_notification.apply(args=[message.pk], throw=True)
    [taken] = twilio.messages
    assert twilio.report(client, taken, "failed", error_code="21610").status_code == 204
    message.refresh_from_db()
    assert message.status == "failed"
    assert "unsubscribed" in message.last_error
    assert SmsOptOut.objects.filter(phone=PHONE).exists()
    texting_contractor.refresh_from_db()
    assert not texting_contractor.notify_sms

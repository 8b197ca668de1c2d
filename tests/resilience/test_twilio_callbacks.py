"""Twilio's delivery reports, repeated, reordered, early and forged: a text's final state is
the first final report, whenever and however often the reports come."""

from datetime import timedelta

import pytest
from django.urls import reverse

from marketplace import notifications
from marketplace.models import Notification, SmsStatusReport
from marketplace.tasks import sweep_notifications
from tests.factories import NotificationFactory

from .fake_providers import SITE_URL, twilio_fixture, twilio_signature  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_text(twilio):
    """A text Twilio took and answered for: the row knows its sid."""
    message = NotificationFactory(channel="sms", to="+16195550100", body="New plumbing lead.")
    notifications.send(message.pk)
    message.refresh_from_db()
    [taken] = twilio.messages
    assert (message.status, message.provider_id) == ("sent", taken["sid"])
    return message, taken


def status_of(message) -> tuple[str, str]:
    message.refresh_from_db()
    return message.status, message.last_error


def test_a_late_undelivered_after_delivered_changes_nothing(client, twilio, sent_text):
    message, taken = sent_text
    twilio.report(client, taken, "delivered")
    response = twilio.report(client, taken, "undelivered", error_code="30003")
    assert response.status_code == 204
    assert status_of(message) == ("delivered", "")


def test_a_late_delivered_after_failed_changes_nothing(client, twilio, sent_text):
    message, taken = sent_text
    twilio.report(client, taken, "failed", error_code="30006")
    twilio.report(client, taken, "delivered")
    status, error = status_of(message)
    assert status == "failed"
    assert "30006" in error


@pytest.mark.parametrize(
    "order",
    [
        ["sent", "delivered"],
        ["delivered", "sent"],
        ["sent", "delivered", "sent", "delivered", "undelivered"],
    ],
    ids=["in order", "reordered", "repeated"],
)
def test_reports_repeated_or_out_of_order_end_in_the_first_final_one(
    client, twilio, sent_text, order
):
    message, taken = sent_text
    for status in order:
        assert twilio.report(client, taken, status).status_code == 204
    assert status_of(message) == ("delivered", "")
    assert not SmsStatusReport.objects.exists()


def test_a_report_arriving_while_the_send_is_in_flight_finds_its_row_by_our_id(
    client, twilio, monkeypatch
):
    """Twilio reports before its answer to our request has been saved: the report names
    our row (?n=), so it is applied at once, and the send's own finish keeps it."""
    message = NotificationFactory(channel="sms", to="+16195550100", body="New plumbing lead.")
    real_sms = notifications.BACKENDS["sms"]

    def sms_reported_before_answer(notification):
        sid = real_sms(notification)
        assert twilio.report(client, twilio.messages[-1], "delivered").status_code == 204
        assert Notification.objects.get(pk=notification.pk).status == "delivered"
        return sid

    monkeypatch.setitem(notifications.BACKENDS, "sms", sms_reported_before_answer)
    notifications.send(message.pk)
    message.refresh_from_db()
    [taken] = twilio.messages
    assert (message.status, message.provider_id) == ("delivered", taken["sid"])
    assert message.sent_at is not None


def test_a_report_without_our_id_is_kept_until_the_send_saves_the_sid(client, twilio, monkeypatch):
    """A callback URL without ?n= (a message sent before it existed, or a URL rewritten on
    the way): the report waits in a small table and is applied when the sid lands."""
    message = NotificationFactory(channel="sms", to="+16195550100", body="New plumbing lead.")
    real_sms = notifications.BACKENDS["sms"]

    def sms_reported_before_answer(notification):
        sid = real_sms(notification)
        taken = {**twilio.messages[-1], "StatusCallback": f"{SITE_URL}/webhooks/twilio/status/"}
        assert twilio.report(client, taken, "delivered").status_code == 204
        assert SmsStatusReport.objects.filter(message_sid=sid).count() == 1
        return sid

    monkeypatch.setitem(notifications.BACKENDS, "sms", sms_reported_before_answer)
    notifications.send(message.pk)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert not SmsStatusReport.objects.exists()  # applied, then forgotten


def test_a_kept_report_for_a_sid_we_never_saved_is_forgotten_after_a_week(client, clock, twilio):
    stranger = {
        "sid": "SM" + "0" * 32,
        "From": "+15005550006",
        "To": "+16195550199",
        "StatusCallback": f"{SITE_URL}/webhooks/twilio/status/",
    }
    twilio.report(client, stranger, "delivered")
    assert SmsStatusReport.objects.count() == 1
    clock.shift(timedelta(days=6))
    sweep_notifications()
    assert SmsStatusReport.objects.count() == 1
    clock.shift(timedelta(days=2))
    sweep_notifications()
    assert not SmsStatusReport.objects.exists()


def test_a_report_for_a_row_that_has_another_copys_sid_does_not_move_it(client, twilio, sent_text):
    message, taken = sent_text
    other_copy = {**taken, "sid": "SM" + "1" * 32}
    twilio.report(client, other_copy, "undelivered", error_code="30003")
    assert status_of(message) == ("sent", "")
    twilio.report(client, taken, "delivered")
    assert status_of(message) == ("delivered", "")


@pytest.mark.parametrize(
    "forgery",
    ["unsigned", "signed for another row", "signed with another token", "status edited"],
)
def test_a_forged_report_is_refused_with_no_write(client, twilio, sent_text, forgery):
    message, taken = sent_text
    params = {"MessageSid": taken["sid"], "MessageStatus": "undelivered", "ErrorCode": "30003"}
    url = f"{SITE_URL}/webhooks/twilio/status/?n={message.pk}"
    signatures = {
        "unsigned": "",
        "signed for another row": twilio_signature(f"{url}0", params),
        "signed with another token": twilio_signature(url, params, token="not-the-token"),
        "status edited": twilio_signature(url, {**params, "MessageStatus": "delivered"}),
    }
    response = client.post(
        f"{reverse('marketplace:twilio-status')}?n={message.pk}",
        params,
        HTTP_X_TWILIO_SIGNATURE=signatures[forgery],
    )
    assert response.status_code == 400
    assert status_of(message) == ("sent", "")
    assert not SmsStatusReport.objects.exists()


def test_a_report_with_a_row_id_that_is_not_a_number_is_refused(client, twilio, sent_text):
    message, taken = sent_text
    params = {"MessageSid": taken["sid"], "MessageStatus": "delivered"}
    url = f"{SITE_URL}/webhooks/twilio/status/?n=abc"
    response = client.post(
        f"{reverse('marketplace:twilio-status')}?n=abc",
        params,
        HTTP_X_TWILIO_SIGNATURE=twilio_signature(url, params),
    )
    assert response.status_code == 400
    assert status_of(message) == ("sent", "")


def test_a_text_given_up_after_two_interruptions_takes_twilios_word_for_it(client, clock, twilio):
    """Failed by us because two sends were interrupted (either may have arrived): Twilio's
    report of the copy it had says what happened, once."""
    message = NotificationFactory(channel="sms", to="+16195550100", body="New plumbing lead.")
    Notification.objects.filter(pk=message.pk).update(
        status="failed", interrupted=2, last_error=notifications.INTERRUPTED_TWICE
    )
    taken = {
        "sid": "SM" + "2" * 32,
        "From": "+15005550006",
        "To": message.to,
        "StatusCallback": f"{SITE_URL}/webhooks/twilio/status/?n={message.pk}",
    }
    twilio.report(client, taken, "delivered")
    message.refresh_from_db()
    assert (message.status, message.provider_id, message.last_error) == (
        "delivered",
        taken["sid"],
        "",
    )
    twilio.report(client, taken, "undelivered", error_code="30003")
    assert status_of(message) == ("delivered", "")

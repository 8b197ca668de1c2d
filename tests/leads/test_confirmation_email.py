"""The homeowner's confirmation is a message of the outbox: written with the lead, sent after
commit, retried and swept like every other, and received once."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from config.celery import app
from leads.models import Lead
from leads.tasks import sweep_unrouted_leads
from marketplace.models import Notification
from marketplace.tasks import send_notification, sweep_notifications

pytestmark = pytest.mark.django_db


class FlakySmtp(BaseEmailBackend):
    """An SMTP server that can be down, and a hook run while a message is on the wire (the
    moment another worker may be at work on the same message)."""

    down = False
    while_sending = None

    def send_messages(self, messages):
        if FlakySmtp.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        hook, FlakySmtp.while_sending = FlakySmtp.while_sending, None
        if hook:
            hook()
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def flaky_smtp(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakySmtp"
    FlakySmtp.down, FlakySmtp.while_sending = False, None
    yield FlakySmtp
    FlakySmtp.down, FlakySmtp.while_sending = False, None


def test_the_confirmation_is_written_with_the_lead_and_sent_after_commit(
    client, quote_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("leads:quote"), quote_data())
    lead = Lead.objects.get()
    confirmation = Notification.objects.get(template="received")
    assert (confirmation.channel, confirmation.to, confirmation.status) == (
        "email",
        lead.email,
        "queued",
    )
    assert lead.reference in confirmation.subject
    assert lead.status_token in confirmation.body
    assert mail.outbox == []  # nothing left before the commit
    for callback in callbacks:
        callback()
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == ("sent", 1)
    assert [m.to for m in mail.outbox] == [[lead.email]]


def test_smtp_failing_then_recovering_sends_the_homeowner_one_confirmation(
    client, quote_data, clock, flaky_smtp, django_capture_on_commit_callbacks
):
    flaky_smtp.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("leads:quote"), quote_data())
    assert response.status_code == 302  # the homeowner is answered all the same
    confirmation = Notification.objects.get(template="received")
    assert (confirmation.status, confirmation.attempts) == ("queued", 1)
    assert "unexpectedly closed" in confirmation.last_error
    assert mail.outbox == []

    flaky_smtp.down = False
    clock.shift(timedelta(minutes=3))
    assert sweep_unrouted_leads() == 0  # routing is done; the email is not its business
    assert sweep_notifications() == 0  # its retry is on the way
    # Late, the retry runs; the beat sweeps while it talks to the recovered server.
    clock.shift(timedelta(minutes=30))
    swept = []
    flaky_smtp.while_sending = lambda: swept.append(sweep_notifications())
    send_notification.apply(args=[confirmation.pk], retries=1)
    assert swept == [0]
    clock.shift(timedelta(days=1))
    assert sweep_unrouted_leads() == 0
    assert sweep_notifications() == 0
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == ("sent", 2)
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]


def test_a_lead_saved_while_the_broker_is_down_gets_its_confirmation_from_the_sweep(
    client, quote_data, clock, django_capture_on_commit_callbacks
):
    app.conf.task_always_eager = False
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("leads:quote"), quote_data())
    finally:
        app.conf.broker_url = original
        app.conf.task_always_eager = True
    assert response.status_code == 302
    assert Notification.objects.get(template="received").status == "queued"
    assert mail.outbox == []

    clock.shift(timedelta(minutes=2))
    assert sweep_notifications() == 1
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]
    assert Notification.objects.get(template="received").status == "sent"
    assert sweep_notifications() == 0
    assert len(mail.outbox) == 1


def test_a_request_closed_as_a_duplicate_is_answered_on_its_page_not_by_email(
    client, quote_data, san_diego_pro, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leads:quote"), quote_data())
        client.post(reverse("leads:quote"), quote_data())
    [first] = Notification.objects.filter(template="received")
    assert "Local pros who do this work will contact you by phone" in first.body
    assert len(mail.outbox) == 1
    copy = Lead.objects.latest("pk")
    page = client.get(reverse("leads:sent", args=[copy.status_token])).content.decode()
    assert "did not send this one again" in page


def test_the_confirmation_email_is_plain_text_not_html_escaped(
    client, quote_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leads:quote"), quote_data(name="Pat O'Brien & Sons"))
    assert "Hello Pat O'Brien & Sons," in mail.outbox[0].body
    assert Notification.objects.get(template="received").status == "sent"

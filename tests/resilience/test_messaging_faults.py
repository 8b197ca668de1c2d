"""A message whose sender died, or whose provider never answered, is neither lost nor sent
twice where the provider can tell us it has it (Twilio); where it cannot (SMTP), at most one
extra copy goes, carrying the same Message-ID.

The worker tests run a real Celery worker through the configured broker (Redis in CI) and
SIGKILL it while the provider call is in flight: in "never got it" the provider holds the
connection without reading the message; in "took it" the provider has the message and the
answer never comes back. The clock is moved past the stale claim instead of waiting.
"""

import signal
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client

from config.celery import app as celery_app
from marketplace import notifications
from marketplace.models import Notification
from marketplace.tasks import send_notification, sweep_notifications
from tests.factories import NotificationFactory
from tests.marketplace.test_notification_recovery import (
    _database_shared_with,
    _forget_unacked,
    _start_worker,
)

from .fake_providers import (  # noqa: F401 - the twilio and smtp fixtures
    ANSWER,
    HANG_AFTER_TAKING,
    HANG_UNREAD,
    smtp_fixture,
    twilio_fixture,
)

pytestmark = pytest.mark.django_db

PHONE = "+16195550100"


def a_text(**fields) -> Notification:
    return NotificationFactory(
        channel="sms", to=PHONE, template="offer_new", body="New plumbing lead.", **fields
    )


def kill_worker_mid_send(message, provider, tmp_path, **env) -> None:
    """A real worker takes `message` from the broker and calls `provider`, which holds the
    call as its mode says; the worker is SIGKILLed there."""
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a private queue: no other worker can take it
    with _database_shared_with(tmp_path) as database_url:
        worker = _start_worker(queue, DATABASE_URL=database_url, **env)
        celery_app.conf.task_always_eager = False
        try:
            send_notification.apply_async(args=[message.pk], queue=queue)
            assert provider.hanging.wait(timeout=60), "the worker never reached the provider"
        finally:
            celery_app.conf.task_always_eager = True
            worker.send_signal(signal.SIGKILL)
            output = worker.communicate(timeout=30)[0]
            _forget_unacked(queue)
    assert worker.returncode == -signal.SIGKILL
    assert "send_notification[" in output, output  # it came through the broker
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == ("sending", 1, "")


def past_the_stale_claim(time_machine, message) -> None:
    time_machine.move_to(message.claimed_at + timedelta(minutes=10, seconds=1), tick=False)


# --- SMS: a real worker killed while Twilio has the call -------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_text_twilio_took_before_its_worker_died_is_settled_by_its_report_not_sent_again(
    twilio, time_machine, tmp_path
):
    message = a_text()
    twilio.mode = HANG_AFTER_TAKING
    kill_worker_mid_send(message, twilio, tmp_path, **twilio.settings())
    assert len(twilio.messages) == 1
    taken = twilio.messages[0]
    assert taken["StatusCallback"].endswith(f"/webhooks/twilio/status/?n={message.pk}")

    # Twilio reports on the message it took; the report names our row, whose sid was lost.
    assert twilio.report(Client(), taken, "sent").status_code == 204
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", taken["sid"])

    past_the_stale_claim(time_machine, message)
    assert sweep_notifications() == 0
    assert twilio.report(Client(), taken, "delivered").status_code == 204
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 1)
    assert len(twilio.messages) == 1  # 1 message, 0 lost


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_text_twilio_never_got_before_its_worker_died_is_sent_once_by_the_sweep(
    twilio, time_machine, tmp_path
):
    message = a_text()
    twilio.mode = HANG_UNREAD
    kill_worker_mid_send(message, twilio, tmp_path, **twilio.settings())
    assert twilio.messages == []

    twilio.mode = ANSWER
    assert sweep_notifications() == 0  # a fresh claim may be a send in progress
    past_the_stale_claim(time_machine, message)
    assert sweep_notifications() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    [sent] = twilio.messages
    assert message.provider_id == sent["sid"]
    assert twilio.report(Client(), sent, "delivered").status_code == 204
    assert sweep_notifications() == 0
    message.refresh_from_db()
    assert message.status == "delivered"
    assert len(twilio.messages) == 1  # 1 message, 0 lost


# --- Email: a real worker killed while the SMTP server has the call --------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_email_the_smtp_server_never_got_before_its_worker_died_is_sent_once_by_the_sweep(
    smtp, time_machine, tmp_path
):
    message = NotificationFactory()
    smtp.mode = HANG_UNREAD
    kill_worker_mid_send(message, smtp, tmp_path, EMAIL_URL=smtp.url)
    assert smtp.messages == []

    smtp.mode = ANSWER
    past_the_stale_claim(time_machine, message)
    assert sweep_notifications() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert [m["To"] for m in smtp.messages] == [message.to]  # 1 message, 0 lost
    assert sweep_notifications() == 0
    assert len(smtp.messages) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_email_the_smtp_server_took_before_its_worker_died_arrives_at_most_twice_as_one(
    smtp, time_machine, tmp_path
):
    """SMTP cannot say it has a message whose answer was lost: the sweep sends it again,
    once. Both copies carry the same Message-ID, which mailboxes use to show one."""
    message = NotificationFactory()
    smtp.mode = HANG_AFTER_TAKING
    kill_worker_mid_send(message, smtp, tmp_path, EMAIL_URL=smtp.url)
    assert len(smtp.messages) == 1

    smtp.mode = ANSWER
    past_the_stale_claim(time_machine, message)
    assert sweep_notifications() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    first, second = smtp.messages  # 0 lost; at most 1 extra copy
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<notification.{message.pk}.")
    time_machine.shift(timedelta(hours=1))
    assert sweep_notifications() == 0
    assert len(smtp.messages) == 2


# --- In process: a provider that never answers, a message interrupted twice ------------------


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, not even `except`."""


def test_a_message_interrupted_twice_is_failed_rather_than_sent_a_third_time(clock, smtp):
    """Each interrupted send may have reached the provider: one extra copy is the most a
    recipient ever gets. The row says why it stopped, for ops to check."""
    message = NotificationFactory()
    killed = mock.Mock(side_effect=WorkerKilled)
    with mock.patch.dict(notifications.BACKENDS, {"email": killed}):
        with pytest.raises(WorkerKilled):
            notifications.send(message.pk)
        clock.shift(timedelta(minutes=11))
        assert notifications.due_notification_ids() == [message.pk]
        with pytest.raises(WorkerKilled):
            notifications.send(message.pk)  # the sweep's resend dies too
    clock.shift(timedelta(minutes=11))
    assert sweep_notifications() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)
    assert "interrupted twice" in message.last_error
    clock.shift(timedelta(hours=1))
    assert sweep_notifications() == 0
    assert (killed.call_count, smtp.messages) == (2, [])


@pytest.fixture
def impatient_twilio(twilio, monkeypatch):
    monkeypatch.setattr(notifications, "PROVIDER_TIMEOUT_SECONDS", 0.5)
    twilio.mode = HANG_AFTER_TAKING
    return twilio


def test_a_text_twilio_took_without_answering_is_not_retried_blindly(
    clock, client, impatient_twilio
):
    """No answer in time: Twilio may have it. A retry now would likely text twice, so the
    message waits for Twilio's report, which settles it."""
    message = a_text()
    send_notification.apply(args=[message.pk], throw=True)  # no Retry raised
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)
    assert "did not answer" in message.last_error
    [taken] = impatient_twilio.messages
    assert impatient_twilio.report(client, taken, "sent").status_code == 204
    clock.shift(timedelta(hours=1))
    assert sweep_notifications() == 0
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", taken["sid"])
    assert len(impatient_twilio.messages) == 1


def test_a_text_whose_report_never_came_is_sent_once_more_and_a_late_report_keeps_the_copy(
    clock, client, impatient_twilio
):
    """The honest limit: no report within the stale claim (Twilio held it in its queue, or
    our webhook was down), and one extra copy goes; the late report of the first copy
    leaves the row on the copy it knows."""
    message = a_text()
    send_notification.apply(args=[message.pk], throw=True)
    impatient_twilio.mode = ANSWER
    clock.shift(timedelta(minutes=11))
    assert sweep_notifications() == 1
    first, second = impatient_twilio.messages
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", second["sid"])
    assert impatient_twilio.report(client, first, "undelivered", error_code="30003").status_code
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", second["sid"])
    impatient_twilio.report(client, second, "delivered")
    message.refresh_from_db()
    assert message.status == "delivered"

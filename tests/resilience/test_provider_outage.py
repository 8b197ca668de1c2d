"""A provider outage longer than the task's quick retries costs no message: the sweep keeps
trying, further and further apart, for NOTIFICATION_GIVE_UP_AFTER_HOURS, as mail servers do;
only then is the message failed, for ops to see."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest

from marketplace import notifications
from marketplace.models import Notification
from marketplace.tasks import sweep_notifications
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def provider(down: dict):
    """An email provider that refuses while down["now"] is true, then delivers."""

    def send(notification):
        if down["now"]:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        down.setdefault("sent", []).append(notification.pk)
        return ""

    return mock.patch.dict(notifications.BACKENDS, {"email": send})


def run_the_tasks_quick_retries(message):
    """What send_notification's retries do: five failures, then its last try."""
    for _ in range(5):
        with pytest.raises(smtplib.SMTPException):
            notifications.send(message.pk)
        Notification.objects.filter(pk=message.pk).update(status="queued")
    notifications.send(message.pk, last_try=True)


def test_a_three_hour_smtp_outage_still_delivers_the_message_once(clock):
    message = NotificationFactory()
    down = {"now": True}
    with provider(down):
        run_the_tasks_quick_retries(message)
        message.refresh_from_db()
        assert message.status == "queued"  # handed to the sweep, not failed
        for _ in range(9):  # three hours of sweeps, every 20 minutes
            clock.shift(timedelta(minutes=20))
            for pk in notifications.due_notification_ids():
                try:
                    notifications.send(pk)
                except smtplib.SMTPException:
                    pass
        message.refresh_from_db()
        assert message.status == "queued"
        down["now"] = False
        for _ in range(6):
            clock.shift(timedelta(minutes=20))
            sweep_notifications()
    message.refresh_from_db()
    assert message.status == "sent"
    assert down["sent"] == [message.pk]  # 1 message, 0 lost


def test_after_the_give_up_time_the_message_is_failed_for_ops(clock, settings):
    settings.NOTIFICATION_GIVE_UP_AFTER = timedelta(hours=24)
    message = NotificationFactory()
    with provider({"now": True}):
        run_the_tasks_quick_retries(message)
        for _ in range(80):
            clock.shift(timedelta(minutes=20))
            for pk in notifications.due_notification_ids():
                try:
                    notifications.send(pk)
                except smtplib.SMTPException:
                    pass
    message.refresh_from_db()
    assert message.status == "failed"
    assert "Gave up after 24 hours" in message.last_error

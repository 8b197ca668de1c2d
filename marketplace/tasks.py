"""Tasks of the core app: email delivery and housekeeping."""

import smtplib

from celery import shared_task

from . import notifications, services


@shared_task(ignore_result=False)
def ping(payload: str) -> str:
    """Answer through the result backend: proves a worker took a task from the broker."""
    return f"pong:{payload}"


@shared_task
def record_heartbeat() -> None:
    """Beat sends this every minute; /health/ reports when a worker last ran it."""
    services.record_heartbeat("worker")


# Account emails go through the outbox now; this drains any queued before that change.
@shared_task(autoretry_for=(smtplib.SMTPException, OSError))
def send_email(*, subject: str, body: str, to: list[str], html: str | None = None) -> None:
    services.deliver_email(subject=subject, body=body, to=to, html=html)


@shared_task(bind=True, autoretry_for=(Exception,), max_retries=5)
def send_notification(self, notification_id: int) -> None:
    """Deliver one message; failures retry with backoff, the last one marks it failed."""

    notifications.send(notification_id, last_try=self.request.retries >= self.max_retries)


@shared_task
def send_notifications(notification_ids: list[int]) -> None:
    """Deliver a batch (a wave's offers on one channel); a message that fails is retried
    by its own send_notification task."""

    notifications.send_many(notification_ids)


@shared_task
def sweep_notifications() -> int:
    """Beat: send messages whose quiet hours ended, whose task never reached a worker or
    whose sender was interrupted; forget Twilio reports no message ever claimed."""

    notifications.forget_held_reports()
    ids = notifications.due_notification_ids()
    for notification_id in ids:
        send_notification.delay(notification_id)
    return len(ids)


@shared_task
def forget_login_failures() -> int:
    """Beat, hourly: drop failed log-ins older than the throttling windows."""
    # logins imports notifications, which imports these tasks: a top-level import is a cycle.
    from . import logins

    return logins.forget_old_failures()

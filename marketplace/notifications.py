"""Outbound messages: one Notification row per message and channel, sent by a task.

Services call notify_contractor() or notify_address(); nothing else sends email or SMS.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from . import clock
from .celery import FairleadTask, enqueue_on_commit
from .models import Contractor, Notification

logger = logging.getLogger(__name__)


def _render(template: str, context: dict) -> dict:
    def part(suffix):
        return render_to_string(f"notifications/{template}{suffix}", context).strip()

    return {"subject": part("_subject.txt"), "body": part(".txt"), "sms": part("_sms.txt")}


def quiet_until(contractor: Contractor, now: datetime) -> datetime:
    """The end of the contractor's quiet hours if `now` falls inside them, else `now`."""
    start, end = contractor.quiet_hours_start, contractor.quiet_hours_end
    if start is None or end is None or start == end:
        return now
    local = clock.local_now(contractor, now=now)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return now
    end_today = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_today <= local:
        end_today += timedelta(days=1)
    return end_today.astimezone(now.tzinfo)


def _opted_out(phones: set[str]) -> set[str]:
    from .models import SmsOptOut

    return set(SmsOptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))


def _contractor_rows(
    contractor: Contractor,
    *,
    template: str,
    context: dict,
    link: str,
    now: datetime,
    opted_out: set[str],
    expires_at: datetime | None = None,
) -> list[Notification]:
    with timezone.override(clock.zone(contractor)):  # times in the contractor's own zone
        text = _render(
            template, {"contractor": contractor, "site_url": settings.SITE_URL, **context}
        )
    rows = []
    common = {
        "user": contractor.user,
        "template": template,
        "link": link,
        "expires_at": expires_at,
    }
    if contractor.notify_in_app:
        rows.append(
            Notification(
                channel=Notification.Channel.IN_APP,
                to=contractor.user.email,
                subject=text["subject"],
                body=text["body"],
                send_after=now,
                **common,
            )
        )
    if contractor.notify_email:
        rows.append(
            Notification(
                channel=Notification.Channel.EMAIL,
                to=contractor.user.email,
                subject=text["subject"],
                body=text["body"],
                send_after=now,
                **common,
            )
        )
    if contractor.notify_sms and contractor.phone and contractor.phone not in opted_out:
        # Texts wait for the end of the contractor's quiet hours; the rest does not.
        rows.append(
            Notification(
                channel=Notification.Channel.SMS,
                to=contractor.phone,
                body=text["sms"] or text["subject"],
                send_after=quiet_until(contractor, now),
                **common,
            )
        )
    return rows


@transaction.atomic
def notify_contractors(
    messages: list[tuple[Contractor, str, dict, str]], *, expires_at: datetime | None = None
) -> list[Notification]:
    """Tell several contractors at once, each on the channels they chose: one insert for
    all of them, so a wave of fifty pros costs what a wave of one does. `expires_at`: not
    worth sending later (a text held by quiet hours past its offer's expiry is dropped)."""
    now = timezone.now()
    opted_out = _opted_out({c.phone for c, *_ in messages if c.notify_sms and c.phone})
    rows = []
    for contractor, template, context, link in messages:
        rows += _contractor_rows(
            contractor,
            template=template,
            context=context,
            link=link,
            now=now,
            opted_out=opted_out,
            expires_at=expires_at,
        )
    return _queue(rows, now)


def notify_contractor(
    contractor: Contractor, *, template: str, context: dict, link: str = ""
) -> list[Notification]:
    return notify_contractors([(contractor, template, context, link)])


@transaction.atomic(savepoint=False)  # one insert: no savepoint inside the caller's transaction
def notify_address(
    email: str, *, template: str, context: dict, time_zone: str | None = None
) -> Notification:
    """Email someone without an account (a homeowner). Times in it are shown in
    `time_zone` (the homeowner's zip's zone; the default zone when unknown)."""
    now = timezone.now()
    with timezone.override(clock.zone(time_zone)):
        text = _render(template, {"site_url": settings.SITE_URL, **context})
    return _queue(
        [
            Notification(
                channel=Notification.Channel.EMAIL,
                to=email,
                template=template,
                subject=text["subject"],
                body=text["body"],
                send_after=now,
            )
        ],
        now,
    )[0]


def _queue(rows: list[Notification], now: datetime) -> list[Notification]:
    from .tasks import send_notification

    created = Notification.objects.bulk_create(rows)
    for row in created:
        if row.channel == Notification.Channel.IN_APP:
            continue  # stored is delivered: the dashboard shows it
        if row.send_after <= now:
            enqueue_on_commit(send_notification, row.pk)
    Notification.objects.filter(
        pk__in=[r.pk for r in created if r.channel == Notification.Channel.IN_APP]
    ).update(status=Notification.Status.SENT, sent_at=now)
    return created


def send(notification_id: int, *, last_try: bool = False) -> None:
    """Deliver one queued message now, once. The row is claimed (queued -> sending) in one
    UPDATE that stamps claimed_at, so a sweep and a retry can never both send it, and every
    finish is a compare-and-set on that claim: a send that outlived its claim (the sweep
    gave it to a newer attempt) changes nothing. A provider failure puts it back to queued
    and raises, so the task retries; on the `last_try` it is failed instead."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.QUEUED, send_after__lte=now
    ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return
    # Still ours: sending, or queued again by a sweep that took us for dead before anyone
    # else claimed it (finishing then saves a second send).
    mine = Notification.objects.filter(
        pk=notification_id,
        claimed_at=now,
        status__in=[Notification.Status.SENDING, Notification.Status.QUEUED],
    )
    notification = Notification.objects.get(pk=notification_id)
    if notification.expires_at and notification.expires_at <= now:
        mine.update(
            status=Notification.Status.FAILED, last_error="Not sent: it expired before its time."
        )
        return
    try:
        provider_id = BACKENDS[notification.channel](notification)
    except Exception as error:
        status = Notification.Status.FAILED if last_try else Notification.Status.QUEUED
        if mine.update(status=status, last_error=str(error)[:500]) and not last_try:
            raise
        if not last_try:
            logger.warning("Notification %s failed after a newer attempt took it", notification_id)
        return
    if not mine.update(
        status=Notification.Status.SENT, sent_at=timezone.now(), provider_id=provider_id or ""
    ):
        logger.warning("Notification %s was sent after a newer attempt took it", notification_id)


def _send_email(notification: Notification) -> str:
    body = notification.body
    if notification.link:
        body += f"\n\nOpen it: {settings.SITE_URL}{notification.link}"
    EmailMultiAlternatives(
        notification.subject, body, settings.DEFAULT_FROM_EMAIL, [notification.to]
    ).send()
    return ""


def _send_sms(notification: Notification) -> str:
    body = notification.body
    if notification.link:
        body += f" {settings.SITE_URL}{notification.link}"
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        logger.info("SMS to %s (console backend): %s", notification.to, body)
        return ""
    from twilio.rest import Client

    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    message = client.messages.create(
        to=notification.to,
        from_=settings.TWILIO_FROM_NUMBER,
        body=body,
        status_callback=f"{settings.SITE_URL}/webhooks/twilio/status/",
    )
    return message.sid


BACKENDS = {
    Notification.Channel.EMAIL: _send_email,
    Notification.Channel.SMS: _send_sms,
}


def due_notification_ids(limit: int = 500) -> list[int]:
    """Email/SMS whose time has come but that no task is handling: never attempted (quiet
    hours ended, or the task never reached a worker), claimed longer ago than
    NOTIFICATION_STUCK_AFTER and still sending (a worker died mid-send: queued again here),
    or failed once and their retry never came. Ones being retried are left to their task."""
    now = timezone.now()
    stale_claim = now - settings.NOTIFICATION_STUCK_AFTER
    stuck = list(
        Notification.objects.filter(
            status=Notification.Status.SENDING, claimed_at__lt=stale_claim
        ).values_list("pk", flat=True)[:limit]
    )
    if stuck:
        # Compare-and-set: a send that finished, or a newer claim, since the read is kept.
        Notification.objects.filter(
            pk__in=stuck, status=Notification.Status.SENDING, claimed_at__lt=stale_claim
        ).update(status=Notification.Status.QUEUED)
    # A failed attempt's retry runs within the task's longest backoff of the failure.
    retry_lost = stale_claim - timedelta(seconds=FairleadTask.retry_backoff_max)
    return list(
        Notification.objects.filter(
            Q(attempts=0) | Q(pk__in=stuck) | Q(claimed_at__lt=retry_lost),
            status=Notification.Status.QUEUED,
            send_after__lte=now - timedelta(minutes=1),
        )
        .exclude(channel=Notification.Channel.IN_APP)
        .values_list("pk", flat=True)[:limit]
    )


def unread_count(user) -> int:
    return Notification.objects.filter(
        user=user, channel=Notification.Channel.IN_APP, read_at__isnull=True
    ).count()


def mark_read(user, notification_ids: list[int]) -> int:
    return Notification.objects.filter(
        user=user, pk__in=notification_ids, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- Twilio webhooks -------------------------------------------------------------------------

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "unstop", "yes"}
TWILIO_FINAL = {
    "delivered": Notification.Status.DELIVERED,
    "undelivered": Notification.Status.FAILED,
    "failed": Notification.Status.FAILED,
}


class TwilioRejected(Exception):
    pass


def verify_twilio(url: str, params: dict, signature: str) -> None:
    """Check X-Twilio-Signature the way Twilio computes it; raise TwilioRejected if not."""
    from twilio.request_validator import RequestValidator

    if not settings.TWILIO_AUTH_TOKEN:
        raise TwilioRejected("Twilio is not configured.")
    if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature):
        raise TwilioRejected("Bad signature.")


def record_sms_status(*, message_sid: str, status: str, error_code: str = "") -> int:
    """A delivery report: the final states update the row; replays change nothing."""
    final = TWILIO_FINAL.get(status)
    if final is None:
        return 0  # queued, sending, sent: not final yet
    updates = {"status": final}
    if final == Notification.Status.FAILED:
        updates["last_error"] = f"Twilio: {status} {error_code}".strip()
    return Notification.objects.filter(
        provider_id=message_sid, channel=Notification.Channel.SMS
    ).update(**updates)


@transaction.atomic
def record_inbound_sms(*, from_number: str, body: str) -> str:
    """STOP opts a number out of every text (and turns off SMS alerts of the contractor who
    has it); START opts it back in. Returns what was done."""
    from .models import SmsOptOut

    word = body.strip().lower()
    if word in STOP_WORDS:
        SmsOptOut.objects.get_or_create(phone=from_number)
        Contractor.objects.filter(phone=from_number, notify_sms=True).update(notify_sms=False)
        Notification.objects.filter(
            to=from_number, channel=Notification.Channel.SMS, status=Notification.Status.QUEUED
        ).update(status=Notification.Status.FAILED, last_error="Recipient replied STOP")
        return "opted out"
    if word in START_WORDS:
        SmsOptOut.objects.filter(phone=from_number).delete()
        return "opted in"
    return "ignored"

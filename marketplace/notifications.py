"""Outbound messages: one Notification row per message and channel, sent by a task.

Services call notify_contractor() or notify_address(); nothing else sends email or SMS.
"""

import logging
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from . import clock
from .cursors import server_cursor
from .models import Contractor, Notification, SmsOptOut, SmsStatusReport
from .tasking import FairleadTask, enqueue_on_commit, fast_queue
from .tasks import send_notification, send_notifications

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
    return set(SmsOptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))


def _channels(contractor: Contractor, text: dict, *, now: datetime, opted_out: set[str]):
    """(channel, to, subject, body, send_after) of each message to a contractor: the
    channels they chose. Texts wait for the end of their quiet hours; the rest does not."""
    if contractor.notify_in_app:
        yield Notification.Channel.IN_APP, contractor.user.email, text["subject"], text["body"], now
    if contractor.notify_email:
        yield Notification.Channel.EMAIL, contractor.user.email, text["subject"], text["body"], now
    if contractor.notify_sms and contractor.phone and contractor.phone not in opted_out:
        sms = text["sms"] or text["subject"]
        yield Notification.Channel.SMS, contractor.phone, "", sms, quiet_until(contractor, now)


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
    return [
        Notification(
            user=contractor.user,
            template=template,
            link=link,
            expires_at=expires_at,
            channel=channel,
            to=to,
            subject=subject,
            body=body,
            send_after=send_after,
        )
        for channel, to, subject, body, send_after in _channels(
            contractor, text, now=now, opted_out=opted_out
        )
    ]


@transaction.atomic(savepoint=False)  # one insert: no savepoint inside the caller's transaction
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


@transaction.atomic(savepoint=False)  # one insert: no savepoint inside the caller's transaction
def notify_contractors_alike(
    contractors: list[Contractor],
    *,
    template: str,
    context: dict,
    link: str,
    expires_at: datetime | None = None,
    urgent: bool = False,
) -> list[int]:
    """The same message to many contractors (a wave's offer), each on the channels they
    chose, in one insert; returns the messages' ids. Rendered once per time zone among
    them, since only the times in it differ (the template must not name the contractor);
    texts still wait for each one's own quiet hours. `urgent`: sent on the speed-critical
    queue."""
    now = timezone.now()
    opted_out = _opted_out({c.phone for c in contractors if c.notify_sms and c.phone})
    rendered = {}
    rows = []
    for contractor in contractors:
        zone = clock.zone(contractor)
        if zone not in rendered:
            with timezone.override(zone):
                rendered[zone] = _render(template, {"site_url": settings.SITE_URL, **context})
        for channel, to, subject, body, send_after in _channels(
            contractor, rendered[zone], now=now, opted_out=opted_out
        ):
            rows.append((contractor.user_id, channel, to, subject, body, send_after))
    created = _insert_alike(rows, template=template, link=link, expires_at=expires_at, now=now)
    _send_due(created, urgent=urgent)
    return [pk for pk, *_ in created]


def _insert_alike(rows, *, template: str, link: str, expires_at, now) -> list[tuple]:
    """Insert messages that share their template, link and expiry, and a few texts: on
    PostgreSQL each text is sent once and the rows as arrays of their own few fields (a
    wave of a thousand pros is one small statement, not a megabyte of repeated text).
    Returns (id, channel, due now) of each."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = _queue(
            [
                Notification(
                    user_id=user_id,
                    template=template,
                    link=link,
                    expires_at=expires_at,
                    channel=channel,
                    to=to,
                    subject=subject,
                    body=body,
                    send_after=send_after,
                )
                for user_id, channel, to, subject, body, send_after in rows
            ],
            now,
            send=False,
        )
        return [(row.pk, row.channel, row.send_after <= now) for row in created]
    texts: dict[tuple[str, str], int] = {}
    text_ids = [
        texts.setdefault((subject, body), len(texts) + 1) for _, _, _, subject, body, _ in rows
    ]
    in_app = Notification.Channel.IN_APP
    columns = list(zip(*rows, strict=True))
    with server_cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Notification._meta.db_table}
                (user_id, channel, "to", template, subject, body, link, status, send_after,
                 expires_at, claimed_at, sent_at, read_at, provider_id, attempts, interrupted,
                 last_error, created_at)
            SELECT r.user_id, r.channel, r.recipient, %s, t.subject, t.body, %s,
                   CASE WHEN r.channel = %s THEN %s ELSE %s END, COALESCE(r.send_after, %s),
                   %s, NULL,
                   CASE WHEN r.channel = %s THEN %s::timestamptz END, NULL, '', 0, 0, '', %s
            FROM UNNEST(%b::bigint[], %b::varchar[], %b::varchar[], %b::timestamptz[], %b::int[])
                 AS r(user_id, channel, recipient, send_after, text_id)
            JOIN UNNEST(%b::varchar[], %b::text[]) WITH ORDINALITY AS t(subject, body, n)
                 ON t.n = r.text_id
            RETURNING id, channel, send_after <= %s
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                template,
                link,
                in_app,
                Notification.Status.SENT,  # stored is delivered: the dashboard shows it
                Notification.Status.QUEUED,
                now,
                expires_at,
                in_app,
                now,
                now,
                list(columns[0]),
                list(columns[1]),
                list(columns[2]),
                # Most are due now: only texts held by quiet hours carry their own time.
                [None if send_after == now else send_after for send_after in columns[5]],
                text_ids,
                [subject for subject, _ in texts],
                [body for _, body in texts],
                now,
            ],
        )
        return cursor.fetchall()


def notify_contractor(
    contractor: Contractor, *, template: str, context: dict, link: str = ""
) -> list[Notification]:
    return notify_contractors([(contractor, template, context, link)])


@transaction.atomic(savepoint=False)  # one insert: no savepoint inside the caller's transaction
def notify_address(
    email: str, *, template: str, context: dict, time_zone: str | None = None, send: bool = True
) -> Notification:
    """Email someone without an account (a homeowner). Times in it are shown in
    `time_zone` (the homeowner's zip's zone; the default zone when unknown). `send=False`:
    only written to the outbox, the caller has it sent (or the sweep does)."""
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
        send=send,
    )[0]


def text_number(phone: str, *, template: str, context: dict) -> Notification | None:
    """Text someone without an account (a caller we missed), through the outbox; None if
    they opted out (replied STOP)."""
    if _opted_out({phone}):
        return None
    now = timezone.now()
    text = _render(template, {"site_url": settings.SITE_URL, **context})
    return _queue(
        [
            Notification(
                channel=Notification.Channel.SMS,
                to=phone,
                template=template,
                body=text["sms"] or text["subject"],
                send_after=now,
            )
        ],
        now,
    )[0]


@transaction.atomic(savepoint=False)  # one insert: no savepoint inside the caller's transaction
def notify_written(
    email: str, *, template: str, subject: str, body: str, user=None
) -> Notification:
    """Email a message someone else wrote (allauth's sign-up, verification and password
    reset emails) through the outbox, so it is retried and swept like every other one."""
    now = timezone.now()
    return _queue(
        [
            Notification(
                channel=Notification.Channel.EMAIL,
                user=user,
                to=email,
                template=template[:60],
                subject=subject[:200],
                body=body,
                send_after=now,
            )
        ],
        now,
    )[0]


SECRET_REMOVED = "(Removed once sent: it held a one-time link to this account.)"


def holds_secret(template: str) -> bool:
    """Messages with a one-time link into an account (verification, password reset, the
    lock email's reset link): hidden in the admin, and their text dropped once sent or
    failed, so the outbox is not a store of keys staff could use."""
    return template.startswith("account/") or template == "account_locked"


HOLDS_SECRET = Q(template__startswith="account/") | Q(template="account_locked")


def _failed(notification: Notification, **fields) -> dict:
    """The fields of a message that will not be sent: a one-time link goes with it."""
    fields["status"] = Notification.Status.FAILED
    if holds_secret(notification.template):
        fields["body"] = SECRET_REMOVED
    return fields


def _queue(
    rows: list[Notification], now: datetime, *, send: bool = True, urgent: bool = False
) -> list[Notification]:
    """Write the messages in one insert and have the due ones sent after commit: one task
    per channel, on the speed-critical queue when `urgent` (offers), or, inside
    sends_collected(), by the task that collects them (no second broker hop)."""
    for row in rows:
        if row.channel == Notification.Channel.IN_APP:
            # Stored is delivered: the dashboard shows it.
            row.status = Notification.Status.SENT
            row.sent_at = now
    created = Notification.objects.bulk_create(rows)
    if send:
        _send_due([(row.pk, row.channel, row.send_after <= now) for row in created], urgent=urgent)
    return created


def _send_due(created: list[tuple], *, urgent: bool = False) -> None:
    """Have the messages due now ((id, channel, due now) each) sent after commit: one task
    per channel, or collected (sends_collected). In-app ones are delivered already; ones
    held by quiet hours are the sweep's."""
    due = defaultdict(list)
    for pk, channel, due_now in created:
        if channel != Notification.Channel.IN_APP and due_now:
            due[channel].append(pk)
    collected = _collected.get()
    for ids in due.values():
        if collected is not None:
            collected.extend(ids)
        elif len(ids) == 1 and not urgent:
            enqueue_on_commit(send_notification, ids[0])
        else:
            enqueue_on_commit(
                send_notifications,
                ids,
                _options={"queue": fast_queue()} if urgent else None,
            )


_collected: ContextVar[list | None] = ContextVar("collected_sends", default=None)


@contextmanager
def sends_collected():
    """Messages written inside are not handed to a task: their ids are collected in the
    list this yields, for the caller to deliver() once its transactions have committed
    (the routing task sends a wave's offers itself)."""
    ids: list[int] = []
    token = _collected.set(ids)
    try:
        yield ids
    finally:
        _collected.reset(token)


# Messages one task sends itself; the rest of a large wave goes to other workers in
# tasks of this many.
SEND_BATCH = 50


def deliver(ids: list[int]) -> None:
    """Send these (committed) messages: the first SEND_BATCH here, the rest by tasks on
    the speed-critical queue."""
    for start in range(SEND_BATCH, len(ids), SEND_BATCH):
        try:
            send_notifications.apply_async(
                args=[ids[start : start + SEND_BATCH]], queue=fast_queue()
            )
        except Exception:  # noqa: BLE001 - the sweep sends them
            logger.exception("Could not enqueue %s messages", len(ids[start:]))
            break
    send_many(ids[:SEND_BATCH])


def send_many(ids: list[int]) -> None:
    """send() each of these messages, read together in one query: each is then claimed,
    sent and finished on its own, as send() does it, so a worker killed mid-batch leaves
    only the message it was sending to the sweep, and the rest go out when the task is
    delivered again. One that fails is handed to its own send_notification task, which
    retries it with backoff as if it had been sent alone."""
    due = Notification.objects.filter(
        pk__in=ids, status=Notification.Status.QUEUED, send_after__lte=timezone.now()
    ).order_by("pk")
    for notification in due:
        try:
            now = timezone.now()
            if _claim(notification.pk, now):  # read before: taken since by another sender?
                notification.status, notification.claimed_at = Notification.Status.SENDING, now
                notification.attempts += 1
                _send_claimed(notification, now)
        except Exception:  # noqa: BLE001 - a provider error: retried by its own task
            logger.warning("Notification %s failed; retrying on its own", notification.pk)
            try:
                send_notification.apply_async(args=[notification.pk], countdown=5)
            except Exception:  # noqa: BLE001 - the sweep sends it
                logger.exception("Could not enqueue notification %s", notification.pk)


class PermanentFailure(Exception):
    """The provider refused the message for good (an unsubscribed, invalid or landline
    number): it is failed at once, since every retry would be refused the same way."""

    def __init__(self, reason: str, *, opted_out: bool = False):
        super().__init__(reason)
        self.opted_out = opted_out


class OutcomeUnknown(Exception):
    """The provider took the request and never answered: it may have the message. Retrying
    now would likely send it twice, so it is left as a send interrupted mid-way."""


# A provider that has not answered in this long is not going to (Twilio answers in well
# under a second); the worker stops waiting instead of hanging until its time limit.
PROVIDER_TIMEOUT_SECONDS = 30


def send(notification_id: int, *, last_try: bool = False) -> None:
    """Deliver one queued message now, once. The row is claimed (queued -> sending) in one
    UPDATE that stamps claimed_at, so a sweep and a retry can never both send it, and every
    finish is a compare-and-set on that claim: a send that outlived its claim (the sweep
    gave it to a newer attempt) changes nothing. A provider failure puts it back to queued
    and raises, so the task retries; on the `last_try` it is failed instead. A permanent
    refusal fails it at once; a provider that took the request and never answered leaves it
    "sending", like a worker lost mid-send: the provider's report settles it, or the sweep
    sends it again once its claim is stale."""
    now = timezone.now()
    if _claim(notification_id, now):
        _send_claimed(Notification.objects.get(pk=notification_id), now, last_try=last_try)


def _claim(notification_id: int, now) -> bool:
    """Claim a queued, due message for this send (queued -> sending, claimed_at = now):
    one compare-and-set UPDATE, so two senders never both have it."""
    return bool(
        Notification.objects.filter(
            pk=notification_id, status=Notification.Status.QUEUED, send_after__lte=now
        ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )


def _mine(notification: Notification, now):
    """The message while it is still this claim's: sending, or queued again by a sweep that
    took us for dead before anyone else claimed it (finishing then saves a second send)."""
    return Notification.objects.filter(
        pk=notification.pk,
        claimed_at=now,
        status__in=[Notification.Status.SENDING, Notification.Status.QUEUED],
    )


def _send_claimed(notification: Notification, now, *, last_try: bool = False) -> None:
    """Send one message claimed at `now` and finish it (send()'s rules)."""
    if notification.expires_at and notification.expires_at <= now:
        _mine(notification, now).update(
            **_failed(notification, last_error="Not sent: it expired before its time.")
        )
        return
    try:
        provider_id = BACKENDS[notification.channel](notification)
    except PermanentFailure as error:
        if _mine(notification, now).update(**_failed(notification, last_error=str(error)[:500])):
            if error.opted_out:
                opt_out(notification.to)
        return
    except OutcomeUnknown as error:
        _mine(notification, now).filter(status=Notification.Status.SENDING).update(
            last_error=str(error)[:500]
        )
        return
    except Exception as error:
        # A provider error. Like a mail server, keep the message and try again until
        # NOTIFICATION_GIVE_UP_AFTER from when it was written, then fail it for ops to see:
        # quickly at first (the task's retries), then, once those are spent, further apart
        # (the sweep sends it when due).
        if now - notification.created_at >= settings.NOTIFICATION_GIVE_UP_AFTER:
            hours = int(settings.NOTIFICATION_GIVE_UP_AFTER.total_seconds() // 3600)
            _mine(notification, now).update(
                **_failed(
                    notification,
                    last_error=f"Gave up after {hours} hours of provider errors: {error}"[:500],
                )
            )
            return
        if last_try:
            _mine(notification, now).update(
                status=Notification.Status.QUEUED,
                send_after=now + _retry_later(notification.attempts),
                last_error=str(error)[:500],
            )
            return
        if _mine(notification, now).update(
            status=Notification.Status.QUEUED, last_error=str(error)[:500]
        ):
            raise
        logger.warning("Notification %s failed after a newer attempt took it", notification.pk)
        return
    done = {"status": Notification.Status.SENT, "sent_at": timezone.now()}
    if holds_secret(notification.template):
        done["body"] = SECRET_REMOVED
    if _mine(notification, now).update(provider_id=provider_id or "", **done):
        if provider_id and notification.channel == Notification.Channel.SMS:
            apply_held_reports(provider_id)
    elif not (
        provider_id
        and Notification.objects.filter(pk=notification.pk, provider_id=provider_id).exists()
    ):  # (a provider report that came before this answer has settled it already)
        logger.warning("Notification %s was sent after a newer attempt took it", notification.pk)


def _retry_later(attempts: int) -> timedelta:
    """When a message whose quick retries failed is tried again: doubling from 5 minutes,
    at most an hour apart (the sweep runs every minute and takes it once due)."""
    return timedelta(minutes=min(5 * 2 ** max(attempts - 6, 0), 60))


def _send_email(notification: Notification) -> str:
    body = notification.body
    if notification.link:
        body += f"\n\nOpen it: {settings.SITE_URL}{notification.link}"
    EmailMultiAlternatives(
        notification.subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.to],
        # The same on every attempt: a copy sent again after an interrupted send (SMTP
        # cannot tell us it had the first) is the same message, which mailboxes show once.
        headers={"Message-ID": _message_id(notification)},
    ).send()
    return ""


def _message_id(notification: Notification) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "fairlead.invalid"
    return f"<notification.{notification.pk}.{notification.created_at:%Y%m%d%H%M%S}@{domain}>"


TWILIO_API = "https://api.twilio.com"


class _TwilioHttpClient(TwilioHttpClient):
    """The twilio client's HTTP, sent to TWILIO_API_URL (Twilio itself unless a stand-in is
    configured), with a timeout."""

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = settings.TWILIO_API_URL + url.removeprefix(TWILIO_API)
        return super().request(method, url, *args, **kwargs)


# Twilio refusals that no retry can change: the message is failed at once with the reason.
PERMANENT_SMS_ERRORS = {
    21610: "the recipient unsubscribed (replied STOP)",
    21211: "not a valid phone number",
    21614: "not a mobile number: it cannot receive texts",
}
UNSUBSCRIBED = 21610


def twilio_client() -> Client:
    """The twilio REST client: our credentials, TWILIO_API_URL, a timeout."""
    return Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=_TwilioHttpClient(timeout=PROVIDER_TIMEOUT_SECONDS),
    )


def twilio_configured() -> bool:
    """Real Twilio keys are set (a laptop without them logs what it would send)."""
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def _send_sms(notification: Notification) -> str:
    body = notification.body
    if notification.link:
        body += f" {settings.SITE_URL}{notification.link}"
    if not twilio_configured():
        logger.info("SMS to %s (console backend): %s", notification.to, body)
        return ""
    try:
        message = twilio_client().messages.create(
            to=notification.to,
            from_=settings.TWILIO_FROM_NUMBER,
            body=body,
            # Our own id in the callback URL (which the signature covers): Twilio's reports
            # find this row even when the worker died before it saved Twilio's sid.
            status_callback=f"{settings.SITE_URL}{reverse('marketplace:twilio-status')}?n={notification.pk}",
        )
    except TwilioRestException as error:
        if error.code in PERMANENT_SMS_ERRORS:
            raise PermanentFailure(
                f"Twilio {error.code}: {PERMANENT_SMS_ERRORS[error.code]}",
                opted_out=error.code == UNSUBSCRIBED,
            ) from error
        raise
    except requests.exceptions.ReadTimeout as error:
        raise OutcomeUnknown(
            f"Twilio did not answer within {PROVIDER_TIMEOUT_SECONDS} s: it may have the text; "
            "waiting for its report before sending again."
        ) from error
    return message.sid


BACKENDS = {
    Notification.Channel.EMAIL: _send_email,
    Notification.Channel.SMS: _send_sms,
}


INTERRUPTED_TWICE = (
    "Sending was interrupted twice (worker lost, or the provider never answered); either "
    "copy may have arrived, so it is not sent a third time."
)


def due_notification_ids(limit: int = 500) -> list[int]:
    """Email/SMS whose time has come but that no task is handling: never attempted (quiet
    hours ended, or the task never reached a worker), claimed longer ago than
    NOTIFICATION_STUCK_AFTER and still sending (a worker died mid-send, or the provider
    never answered, and no provider report settled it since: queued again here the first
    time, failed the second), or failed once and their retry never came. Ones being
    retried are left to their task."""
    now = timezone.now()
    stale_claim = now - settings.NOTIFICATION_STUCK_AFTER
    stuck = list(
        Notification.objects.filter(
            status=Notification.Status.SENDING, claimed_at__lt=stale_claim
        ).values_list("pk", flat=True)[:limit]
    )
    if stuck:
        # Compare-and-set: a send that finished, or a newer claim, since the read is kept.
        # The provider may have had an interrupted send: it is sent again once, so nobody
        # gets a message more than twice; interrupted again, it is failed for ops to see.
        interrupted = Notification.objects.filter(
            pk__in=stuck, status=Notification.Status.SENDING, claimed_at__lt=stale_claim
        )
        interrupted.filter(interrupted=0).update(
            status=Notification.Status.QUEUED, interrupted=F("interrupted") + 1
        )
        interrupted.filter(HOLDS_SECRET).update(body=SECRET_REMOVED)
        interrupted.update(
            status=Notification.Status.FAILED,
            interrupted=F("interrupted") + 1,
            last_error=INTERRUPTED_TWICE,
        )
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

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
START_WORDS = {"start", "unstop", "yes"}
# Twilio's message statuses: a final one settles the row for good; the others only tell us
# Twilio has the message.
TWILIO_FINAL = {
    "delivered": Notification.Status.DELIVERED,
    "undelivered": Notification.Status.FAILED,
    "failed": Notification.Status.FAILED,
}
TWILIO_HAS_IT = {"accepted", "scheduled", "queued", "sending", "sent"}
# What a report may still settle: a row not final yet, or one failed only because its
# sends were interrupted twice (our guess, not Twilio's word: its report is better).
OPEN_TO_REPORTS = Q(
    status__in=[Notification.Status.QUEUED, Notification.Status.SENDING, Notification.Status.SENT]
) | Q(status=Notification.Status.FAILED, interrupted__gte=2, provider_id="")
HELD_REPORTS_KEPT = timedelta(days=7)


class TwilioRejected(Exception):
    pass


def verify_twilio(url: str, params: dict, signature: str) -> None:
    """Check X-Twilio-Signature the way Twilio computes it; raise TwilioRejected if not."""
    if not settings.TWILIO_AUTH_TOKEN:
        raise TwilioRejected("Twilio is not configured.")
    if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature):
        raise TwilioRejected("Bad signature.")


def record_sms_status(
    *, message_sid: str, status: str, error_code: str = "", notification_id: int | None = None
) -> None:
    """A delivery report. `notification_id` (our own id, from the callback URL) finds the row
    even when its worker died before saving Twilio's sid; a report for a sid no row holds
    yet, and without our id, is kept and applied when send() saves that sid. The first final
    status stays: a late or replayed report changes nothing."""
    if not message_sid:
        return  # names no message (every unsent text's provider id is empty)
    if notification_id is not None:
        # A row holding another sid is on a later copy (sent again after an interruption):
        # this report is about the earlier copy and does not move it.
        rows = Notification.objects.filter(
            pk=notification_id,
            channel=Notification.Channel.SMS,
            provider_id__in=["", message_sid],
        )
        _apply_report(rows, message_sid=message_sid, status=status, error_code=error_code)
        return
    # Kept first, then looked for: a send saving this sid at the same moment applies it
    # (apply_held_reports), whichever of the two commits first.
    SmsStatusReport.objects.create(
        message_sid=message_sid[:64], status=status[:20], error_code=error_code[:10]
    )
    if Notification.objects.filter(
        provider_id=message_sid, channel=Notification.Channel.SMS
    ).exists():
        apply_held_reports(message_sid)


def apply_held_reports(message_sid: str) -> None:
    """Apply, in arrival order, the reports kept for a sid, now that a row holds it."""
    rows = Notification.objects.filter(provider_id=message_sid, channel=Notification.Channel.SMS)
    for report in SmsStatusReport.objects.filter(message_sid=message_sid).order_by("pk"):
        _apply_report(
            rows, message_sid=message_sid, status=report.status, error_code=report.error_code
        )
        report.delete()


def _apply_report(rows, *, message_sid: str, status: str, error_code: str) -> None:
    now = timezone.now()
    rows = rows.filter(OPEN_TO_REPORTS)
    settled = {"provider_id": message_sid, "sent_at": Coalesce(F("sent_at"), now)}
    if status in TWILIO_HAS_IT:
        # Twilio has it: a send interrupted before it saved the sid is done, not resent.
        rows.exclude(status=Notification.Status.SENT).update(
            status=Notification.Status.SENT, last_error="", **settled
        )
        return
    final = TWILIO_FINAL.get(status)
    if final is None:
        return  # a status this app does not act on (read receipts, cancellations)
    settled["last_error"] = _twilio_error(status, error_code) if final == "failed" else ""
    phones = list(rows.values_list("to", flat=True))
    if rows.update(status=final, **settled) and error_code == str(UNSUBSCRIBED):
        for phone in phones:
            opt_out(phone)


def _twilio_error(status: str, error_code: str) -> str:
    reason = PERMANENT_SMS_ERRORS.get(int(error_code)) if error_code.isdigit() else None
    return " ".join(filter(None, ["Twilio:", status, error_code, reason and f"({reason})"]))


def forget_held_reports() -> int:
    """Reports for sids no row ever claimed (a message sent by something else)."""
    cutoff = timezone.now() - HELD_REPORTS_KEPT
    return SmsStatusReport.objects.filter(received_at__lt=cutoff).delete()[0]


@transaction.atomic
def opt_out(phone: str) -> None:
    """Never text `phone` again until it replies START: recorded, the SMS alerts of the
    contractor who has it turned off, and its texts waiting to go failed."""
    SmsOptOut.objects.get_or_create(phone=phone)
    Contractor.objects.filter(phone=phone, notify_sms=True).update(notify_sms=False)
    Notification.objects.filter(
        to=phone, channel=Notification.Channel.SMS, status=Notification.Status.QUEUED
    ).update(status=Notification.Status.FAILED, last_error="Recipient opted out of texts (STOP)")


@transaction.atomic
def record_inbound_sms(*, from_number: str, body: str) -> str:
    """A text to our number. STOP opts the number out of every text (opt_out); START opts it
    back in and turns SMS alerts back on for the contractor who has the number. Returns our
    reply, "" for none."""
    word = body.strip().lower()
    if word in STOP_WORDS:
        opt_out(from_number)
        return ""
    if word in START_WORDS:
        SmsOptOut.objects.filter(phone=from_number).delete()
        owners = Contractor.objects.filter(phone=from_number)
        owners.filter(notify_sms=False).update(notify_sms=True)
        names = sorted(owners.values_list("business_name", flat=True))
        if names:
            return (
                f"Fairlead text alerts are back on for {', '.join(names)}. "
                "Reply STOP to turn them off."
            )
        return "Fairlead can text this number again. Reply STOP to turn texts off."
    return ""

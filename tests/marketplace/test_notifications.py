import base64
import hashlib
import hmac
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.urls import reverse

from marketplace import notifications
from marketplace.models import Contractor, Notification, SmsOptOut
from marketplace.tasks import send_notification, sweep_notifications
from tests.factories import LeadFactory
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db

AUTH_TOKEN = "twilio-test-auth-token"


def twilio_signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio builds it: HMAC-SHA1 over the URL and sorted params."""
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@pytest.fixture
def twilio_on(settings):
    settings.TWILIO_ACCOUNT_SID = "ACtest"
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.SITE_URL = "https://fairlead.example"


def texter(contractor, **fields):
    Contractor.objects.filter(pk=contractor.pk).update(notify_sms=True, **fields)
    contractor.refresh_from_db()
    return contractor


def test_a_message_goes_to_each_chosen_channel(contractor, django_capture_on_commit_callbacks):
    texter(contractor)
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify_contractor(
            contractor, template="offer_withdrawn", context={"offer": _fake_offer()}
        )
    assert {r.channel for r in rows} == {"in_app", "email", "sms"}
    statuses = dict(Notification.objects.values_list("channel", "status"))
    assert statuses == {"in_app": "sent", "email": "sent", "sms": "sent"}
    assert mail.outbox[0].to == [contractor.user.email]


def test_quiet_hours_delay_texts_but_not_email_or_in_app(contractor, clock):
    # 22:00 in Los Angeles is 06:00 UTC the next day; quiet from 21:00 to 07:00 local.
    clock.move_to(datetime(2026, 3, 3, 6, 0, tzinfo=UTC), tick=False)
    texter(contractor, quiet_hours_start=time(21, 0), quiet_hours_end=time(7, 0))
    notifications.notify_contractor(
        contractor, template="offer_withdrawn", context={"offer": _fake_offer()}
    )
    sms = Notification.objects.get(channel="sms")
    assert sms.status == "queued"
    assert sms.send_after == datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 07:00 PST
    assert Notification.objects.get(channel="email").send_after == datetime(
        2026, 3, 3, 6, 0, tzinfo=UTC
    )
    clock.shift(timedelta(minutes=2))
    assert sweep_notifications() == 1  # the email, whose task never ran here; not the text
    clock.move_to(datetime(2026, 3, 3, 15, 1, 30, tzinfo=UTC), tick=False)
    assert sweep_notifications() == 1
    sms.refresh_from_db()
    assert sms.status == "sent"


@pytest.mark.parametrize(
    ("now_local", "expected_delay_hours"),
    [("20:59", 0), ("21:00", 10), ("23:30", 7.5), ("06:59", 1 / 60), ("07:00", 0)],
)
def test_quiet_until_across_midnight(contractor, now_local, expected_delay_hours):
    from zoneinfo import ZoneInfo

    contractor.quiet_hours_start, contractor.quiet_hours_end = time(21, 0), time(7, 0)
    hour, minute = map(int, now_local.split(":"))
    now = datetime(2026, 3, 3, hour, minute, tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)
    delay = notifications.quiet_until(contractor, now) - now
    assert abs(delay - timedelta(hours=expected_delay_hours)) < timedelta(seconds=1)


def test_a_failing_provider_is_retried_then_handed_to_the_sweep(contractor, monkeypatch, clock):
    contractor.notify_in_app = False
    rows = notifications.notify_contractor(
        contractor, template="offer_withdrawn", context={"offer": _fake_offer()}
    )
    email = rows[0]
    calls = []

    def broken(notification):
        calls.append(notification.pk)
        raise ConnectionError("SMTP server unreachable")

    monkeypatch.setitem(notifications.BACKENDS, "email", broken)
    with pytest.raises(Retry):
        send_notification.apply(args=[email.pk], throw=True)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)  # will be retried with backoff
    assert "unreachable" in email.last_error
    # The last quick retry fails too: the task stops, and the message waits for the sweep,
    # further apart, until NOTIFICATION_GIVE_UP_AFTER (tests/resilience/test_provider_outage).
    send_notification.apply(args=[email.pk], retries=send_notification.max_retries)
    email.refresh_from_db()
    assert (email.status, email.attempts, len(calls)) == ("queued", 2, 2)
    from django.utils import timezone

    assert email.send_after > timezone.now()


def test_twilio_status_callback_needs_a_valid_signature(client, contractor, twilio_on):
    texter(contractor)
    notifications.notify_contractor(
        contractor, template="offer_withdrawn", context={"offer": _fake_offer()}
    )
    Notification.objects.filter(channel="sms").update(provider_id="SM123", status="sent")
    url = "https://fairlead.example/webhooks/twilio/status/"
    params = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    response = client.post(
        reverse("marketplace:twilio-status"), params, HTTP_X_TWILIO_SIGNATURE="forged"
    )
    assert response.status_code == 400
    assert Notification.objects.get(channel="sms").status == "sent"
    for _ in range(2):  # a replay changes nothing more
        response = client.post(
            reverse("marketplace:twilio-status"),
            params,
            HTTP_X_TWILIO_SIGNATURE=twilio_signature(url, params),
        )
        assert response.status_code == 204
    assert Notification.objects.get(channel="sms").status == "delivered"


def test_stop_opts_a_number_out_and_start_back_in(client, contractor, twilio_on):
    texter(contractor, phone="+16195550100")
    url = "https://fairlead.example/webhooks/twilio/sms/"
    stop = {"From": "+16195550100", "Body": " Stop "}
    response = client.post(
        reverse("marketplace:twilio-sms"), stop, HTTP_X_TWILIO_SIGNATURE=twilio_signature(url, stop)
    )
    assert response.status_code == 200
    contractor.refresh_from_db()
    assert not contractor.notify_sms
    assert SmsOptOut.objects.filter(phone="+16195550100").exists()
    Contractor.objects.filter(pk=contractor.pk).update(notify_sms=True)
    contractor.refresh_from_db()
    rows = notifications.notify_contractor(
        contractor, template="offer_withdrawn", context={"offer": _fake_offer()}
    )
    assert "sms" not in {r.channel for r in rows}  # never texted while opted out
    start = {"From": "+16195550100", "Body": "START"}
    client.post(
        reverse("marketplace:twilio-sms"),
        start,
        HTTP_X_TWILIO_SIGNATURE=twilio_signature(url, start),
    )
    assert not SmsOptOut.objects.exists()


def test_twilio_webhooks_refuse_when_twilio_is_off(client):
    assert (
        client.post(reverse("marketplace:twilio-sms"), {"From": "+1", "Body": "STOP"}).status_code
        == 400
    )


def test_the_badge_counts_unread_and_the_list_marks_them_read(client, contractor):
    for _ in range(3):
        notifications.notify_contractor(
            contractor, template="offer_withdrawn", context={"offer": _fake_offer()}
        )
    client.force_login(contractor.user)
    badge = client.get(reverse("marketplace:notification-badge"), HTTP_HX_REQUEST="true")
    assert 'aria-label="3 unread"' in badge.content.decode()
    page = client.get(reverse("marketplace:notifications")).content.decode()
    assert "no longer available" in page
    badge = client.get(reverse("marketplace:notification-badge"), HTTP_HX_REQUEST="true")
    assert "unread" not in badge.content.decode()


def test_notifications_of_others_are_not_shown(client, contractor, other_contractor):
    notifications.notify_contractor(
        other_contractor, template="offer_withdrawn", context={"offer": _fake_offer()}
    )
    client.force_login(contractor.user)
    assert (
        "no longer available"
        not in client.get(reverse("marketplace:notifications")).content.decode()
    )


def _fake_offer():
    """Enough of an offer for the withdrawn template."""
    from types import SimpleNamespace

    return SimpleNamespace(
        lead=SimpleNamespace(
            category=SimpleNamespace(name="Plumbing"), zip_code=SimpleNamespace(city="San Diego")
        )
    )


def test_email_adds_the_link_and_in_app_text_does_not_end_on_a_colon(
    contractor, django_capture_on_commit_callbacks
):
    from tests.factories import LeadFactory

    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_contractor(
            contractor, template="lead_expired", context={"lead": LeadFactory()}, link="/dashboard/"
        )
    from django.conf import settings

    assert mail.outbox[0].body.endswith(f"Open it: {settings.SITE_URL}/dashboard/")
    for row in Notification.objects.all():
        assert not row.body.rstrip().endswith(":")


def test_a_notification_is_sent_once_even_if_a_sweep_and_a_retry_race(contractor):
    contractor.notify_in_app = False
    rows = notifications.notify_contractor(
        contractor, template="lead_expired", context={"lead": LeadFactory()}
    )
    sends = []
    with mock.patch.dict(notifications.BACKENDS, {"email": lambda n: sends.append(n.pk)}):
        notifications.send(rows[0].pk)
        notifications.send(rows[0].pk)
    assert sends == [rows[0].pk]


def test_a_new_offer_text_held_past_the_offers_expiry_is_dropped(contractor, clock):
    from datetime import time

    Contractor.objects.filter(pk=contractor.pk).update(
        notify_sms=True, quiet_hours_start=time(0, 0), quiet_hours_end=time(23, 59)
    )
    contractor.refresh_from_db()
    offer = make_offer(contractor=contractor)
    notifications.notify_contractors(
        [(contractor, "lead_expired", {"lead": offer.lead}, "")], expires_at=offer.expires_at
    )
    sms = Notification.objects.get(channel="sms")
    clock.shift(timedelta(days=1))
    notifications.send(sms.pk)
    sms.refresh_from_db()
    assert sms.status == "failed" and "expired" in sms.last_error


def test_a_status_report_without_a_message_sid_changes_no_text(db):
    from django.utils import timezone

    from marketplace.models import Notification, SmsStatusReport
    from marketplace.notifications import record_sms_status

    unsent = Notification.objects.create(
        channel="sms", to="+16195550100", template="new_offer", body="x", send_after=timezone.now()
    )
    record_sms_status(message_sid="", status="delivered")
    unsent.refresh_from_db()
    assert unsent.status == "queued" and not SmsStatusReport.objects.exists()


def test_deleting_a_user_deletes_their_messages_though_the_database_does_not_check_them(
    contractor,
):
    """Notification.user has no database constraint (a wave writes thousands at once):
    Django's CASCADE still removes a deleted user's messages, and only theirs."""
    notifications.notify_contractor(contractor, template="low_balance", context={}, link="/")
    other = notifications.notify_address(
        "homeowner@example.com", template="low_balance", context={}, send=False
    )
    user = contractor.user
    user_id = user.pk
    assert Notification.objects.filter(user_id=user_id).exists()
    Contractor.objects.filter(pk=contractor.pk).delete()
    user.delete()
    assert not Notification.objects.filter(user_id=user_id).exists()
    assert Notification.objects.filter(pk=other.pk).exists()

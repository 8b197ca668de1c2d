"""Emails and texts show times in the recipient's zone, with its abbreviation; quiet
hours are the contractor's local hours, DST included."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from credits import services as credit_services
from leads import services as lead_services
from marketplace import notifications
from marketplace.models import Contractor, Notification
from tests.factories import ContractorFactory, LeadFactory, OfferFactory, ZipCodeFactory, fund
from tests.leads.test_accept import make_offer
from tests.pages import says_utc

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


def new_offer_to(pro):
    offer = OfferFactory(contractor=pro)  # shown now (14:00 UTC), expires at 15:00 UTC
    notifications.notify_contractor(
        pro,
        template="new_offer",
        context={"offer": offer, "price": "$4.50", "value": "$450.00"},
    )
    return {n.channel: n for n in Notification.objects.filter(user=pro.user)}


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("America/Los_Angeles", "7:00 AM PST"), ("America/New_York", "10:00 AM EST")],
)
def test_a_new_offer_says_when_it_expires_in_the_pros_zone(plumbing, clock, zone, shown):
    pro = ContractorFactory(timezone=zone, notify_sms=True)
    sent = new_offer_to(pro)
    for channel in ["email", "sms"]:
        assert shown in sent[channel].body, sent[channel].body
        assert not says_utc(sent[channel].body)
    assert timezone.get_current_timezone_name() == "UTC"  # nothing left activated


def test_a_claim_receipt_gives_the_due_day_in_the_pros_zone(plumbing, clock):
    pro = ContractorFactory(timezone="America/Los_Angeles")
    # Claimed Thursday Feb 26 2026 at 8 PM in Los Angeles (Friday 04:00 UTC): Friday and
    # Monday are the two business days, due Monday 8 PM in LA (Tuesday in UTC).
    clock.move_to(datetime(2026, 2, 26, 20, 0, tzinfo=LA), tick=False)
    purchase = lead_services.accept_offer(make_offer(contractor=fund(pro)), contractor=pro)
    credit_services.file_claim(purchase, contractor=pro, reason="fraudulent", notes="Fake.")
    receipt = Notification.objects.get(template="claim_received", channel="email")
    assert "We aim to decide by Monday, Mar 2;" in receipt.body


def test_a_homeowner_email_is_written_in_their_zips_zone(
    plumbing, clock, monkeypatch, django_capture_on_commit_callbacks
):
    zones = []
    render = notifications._render

    def spy(template, context):
        zones.append((template, timezone.get_current_timezone_name()))
        return render(template, context)

    monkeypatch.setattr(notifications, "_render", spy)
    austin = ZipCodeFactory(timezone="America/Chicago")
    pro = fund(ContractorFactory(timezone="America/Los_Angeles"))
    lead = LeadFactory(zip_code=austin)
    with django_capture_on_commit_callbacks(execute=True):  # the messages follow the sale
        lead_services.accept_offer(make_offer(lead, pro), contractor=pro)
    assert ("lead_purchased", "America/Los_Angeles") in zones  # the pro's receipt
    assert ("pro_accepted", "America/Chicago") in zones  # the homeowner's email


def test_notify_address_without_a_zone_uses_the_default_zone(monkeypatch):
    zones = []
    render = notifications._render
    monkeypatch.setattr(
        notifications,
        "_render",
        lambda template, context: (
            zones.append(timezone.get_current_timezone_name()) or render(template, context)
        ),
    )
    notifications.notify_address(
        "dana@example.com",
        template="lead_expired",
        context={"lead": LeadFactory(), "status_url": "https://x"},
    )
    assert zones == ["America/New_York"]


@pytest.mark.parametrize(
    ("now_local", "delay"),
    [
        # Saturday March 7, 11 PM PST: the night is an hour shorter, quiet until 7 AM PDT.
        (datetime(2026, 3, 7, 23, 0, tzinfo=LA), timedelta(hours=7)),
        # Saturday October 31, 11 PM PDT: the night is an hour longer, until 7 AM PST.
        (datetime(2026, 10, 31, 23, 0, tzinfo=LA), timedelta(hours=9)),
    ],
)
def test_quiet_hours_end_at_7_am_local_across_dst(plumbing, now_local, delay):
    pro = ContractorFactory(timezone="America/Los_Angeles")
    pro.quiet_hours_start, pro.quiet_hours_end = time(21, 0), time(7, 0)
    now = now_local.astimezone(UTC)
    until = notifications.quiet_until(pro, now)
    assert until - now == delay
    assert until.astimezone(LA).strftime("%H:%M") == "07:00"


def test_quiet_hours_are_the_pros_own_local_hours(plumbing):
    now = datetime(2026, 3, 3, 5, 30, tzinfo=UTC)  # 9:30 PM in LA, 12:30 AM in New York
    quiet = {"quiet_hours_start": time(21), "quiet_hours_end": time(23)}
    in_la = Contractor(timezone="America/Los_Angeles", **quiet)
    in_new_york = Contractor(timezone="America/New_York", **quiet)
    assert notifications.quiet_until(in_la, now) == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert notifications.quiet_until(in_new_york, now) == now

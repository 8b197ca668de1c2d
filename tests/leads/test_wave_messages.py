"""A wave's offer messages: rendered once per time zone, written in one insert, sent by one
task per channel, and by the routing task itself for the first wave (no second trip
through the broker)."""

from datetime import time

import pytest
from django.core import mail

from leads import services, tasks
from leads.models import Lead
from marketplace import notifications
from marketplace.models import Notification, ZipCode
from marketplace.tasking import fast_queue
from tests.factories import ContractorFactory, LeadFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def downtown(metro_zips):
    return ZipCode.objects.get(code="92101")


def elite(zone="America/Los_Angeles", **kwargs):
    return fund(ContractorFactory(tier="elite", service_zips=["92101"], timezone=zone, **kwargs))


def open_lead(downtown, plumbing):
    return LeadFactory(zip_code=downtown, category=plumbing, status=Lead.Status.OPEN)


def test_a_wave_is_rendered_once_per_time_zone_in_each_pros_own_time(
    clock, downtown, plumbing, monkeypatch
):
    rendered = []
    render = notifications._render

    def spy(template, context):
        rendered.append(template)
        return render(template, context)

    monkeypatch.setattr(notifications, "_render", spy)
    west = [elite() for _ in range(3)]
    east = elite("America/New_York")
    services.route(open_lead(downtown, plumbing).pk)
    assert rendered.count("new_offer") == 2  # Pacific and Eastern, not once per pro
    # 14:00 UTC, offers for an hour: 7:00 AM in San Diego, 10:00 AM in New York.
    for pro in west:
        email = Notification.objects.get(user=pro.user, channel="email")
        assert "7:00 AM PST" in email.body
    assert "10:00 AM EST" in Notification.objects.get(user=east.user, channel="email").body


def test_texts_wait_for_each_pros_own_quiet_hours(clock, downtown, plumbing):
    # 14:00 UTC is 6 AM in San Diego and 9 AM in New York; both are quiet until 8 AM.
    quiet = {"quiet_hours_start": time(21, 0), "quiet_hours_end": time(8, 0)}
    west = elite(notify_sms=True, phone="+16195550101", **quiet)
    east = elite("America/New_York", notify_sms=True, phone="+16195550102", **quiet)
    services.route(open_lead(downtown, plumbing).pk)
    west_text = Notification.objects.get(user=west.user, channel="sms")
    east_text = Notification.objects.get(user=east.user, channel="sms")
    assert west_text.send_after.hour == 16  # 8 AM Pacific
    assert east_text.send_after == east_text.created_at  # already 9 AM Eastern
    assert Notification.objects.get(user=west.user, channel="in_app").status == "sent"


def test_a_wave_is_one_task_per_channel_on_the_fast_queue(clock, downtown, plumbing, monkeypatch):
    for n in range(5):
        elite(notify_sms=True, phone=f"+1619555020{n}")
    sent = []

    def enqueue(task, *args, _options=None, **kwargs):
        sent.append((task.name, len(args[0]), (_options or {}).get("queue")))

    monkeypatch.setattr(notifications, "enqueue_on_commit", enqueue)
    services.route(open_lead(downtown, plumbing).pk)
    assert sent == [
        ("marketplace.tasks.send_notifications", 5, fast_queue()),  # the emails
        ("marketplace.tasks.send_notifications", 5, fast_queue()),  # the texts
    ]


def test_the_routing_task_sends_the_first_wave_itself(
    clock, downtown, plumbing, django_capture_on_commit_callbacks
):
    pros = [elite() for _ in range(3)]
    lead = open_lead(downtown, plumbing)
    with django_capture_on_commit_callbacks(execute=True) as published:
        tasks.route_lead(lead.pk)
    assert published == []  # no task for the offers' messages
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.user.email for p in pros)
    assert set(Notification.objects.filter(channel="email").values_list("status", flat=True)) == {
        "sent"
    }

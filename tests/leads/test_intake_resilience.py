"""Intake keeps answering homeowners when parts of the system misbehave. (Redis killed
during intake, then back, end to end: tests/resilience/test_redis_down_during_intake.py.)"""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.db import connections
from django.test import Client
from django.urls import reverse

from config.celery import app
from leads.forms import STARTED_SALT
from leads.models import Lead
from marketplace.models import Notification
from tests.factories import ServiceCategoryFactory
from tests.resilience.conftest import celery_broker_at

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_redis_down_for_cache_and_broker_still_answers_the_homeowner(
    client, quote_data, settings, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }
    app.conf.task_always_eager = False
    try:
        with celery_broker_at(DEAD_REDIS), django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("leads:quote"), quote_data(phone="(512) 555-0177"))
    finally:
        app.conf.task_always_eager = True
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.flags.filter(code="area_code_mismatch").exists()  # answered from the database


def test_typing_mistakes_do_not_use_up_the_limit(client, quote_data, settings):
    settings.INTAKE_RATE_LIMIT = "2/h"
    for _ in range(4):
        response = client.post(reverse("leads:quote"), quote_data(phone="555"))
        assert response.status_code == 200
    response = client.post(reverse("leads:quote"), quote_data())
    assert response.status_code == 302


def test_a_form_token_older_than_a_day_is_refused(client, quote_data, time_machine):
    time_machine.move_to(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False)
    token = signing.dumps(time.time(), salt=STARTED_SALT)
    time_machine.shift(timedelta(days=1, minutes=1))
    response = client.post(reverse("leads:quote"), quote_data(started=token))
    assert "expired" in str(response.context["form"].errors["__all__"])
    assert not Lead.objects.exists()


def test_a_cheap_category_never_estimates_below_one_dollar(client, quote_data, metro_zips):
    cheap = ServiceCategoryFactory(name="Key cutting", slug="keys", typical_job_value_cents=150)
    response = client.post(reverse("leads:quote"), quote_data(category=cheap.pk, job_size="small"))
    assert response.status_code == 302
    assert Lead.objects.get().estimated_value_cents == 100


def test_the_confirmation_email_is_plain_text_not_html_escaped(
    client, quote_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leads:quote"), quote_data(name="Pat O'Brien & Sons"))
    assert "Hello Pat O'Brien & Sons," in mail.outbox[0].body
    assert Notification.objects.get(template="received").status == "sent"


def test_the_source_of_the_first_page_is_kept_through_the_visit(client, plumbing):
    client.get(
        "/", {"utm_source": "flyer", "utm_campaign": "spring"}, HTTP_REFERER="https://news.example/"
    )
    client.get(reverse("leads:directory"))
    form = client.get(reverse("leads:quote")).context["form"]
    assert form.initial["utm_source"] == "flyer"
    assert form.initial["utm_campaign"] == "spring"
    assert form.initial["referrer"] == "https://news.example/"
    # A later landing does not overwrite the first touch.
    client.get("/", {"utm_source": "google"})
    assert client.get(reverse("leads:quote")).context["form"].initial["utm_source"] == "flyer"


def test_browsing_without_a_source_creates_no_session(client, plumbing):
    response = client.get("/")
    assert "sessionid" not in response.cookies


def test_the_api_accepts_json_only(api_client, api_quote):
    response = api_client.post(reverse("api:quote-requests"), api_quote(), format="multipart")
    assert response.status_code == 415
    assert not Lead.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="advisory locks need PostgreSQL (CI runs it)",
)
def test_a_double_tap_creates_one_open_lead(quote_data, plumbing, metro_zips):
    data = quote_data()
    barrier = threading.Barrier(4)
    statuses = []

    def submit():
        try:
            barrier.wait()
            statuses.append(Client().post(reverse("leads:quote"), data).status_code)
        finally:
            connections.close_all()  # this thread's connection, so the test db can be dropped

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302] * 4
    assert Lead.objects.count() == 4
    assert Lead.objects.filter(status=Lead.Status.OPEN).count() == 1
    original = Lead.objects.get(status=Lead.Status.OPEN)
    assert set(Lead.objects.exclude(pk=original.pk).values_list("duplicate_of", flat=True)) == {
        original.pk
    }

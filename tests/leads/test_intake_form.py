import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.db import connections
from django.test import Client
from django.urls import reverse

from leads import policy
from leads.forms import STARTED_SALT
from leads.models import Consent, Lead
from tests.factories import ServiceCategoryFactory

from .conftest import signed_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks):
    def post(data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("leads:quote"), data, **extra)

    return post


def test_a_valid_request_is_saved_with_consent_and_source_then_confirmed(submit, quote_data):
    response = submit(
        quote_data(), HTTP_USER_AGENT="Mozilla/5.0 (iPhone)", REMOTE_ADDR="203.0.113.9"
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("leads:sent", args=[lead.status_token])
    assert lead.reference.startswith("FL-") and len(lead.reference) == 9
    assert len(lead.status_token) >= 40
    assert lead.phone == "+16195550177"
    assert lead.email == "dana@example.com"
    assert lead.estimated_value_cents == 45_000  # medium = the category's typical value
    assert lead.max_pros == 3
    assert lead.status == Lead.Status.OPEN
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "spring")
    assert lead.referrer == "https://www.google.com/"
    assert lead.channel == "web"
    consent = Consent.objects.get(lead=lead)
    assert consent.text == policy.consent_text()
    assert consent.method == "form_checkbox"
    assert consent.ip_address == "203.0.113.9"
    assert consent.user_agent == "Mozilla/5.0 (iPhone)"
    assert consent.given_at == lead.created_at
    # The homeowner gets an email with the private status link.
    assert mail.outbox[0].to == ["dana@example.com"]
    assert lead.reference in mail.outbox[0].subject
    assert lead.status_token in mail.outbox[0].body


def test_thank_you_page_shows_the_reference_and_status_link(client, submit, quote_data):
    submit(quote_data())
    lead = Lead.objects.get()
    page = client.get(reverse("leads:sent", args=[lead.status_token])).content.decode()
    assert lead.reference in page
    assert reverse("leads:status", args=[lead.status_token]) in page


@pytest.mark.parametrize(
    ("job_size", "one_pro_only", "value", "max_pros"),
    # The seeded plumbing category: a small job $200, a typical one $450, a large one $2,500.
    [("small", False, 20_000, 3), ("medium", True, 45_000, 1), ("large", "on", 250_000, 1)],
)
def test_job_size_sets_the_estimate_and_one_pro_only_caps_the_sale(
    submit, quote_data, plumbing, job_size, one_pro_only, value, max_pros
):
    data = quote_data(job_size=job_size)
    if one_pro_only:
        data["one_pro_only"] = "on"
    submit(data)
    lead = Lead.objects.get()
    assert (lead.estimated_value_cents, lead.max_pros) == (value, max_pros)
    assert value == getattr(
        plumbing, f"{'typical' if job_size == 'medium' else job_size}_job_value_cents"
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "555-1234"}, "phone", "does not exist"),
        ({"phone": "123"}, "phone", "does not exist"),
        ({"phone": "not a phone"}, "phone", "valid phone number"),
        ({"phone": ""}, "phone", "required"),
        ({"zip_code": "00000"}, "zip_code", "not a US zip code"),
        ({"zip_code": "9210"}, "zip_code", "5-digit"),
        ({"zip_code": "ABCDE"}, "zip_code", "5-digit"),
        ({"email": "dana@"}, "email", "valid email"),
        ({"description": "Leak"}, "description", "at least 15 characters"),
        ({"description": "x" * 2001}, "description", "under 2000"),
        ({"category": ""}, "category", "Choose a service"),
        ({"category": "999999"}, "category", "Choose a service"),
        ({"timeframe": "someday"}, "timeframe", "valid choice"),
        ({"ownership": ""}, "ownership", "required"),
        ({"consent": ""}, "consent", "Please agree"),
        ({"website": "http://spam.example"}, "__all__", "looks automated"),
        ({"started": lambda: signed_start(seconds_ago=1)}, "__all__", "That was quick"),
        ({"started": "forged"}, "__all__", "expired"),
        ({"started": ""}, "__all__", "expired"),
    ],
)
def test_bad_input_is_explained_by_its_field_and_nothing_is_saved(
    client, quote_data, overrides, field, message
):
    data = quote_data(**{k: v() if callable(v) else v for k, v in overrides.items()})
    response = client.post(reverse("leads:quote"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    page = response.content.decode()
    assert 'value="Dana Homeowner"' in page  # what the homeowner typed stays
    assert not Lead.objects.exists()
    assert not Consent.objects.exists()


def test_an_inactive_category_is_refused(client, quote_data):
    retired = ServiceCategoryFactory(name="Chimney", slug="chimney", active=False)
    response = client.post(reverse("leads:quote"), quote_data(category=retired.pk))
    assert "Choose a service" in str(response.context["form"].errors["category"])
    assert not Lead.objects.exists()


def test_form_carries_utm_parameters_and_referrer_from_the_landing_url(client, plumbing):
    response = client.get(
        reverse("leads:quote"),
        {"utm_source": "facebook", "utm_campaign": "fall", "category": "plumbing", "zip": "78701"},
        HTTP_REFERER="https://facebook.com/ad",
    )
    form = response.context["form"]
    assert form.initial["utm_source"] == "facebook"
    assert form.initial["utm_campaign"] == "fall"
    assert form.initial["referrer"] == "https://facebook.com/ad"
    assert form.initial["category"] == plumbing
    assert form.initial["zip_code"] == "78701"
    assert "utm_source=facebook" in form.initial["landing_page"]


def test_the_consent_text_shown_is_the_one_stored(client, plumbing):
    page = client.get(reverse("leads:quote")).content.decode()
    assert policy.consent_text() in page


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

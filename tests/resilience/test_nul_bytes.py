"""A NUL character is refused with 400 wherever it comes (path, query string, header, form,
multipart field, JSON string, even escaped as \\u0000), before any view runs: PostgreSQL
cannot store one, so without this each URL below answered 500 there. Nothing is written."""

import json

import pytest
from django.apps import apps
from django.core import serializers

from tests.billing.conftest import WEBHOOK_SECRET, checkout_completed, stripe_signature

pytestmark = pytest.mark.django_db

MESSAGE = "The request contains a NUL character, which is not allowed."


def snapshot() -> str:
    labels = ["marketplace", "billing", "territories", "leads", "credits"]
    models = [m for label in labels for m in apps.get_app_config(label).get_models()]
    return "".join(serializers.serialize("json", model.objects.order_by("pk")) for model in models)


def assert_page_refused(response):
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert MESSAGE in response.content.decode()


def assert_api_refused(response):
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [MESSAGE]}


@pytest.mark.parametrize(
    "url",
    [
        "/requests/%00/",
        "/reviews/%00/",
        "/quote/?category=%00",
        "/pros/?zip=%00",
        "/pros/?zip=9210%00",
        "/quote/?utm_source=a%00b",
    ],
)
def test_public_pages_refuse_a_nul(client, url):
    assert_page_refused(client.get(url))


def test_a_pro_call_click_refuses_a_nul(client, contractor):
    before = snapshot()
    assert_page_refused(client.get(f"/pros/{contractor.slug}/call/?from=%00"))
    assert snapshot() == before  # no click counted


def test_the_dashboard_zip_lookup_refuses_a_nul(contractor_client):
    assert_page_refused(contractor_client.get("/dashboard/zip-lookup/?base_zip=9210%00"))


def test_a_posted_form_with_a_nul_writes_nothing(client, plumbing, metro_zips):
    before = snapshot()
    response = client.post(
        "/quote/", {"category": "plumbing", "zip_code": "92101", "name": "A\x00"}
    )
    assert_page_refused(response)
    assert snapshot() == before


def test_a_multipart_field_with_a_nul_is_refused(contractor_client):
    response = contractor_client.post(
        "/dashboard/settings/", {"business_name": "Alice\x00"}, format="multipart"
    )
    assert_page_refused(response)


def test_the_api_refuses_a_nul_in_a_query(contractor_api):
    assert_api_refused(contractor_api.get("/api/v1/territories/?zip=78701&category=%00"))


@pytest.mark.parametrize(
    "body",
    [
        '{"zip_codes": ["78701"], "category": "plumb\\u0000ing"}',
        '{"zip_codes": ["78701\\u0000"], "category": "plumbing"}',
        '{"zip_codes": ["78701"], "category": "plumbing", "x\\U0000": 1}',
        '{"zip_codes": ["78701"], "category": "plumbing\x00"}',
    ],
)
def test_the_api_refuses_a_nul_in_a_json_body(contractor_api, metro_zips, body):
    before = snapshot()
    response = contractor_api.post(
        "/api/v1/territory-subscriptions/", body, content_type="application/json"
    )
    assert_api_refused(response)
    assert snapshot() == before


def test_an_escaped_backslash_before_u0000_is_plain_text(contractor_api, metro_zips):
    body = json.dumps({"zip_codes": ["78701"], "category": "\\u0000"})
    assert "\\\\u0000" in body
    response = contractor_api.post(
        "/api/v1/territory-subscriptions/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "category" in response.json()  # an unknown category, not a NUL


def test_the_api_refuses_a_nul_in_a_form_body(contractor_api, metro_zips):
    response = contractor_api.post(
        "/api/v1/territory-subscriptions/", {"zip_codes": "78701", "category": "plumbing\x00"}
    )
    assert_api_refused(response)


def test_the_api_refuses_a_nul_in_a_header(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token abc\x00def")
    assert_api_refused(api_client.get("/api/v1/me/"))


def test_the_api_refuses_a_nul_in_its_path(contractor_api):
    assert_api_refused(contractor_api.get("/api/v1/leads/%00/"))


def test_anonymous_api_intake_refuses_a_nul(api_client, plumbing):
    before = snapshot()
    response = api_client.post(
        "/api/v1/quote-requests/",
        '{"category": "plumbing", "name": "Ann\\u0000"}',
        content_type="application/json",
    )
    assert_api_refused(response)
    assert snapshot() == before


def test_a_signed_stripe_webhook_with_a_nul_is_refused_and_writes_nothing(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    payload = checkout_completed("cs_\x00nul", 5_000)
    assert b"\\u0000" in payload
    before = snapshot()
    response = client.post(
        "/webhooks/stripe/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
    )
    assert_page_refused(response)
    assert snapshot() == before


def test_a_twilio_callback_with_a_nul_is_refused(client):
    before = snapshot()
    response = client.post(
        "/webhooks/twilio/status/", {"MessageSid": "SM\x00", "MessageStatus": "delivered"}
    )
    assert_page_refused(response)
    assert snapshot() == before


def test_clean_requests_still_pass(client, contractor_api, metro_zips):
    assert client.get("/pros/?zip=92101").status_code == 200
    assert contractor_api.get("/api/v1/territories/?zip=78701").status_code == 200


def test_a_multipart_webhook_body_is_still_readable_by_the_webhook(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    response = client.post("/webhooks/stripe/", {"id": "evt_1"})  # multipart, unsigned
    assert response.status_code == 400  # the signature, not a RawPostDataException

"""A deeply nested JSON body is a 400 on every DRF endpoint, anonymous ones included:
1,000 nested brackets in 2 KB used to raise RecursionError (a 500). Strings that cannot
be stored (a lone surrogate) are refused the same way."""

import time

import pytest

from marketplace.parsers import MAX_JSON_DEPTH, json_too_deep
from tests.billing.conftest import WEBHOOK_SECRET, stripe_signature
from tests.factories import PurchaseFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/auth/token/",
        "/api/v1/quote-requests/",
        "/api/v1/categories/",
    ],
)
def test_anonymous_endpoints_answer_deep_json_with_400(api_client, url):
    response = api_client.post(url, DEEP, content_type="application/json")
    assert response.status_code in (400, 405), response.content
    if response.status_code == 400:
        [message] = response.json()["non_field_errors"]
        assert "nested deeper than 32 levels" in message


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/territory-subscriptions/",
        "/api/v1/credit-claims/",
    ],
)
def test_contractor_endpoints_answer_deep_json_with_400(contractor_api, url):
    body = '{"a": ' + "{" * 500 + "}" * 500 + "}"
    response = contractor_api.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content


def test_patch_answers_deep_json_with_400(contractor_api, contractor):
    purchase = PurchaseFactory(contractor=contractor)
    url = f"/api/v1/leads/{purchase.lead_id}/"
    response = contractor_api.patch(url, DEEP, content_type="application/json")
    assert response.status_code == 400


def test_a_lone_surrogate_is_a_400(api_client):
    response = api_client.post(
        "/api/v1/auth/token/",
        '{"email": "\\ud800@x.io", "password": "x"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Unicode" in response.json()["non_field_errors"][0]


def test_nesting_up_to_the_limit_is_parsed(api_client):
    body = (
        '{"email": "a@b.co", "password": '
        + "[" * (MAX_JSON_DEPTH - 1)
        + "]" * (MAX_JSON_DEPTH - 1)
        + "}"
    )
    response = api_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert "password" in response.json()  # the serializer judged it: it was parsed


def test_brackets_inside_strings_do_not_count():
    assert not json_too_deep('{"a": "' + "[" * 1000 + '\\"[[["}')
    assert json_too_deep("[" * 33 + "]" * 33)
    assert not json_too_deep("[" * 32 + "]" * 32)


def test_a_deep_signed_stripe_webhook_is_refused(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    payload = ('{"id": "evt_deep", "data": ' + "[" * 5000 + "]" * 5000 + "}").encode()
    response = client.post(
        "/webhooks/stripe/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
    )
    assert response.status_code == 400


def test_an_unsigned_deep_stripe_webhook_is_refused_before_it_is_scanned(
    client, settings, monkeypatch
):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    scanned = []
    monkeypatch.setattr("billing.services.json_too_deep", lambda text: scanned.append(text))
    payload = ("[" * 5000 + "]" * 5000).encode()
    response = client.post(
        "/webhooks/stripe/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1"
    )
    assert response.status_code == 400
    assert scanned == []


@pytest.mark.parametrize(
    "text, deep",
    [
        ('["\\\\"' + "[" * 40 + "]" * 40 + "]", True),  # an escaped backslash ends the string
        ('["\\"' + "[" * 40 + '"]', False),  # an escaped quote does not end it
        ('{"a": "}}}}", "b": ' + "[" * 33 + "]" * 33 + "}", True),
        ("[" * 32 + "]" * 32, False),
    ],
)
def test_strings_and_escapes_are_followed_exactly(text, deep):
    assert json_too_deep(text) is deep


def test_the_depth_scan_is_linear_on_an_unterminated_string_of_escaped_quotes():
    """The old regex scan took 8.5 s on 40 KB of this and grew with the square of its size."""
    hostile = '"' + '\\"' * 500_000  # 1 MB
    # CPU time, not wall time: other test processes (parallel workers) share the cores.
    start = time.process_time()
    assert json_too_deep(hostile) is False
    assert time.process_time() - start < 2  # about 0.1 s; the quadratic scan took hours

import re

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from marketplace.models import ServiceArea, ServiceCategory
from tests.factories import PASSWORD, ServiceCategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_a_valid_email_and_password(api_client, contractor):
    response = api_client.post(
        reverse("api:token"),
        {"email": "ALICE@example.com", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=contractor.user).key}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "alice@example.com", "password": "wrong"}, "non_field_errors"),
        ({"email": "not-an-email", "password": "x"}, "email"),
        ({"password": "x"}, "email"),
        ({"email": "alice@example.com"}, "password"),
    ],
)
def test_token_request_errors_are_field_keyed(api_client, contractor, body, field):
    response = api_client.post(reverse("api:token"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Token.objects.exists()


def test_token_requests_are_throttled_after_repeated_failures(api_client, contractor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post(
            reverse("api:token"), {"email": "alice@example.com", "password": "no"}, format="json"
        )
    response = api_client.post(
        reverse("api:token"), {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.json()["non_field_errors"][0]
    assert not Token.objects.exists()


def test_unknown_token_gets_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = api_client.get(reverse("api:me"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "non_field_errors" in response.json()


def test_me_requires_authentication(api_client):
    response = api_client.get(reverse("api:me"))
    assert response.status_code == 401


def test_me_shows_the_token_owners_own_profile(contractor_api, contractor, other_contractor):
    ServiceArea.objects.create(contractor=contractor, zip_code=contractor.base_zip)
    response = contractor_api.get(reverse("api:me"))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alice@example.com"
    assert body["business_name"] == "Alice Plumbing"
    assert body["tier"] == "base"
    assert body["categories"] == ["plumbing"]
    assert body["service_zip_count"] == 1
    assert body["onboarded"] is True
    assert "Bob" not in str(body)


def test_me_works_with_the_browser_session(client, contractor):
    client.force_login(contractor.user)
    assert client.get(reverse("api:me")).json()["email"] == "alice@example.com"


def test_me_is_404_for_a_staff_account_without_a_profile(api_client):
    api_client.force_authenticate(UserFactory(email="ops@example.com", is_staff=True))
    response = api_client.get(reverse("api:me"))
    assert response.status_code == 404
    assert response.json() == {"non_field_errors": ["This account has no contractor profile."]}


def test_categories_are_public_paginated_and_hide_inactive_ones(
    api_client, django_assert_num_queries
):
    for n in range(30):
        ServiceCategoryFactory(name=f"Trade {n:02d}", slug=f"trade-{n:02d}")
    ServiceCategoryFactory(name="Retired", slug="retired", active=False)
    with django_assert_num_queries(2):
        response = api_client.get(reverse("api:categories"))
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == ServiceCategory.objects.filter(active=True).count() >= 30
    assert len(body["results"]) == 25
    assert body["next"]
    slugs = {c["slug"] for c in body["results"]}
    assert "retired" not in slugs
    assert set(body["results"][0]) == {
        "slug",
        "name",
        "description",
        "typical_job_value_cents",
    }


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/auth/token/", "/api/v1/me/", "/api/v1/categories/"} <= set(paths)
    docs = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in docs
    # No address on a CDN (a random token in the page may spell "cdn": not an address).
    assert not re.search(r"(https?:)?//[^\s\"'<>]*cdn", docs.lower())


def test_token_is_refused_until_the_email_is_verified(api_client):
    UserFactory(email="unverified@example.com", verified=False)
    response = api_client.post(
        reverse("api:token"),
        {"email": "unverified@example.com", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert "Verify your email" in response.json()["non_field_errors"][0]
    assert not Token.objects.exists()

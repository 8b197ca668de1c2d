"""The territory API: prices and availability, subscribe, list, cancel; own data only."""

import pytest
from django.urls import reverse

from territories import services
from territories.models import TerritorySubscription
from tests.factories import ContractorFactory, fund
from tests.territories.conftest import served

pytestmark = pytest.mark.django_db

TERRITORIES = reverse("api:territories")
SUBSCRIPTIONS = reverse("api:territory-subscriptions")


@pytest.fixture
def api(contractor_api, funded):
    return contractor_api


def test_prices_and_availability_of_a_zip(api, austin, plumbing):
    other = fund(ContractorFactory(service_zips=served()))
    services.subscribe(other, zip_codes=[austin[0]], category=plumbing)
    response = api.get(TERRITORIES, {"zip": "78701,78702", "category": "plumbing"})
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["zip_code"] == "78701" and first["available"] is False
    assert first["availability"] == "partial" and first["taken_categories"] == ["Plumbing"]
    assert second["available"] is True and second["availability"] == "free"
    assert second["monthly_fee_cents"] == 2_900 and "minimum" in second["fee_formula"]
    assert second["lead_fee_cents"] == 1_500 and second["leads_12m"] == 0
    assert second["average_job_value_cents"] == 45_000 and second["demand_percent"] == 100


def test_every_service_when_no_category_is_given(api, austin):
    from marketplace.models import ServiceCategory

    response = api.get(TERRITORIES, {"zip": "78701"})
    assert response.json()["count"] == ServiceCategory.objects.filter(active=True).count()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "zip", "This field is required."),
        ({"zip": "00000"}, "zip", "Unknown zip code: 00000."),
        ({"zip": "78701", "category": "nope"}, "category", "Object with slug=nope does not exist."),
    ],
)
def test_bad_queries_say_what_is_wrong(api, austin, params, field, message):
    response = api.get(TERRITORIES, params)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_subscribe_list_and_cancel(api, funded, austin):
    response = api.post(
        SUBSCRIPTIONS,
        {"zip_codes": ["78701", "78702"], "category": "plumbing", "expected_total_cents": 5_800},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert [s["zip_code"] for s in created] == ["78701", "78702"]
    assert created[0]["fee_cents"] == 2_900 and created[0]["status"] == "active"
    listed = api.get(SUBSCRIPTIONS).json()
    assert listed["count"] == 2
    url = reverse("api:territory-subscription", args=[created[0]["id"]])
    response = api.delete(url)
    assert response.status_code == 204 and not response.content
    assert api.get(url).json()["cancel_at_period_end"] is True
    assert api.delete(url).status_code == 204  # cancelling twice is the same cancellation


def test_subscribe_errors(api, funded, austin, plumbing):
    other = fund(ContractorFactory(service_zips=served()))
    services.subscribe(other, zip_codes=[austin[0]], category=plumbing)
    taken = api.post(SUBSCRIPTIONS, {"zip_codes": ["78701"], "category": "plumbing"}, format="json")
    assert taken.status_code == 409 and "already taken in 78701" in taken.json()["zip_codes"][0]
    moved = api.post(
        SUBSCRIPTIONS,
        {"zip_codes": ["78702"], "category": "plumbing", "expected_total_cents": 1},
        format="json",
    )
    assert moved.status_code == 409 and "The price is now $29.00" in str(moved.json())
    bad = api.post(SUBSCRIPTIONS, {"zip_codes": ["7870"], "category": "plumbing"}, format="json")
    assert bad.status_code == 400 and "zip_codes" in bad.json()
    empty = api.post(SUBSCRIPTIONS, {"zip_codes": [], "category": "plumbing"}, format="json")
    assert empty.status_code == 400


def test_a_balance_too_low_is_402(contractor_api, contractor, austin):
    fund(contractor, 100)
    response = contractor_api.post(
        SUBSCRIPTIONS, {"zip_codes": ["78701"], "category": "plumbing"}, format="json"
    )
    assert response.status_code == 402
    assert not TerritorySubscription.objects.exists()


def test_another_pros_subscription_is_404(api, austin, plumbing):
    other = fund(ContractorFactory(service_zips=served()))
    (sub,) = services.subscribe(other, zip_codes=[austin[0]], category=plumbing)
    url = reverse("api:territory-subscription", args=[sub.pk])
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code == 404
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end
    assert api.get(SUBSCRIPTIONS).json()["count"] == 0


def test_anonymous_callers_are_refused(api_client):
    assert api_client.get(TERRITORIES, {"zip": "78701"}).status_code in (401, 403)
    assert api_client.get(SUBSCRIPTIONS).status_code in (401, 403)

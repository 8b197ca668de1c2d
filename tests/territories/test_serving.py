"""A territory is only for a pro who serves its service and its zip, and its leads only go
to a subscriber who still holds it and still serves it."""

from datetime import timedelta

import pytest
from django.urls import reverse

from leads import services as leads
from leads.models import Lead, Offer
from marketplace.models import ServiceArea
from territories import services
from territories.models import TerritorySubscription
from tests.factories import ContractorFactory, LeadFactory, ServiceCategoryFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def serving(funded, austin):
    """The contractor serves plumbing in the first three Austin zips only."""
    ServiceArea.objects.filter(contractor=funded).delete()
    ServiceArea.objects.bulk_create(
        [ServiceArea(contractor=funded, zip_code=z) for z in austin[:3]]
    )
    return funded


def test_subscribing_to_a_zip_outside_the_service_area_is_refused(serving, austin, plumbing):
    with pytest.raises(services.TerritoryError, match="78704") as error:
        services.subscribe(serving, zip_codes=[austin[0], austin[3]], category=plumbing)
    assert error.value.field == "zip_codes"
    assert not TerritorySubscription.objects.exists()


def test_subscribing_to_a_service_not_offered_is_refused(serving, austin):
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    with pytest.raises(services.TerritoryError, match="do not offer roofing") as error:
        services.subscribe(serving, zip_codes=[austin[0]], category=roofing)
    assert error.value.field == "category"
    assert not TerritorySubscription.objects.exists()


def test_the_api_refuses_a_zip_outside_the_service_area(serving, austin, plumbing, client):
    client.force_login(serving.user)
    response = client.post(
        reverse("api:territory-subscriptions"),
        {"zip_codes": [austin[4].code], "category": "plumbing"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "78705" in response.json()["zip_codes"][0]


def test_a_subscriber_who_stopped_serving_the_zip_is_passed_over(
    clock, serving, austin, plumbing, metro_zips
):
    services.subscribe(serving, zip_codes=[austin[0]], category=plumbing)
    ServiceArea.objects.filter(contractor=serving, zip_code=austin[0]).delete()
    other = fund(ContractorFactory(tier="elite"))
    ServiceArea.objects.create(contractor=other, zip_code=austin[0])
    lead = LeadFactory(zip_code=austin[0], category=plumbing, status=Lead.Status.OPEN)
    leads.route(lead.pk)
    assert dict(Offer.objects.filter(lead=lead).values_list("contractor_id", "route")) == {
        other.pk: "marketplace"
    }


def test_accepting_after_the_territory_lapsed_is_refused_and_the_lead_moves_on(
    clock, serving, austin, plumbing, metro_zips, django_capture_on_commit_callbacks
):
    (subscription,) = services.subscribe(serving, zip_codes=[austin[0]], category=plumbing)
    other = fund(ContractorFactory(tier="elite"))
    ServiceArea.objects.create(contractor=other, zip_code=austin[0])
    lead = LeadFactory(zip_code=austin[0], category=plumbing, status=Lead.Status.OPEN)
    leads.route(lead.pk)
    offer = Offer.objects.get(lead=lead, contractor=serving)
    assert offer.route == Offer.Route.TERRITORY
    TerritorySubscription.objects.filter(pk=subscription.pk).update(
        status=TerritorySubscription.Status.SUSPENDED, ended_at=offer.offered_at
    )
    clock.shift(timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(leads.NotABuyer, match="no longer hold"):
            leads.accept_offer(offer, contractor=serving)
    serving.account.refresh_from_db()
    assert serving.account.balance_cents == 100_000 - subscription.fee_cents  # no lead fee
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert Offer.objects.filter(lead=lead, contractor=other, status="pending").exists()

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.models import Lead, Offer
from marketplace.models import Notification, ServiceArea, ZipCode
from tests.factories import ContractorFactory, LeadFactory, UserFactory, fund

from .test_accept import make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client):
    user = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "name",
    ["leads_offer", "leads_purchase", "leads_lead", "marketplace_notification"],
)
def test_audit_lists_load_with_bounded_queries(
    client, ops, contractor, name, django_assert_max_num_queries
):
    fund(contractor)
    for _ in range(5):
        services.accept_offer(make_offer(contractor=contractor), contractor=contractor)
    with django_assert_max_num_queries(15):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_lead_page_shows_the_routing_history(client, ops, contractor):
    offer = make_offer(contractor=contractor)
    page = client.get(reverse("admin:leads_lead_change", args=[offer.lead_id])).content.decode()
    assert contractor.business_name in page
    assert "Pending" in page


def test_reroute_and_withdraw_actions(client, ops, metro_zips, plumbing, clock):
    zip_code = ZipCode.objects.get(code="92101")
    lead = LeadFactory(status=Lead.Status.OPEN, zip_code=zip_code, category=plumbing)
    late = fund(ContractorFactory(tier="base"))
    ServiceArea.objects.create(contractor=late, zip_code=zip_code)
    changelist = reverse("admin:leads_lead_changelist")
    # Not routed yet: routing decides first whether a territory has the first right to it.
    response = client.post(
        changelist, {"action": "reroute", "_selected_action": [lead.pk]}, follow=True
    )
    assert "has not been routed yet" in response.content.decode()
    assert not Offer.objects.filter(lead=lead).exists()
    Lead.objects.filter(pk=lead.pk).update(routed_at=timezone.now())
    client.post(changelist, {"action": "reroute", "_selected_action": [lead.pk]})
    assert Offer.objects.filter(lead=lead, contractor=late, status="pending").exists()
    client.post(changelist, {"action": "withdraw_offers", "_selected_action": [lead.pk]})
    assert Offer.objects.get(lead=lead, contractor=late).status == "withdrawn"
    assert Notification.objects.filter(user=late.user, template="offer_withdrawn").exists()


def test_the_homeowner_sees_who_accepted(client, contractor):
    fund(contractor)
    offer = make_offer(contractor=contractor)
    services.accept_offer(offer, contractor=contractor)
    page = client.get(reverse("leads:status", args=[offer.lead.status_token])).content.decode()
    assert contractor.business_name in page
    assert contractor.phone in page

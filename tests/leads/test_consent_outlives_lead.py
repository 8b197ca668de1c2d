"""A lead's consent and screening history are evidence: they outlive the lead, which is
closed, never deleted."""

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.models import Consent, Lead, LeadFlag, ScreeningDecision
from marketplace.models import ServiceCategory
from tests.factories import LeadFactory, OfferFactory, ServiceCategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def screened_lead():
    lead = LeadFactory(status=Lead.Status.REJECTED)
    Consent.objects.create(lead=lead, text="I agree to be contacted.", given_at=timezone.now())
    LeadFlag.objects.create(lead=lead, code=LeadFlag.Code.DISPOSABLE_EMAIL, detail="mailinator")
    ScreeningDecision.objects.create(
        lead=lead,
        outcome=ScreeningDecision.Outcome.REJECTED,
        decided_by=UserFactory(is_staff=True),
        reason="spam",
    )
    return lead


@pytest.fixture
def superuser(client):
    user = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def assert_evidence_kept(lead):
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert Consent.objects.filter(lead_id=lead.pk).exists()
    assert LeadFlag.objects.filter(lead_id=lead.pk).exists()
    assert ScreeningDecision.objects.filter(lead_id=lead.pk).exists()


def test_deleting_a_lead_in_code_is_refused_and_its_consent_survives(screened_lead):
    with pytest.raises(ProtectedError):
        screened_lead.delete()
    assert_evidence_kept(screened_lead)


def test_a_lead_without_consent_still_keeps_its_screening_history(screened_lead):
    Consent.objects.filter(lead=screened_lead).delete()
    with pytest.raises(ProtectedError):
        Lead.objects.filter(pk=screened_lead.pk).delete()
    assert ScreeningDecision.objects.filter(lead_id=screened_lead.pk).exists()


@pytest.mark.parametrize("admin_name", ["leads_lead", "leads_screeninglead"])
def test_not_even_a_superuser_can_delete_a_lead_in_the_admin(
    client, superuser, screened_lead, admin_name
):
    if admin_name == "leads_screeninglead":
        Lead.objects.filter(pk=screened_lead.pk).update(status=Lead.Status.SCREENING)
    change = client.get(reverse(f"admin:{admin_name}_change", args=[screened_lead.pk]))
    assert change.status_code == 200
    assert reverse(f"admin:{admin_name}_delete", args=[screened_lead.pk]) not in (
        change.content.decode()
    )
    delete = reverse(f"admin:{admin_name}_delete", args=[screened_lead.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:{admin_name}_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [screened_lead.pk], "post": "yes"},
    )
    assert_evidence_kept(screened_lead)


def test_a_service_with_offers_is_kept_by_its_leads_and_an_unused_one_is_deleted_unread():
    """An offer's copy of its lead's service and zip is kept by the lead's own PROTECT;
    deleting a service nobody asked for does not read the offers (no index serves them)."""
    offer = OfferFactory()
    assert offer.category_id == offer.lead.category_id
    with pytest.raises(ProtectedError):
        ServiceCategory.objects.get(pk=offer.category_id).delete()
    with pytest.raises(ProtectedError):
        offer.zip_code.delete()

    unused = ServiceCategoryFactory()
    with CaptureQueriesContext(connection) as captured:
        unused.delete()
    assert not ServiceCategory.objects.filter(pk=unused.pk).exists()
    assert not [q for q in captured.captured_queries if "leads_offer" in q["sql"]]

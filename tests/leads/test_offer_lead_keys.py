"""An offer keeps its lead's category, zip and campaign as they were when it was made, so
analytics counts a pro's offers without joining each one to its lead."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads import services
from leads.models import Lead, Offer
from marketplace.models import ServiceArea, ZipCode
from tests.factories import ContractorFactory, LeadFactory, fund

pytestmark = pytest.mark.django_db

KEYS = ("category_id", "zip_code_id", "utm_source")


def pro(tier="elite"):
    contractor = ContractorFactory(tier=tier)
    ServiceArea.objects.create(contractor=contractor, zip_code_id="92101")
    return fund(contractor)


@pytest.fixture
def lead(metro_zips, plumbing):
    return LeadFactory(
        zip_code=ZipCode.objects.get(code="92101"),
        category=plumbing,
        status=Lead.Status.OPEN,
        utm_source="Google",
    )


def test_routing_copies_the_leads_keys_onto_every_offer_of_a_wave(clock, lead, plumbing):
    elites = [pro() for _ in range(3)]
    services.route(lead.pk)
    rows = Offer.objects.filter(lead=lead).values_list("contractor_id", *KEYS)
    assert set(rows) == {(e.pk, plumbing.pk, "92101", "Google") for e in elites}


def test_a_later_wave_copies_them_too(clock, lead, plumbing):
    base = pro("base")
    services.route(lead.pk)
    clock.shift(timedelta(minutes=20))
    services.send_due_waves()
    offer = Offer.objects.get(lead=lead, contractor=base)
    assert keys(offer) == (plumbing.pk, "92101", "Google")


def test_an_offer_made_on_its_own_copies_them_when_saved(clock, lead, contractor, plumbing):
    offer = _offered_alone(lead, contractor)
    offer.refresh_from_db()
    assert keys(offer) == (plumbing.pk, "92101", "Google")


def test_the_keys_stay_what_the_lead_was_when_offered(clock, lead, contractor, plumbing):
    offer = _offered_alone(lead, contractor)
    Lead.objects.filter(pk=lead.pk).update(utm_source="facebook", zip_code_id="92103")
    offer.status = Offer.Status.DECLINED
    offer.save()  # a later save of the offer does not copy again
    offer.refresh_from_db()
    assert (offer.zip_code_id, offer.utm_source) == ("92101", "Google")


def _offered_alone(lead, contractor) -> Offer:
    """An offer made on its own (not by a wave's insert), as a live call or a test makes one."""
    return Offer.objects.create(
        lead=lead,
        contractor=contractor,
        route=Offer.Route.MARKETPLACE,
        price_cents=450,
        offered_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )


def keys(offer: Offer) -> tuple:
    return (offer.category_id, offer.zip_code_id, offer.utm_source)

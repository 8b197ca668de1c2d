"""What a lead costs depends on the route it came by, and every place that states the price
says the same thing: the accept page, the offer email and text, and a partial credit."""

import pytest
from django.urls import reverse

from credits import services as credit_services
from credits.models import CreditClaim
from leads import pricing, services
from leads.models import Lead, Offer
from marketplace.models import Notification, ServiceArea
from territories import services as territory_services
from tests.factories import (
    LeadFactory,
    ServiceCategoryFactory,
    UserFactory,
    fund,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def electrical(db):
    # Its own slug: the categories migration's "electrical" has other values.
    return ServiceCategoryFactory(name="Wiring", slug="wiring", typical_job_value_cents=130_000)


@pytest.fixture
def subscriber(clock, contractor, metro_zips, plumbing, electrical):
    contractor.categories.add(electrical)
    ServiceArea.objects.bulk_create(
        [ServiceArea(contractor=contractor, zip_code_id=code) for code in ["78701", "78702"]]
    )
    fund(contractor, 100_000)
    territory_services.subscribe(
        contractor, zip_codes=[metro_zips.get(code="78701")], category=plumbing
    )
    return contractor


def territory_offer(plumbing, django_capture_on_commit_callbacks) -> Offer:
    lead = LeadFactory(zip_code_id="78701", category=plumbing, status=Lead.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        services.route(lead.pk)
    return Offer.objects.get(lead=lead, route=Offer.Route.TERRITORY)


def test_the_price_function_names_each_route_and_its_formula(plumbing, settings):
    settings.TERRITORY_LEAD_FEE_CENTS = {"default": 1_500, "plumbing": 2_000}
    market = pricing.lead_price(
        route=Offer.Route.MARKETPLACE, category=plumbing, estimated_value_cents=45_000
    )
    assert (market.cents, market.formula) == (450, "1% of the estimated job value of $450.00")
    profile = pricing.lead_price(
        route=Offer.Route.PROFILE, category=plumbing, estimated_value_cents=45_000
    )
    assert profile == market
    territory = pricing.lead_price(
        route=Offer.Route.TERRITORY, category=plumbing, estimated_value_cents=45_000
    )
    assert territory.cents == 2_000
    assert territory.formula == "the per-lead fee of an exclusive Plumbing territory"


def test_the_accept_page_of_a_territory_offer_states_the_fee_not_one_percent(
    subscriber, plumbing, client, django_capture_on_commit_callbacks
):
    offer = territory_offer(plumbing, django_capture_on_commit_callbacks)
    client.force_login(subscriber.user)
    page = client.get(reverse("leads:offer-accept", args=[offer.pk])).content.decode()
    assert "$15.00" in page
    assert "per-lead fee of an exclusive Plumbing territory" in page
    assert "1%" not in page


def test_the_offer_email_and_text_of_a_territory_lead_state_the_fee(
    subscriber, plumbing, django_capture_on_commit_callbacks
):
    subscriber.notify_sms = True
    subscriber.save()
    offer = territory_offer(plumbing, django_capture_on_commit_callbacks)
    messages = Notification.objects.filter(user=subscriber.user, template="new_offer")
    assert {m.channel for m in messages} >= {"email", "sms"}
    for message in messages:
        assert "1%" not in message.body, message.body
        assert "$15.00" in message.body
    email = messages.get(channel="email")
    assert "per-lead fee of an exclusive Plumbing territory" in email.body
    assert offer.price_cents == 1_500


def test_the_offer_email_of_a_marketplace_lead_states_one_percent(
    contractor, metro_zips, plumbing, django_capture_on_commit_callbacks
):
    ServiceArea.objects.create(contractor=contractor, zip_code_id="92101")
    contractor.tier = "elite"  # offered in the first wave, at once
    contractor.save()
    fund(contractor)
    lead = LeadFactory(zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        services.route(lead.pk)
    email = Notification.objects.get(user=contractor.user, template="new_offer", channel="email")
    assert "$4.50" in email.body
    assert "1% of the estimated job value of $450.00" in email.body
    assert "Job size: medium" in email.body  # the homeowner's own answer


def test_a_wrong_category_credit_on_a_territory_lead_compares_territory_fees(
    subscriber, plumbing, electrical, django_capture_on_commit_callbacks
):
    """Plumbing and wiring territory leads cost the same fee: the corrected category
    makes no difference, so nothing is credited (1% would have credited $13.00 - $4.50)."""
    offer = territory_offer(plumbing, django_capture_on_commit_callbacks)
    purchase = services.accept_offer(offer, contractor=subscriber)
    claim = credit_services.file_claim(
        purchase, contractor=subscriber, reason="wrong_category", notes="It is an electrical job."
    )
    reviewer = UserFactory(is_staff=True)
    credit_services.approve_claim(claim, by=reviewer, corrected_category=electrical)
    claim.refresh_from_db()
    assert claim.credited_cents == 0
    assert claim.status != CreditClaim.Status.APPROVED
    subscriber.account.refresh_from_db()
    assert subscriber.account.balance_cents == 100_000 - 2_900 - 1_500  # month + fee, no credit


def test_a_wrong_category_credit_on_a_marketplace_lead_credits_the_one_percent_difference(
    contractor, plumbing, electrical, metro_zips
):
    """Sold as wiring ($13.00), really plumbing ($4.50): the difference comes back."""
    contractor.categories.add(electrical)
    fund(contractor, 10_000)
    lead = LeadFactory(category=electrical, estimated_value_cents=130_000, status=Lead.Status.OPEN)
    from tests.leads.test_accept import make_offer

    offer = make_offer(lead=lead, contractor=contractor)
    Offer.objects.filter(pk=offer.pk).update(price_cents=1_300)
    purchase = services.accept_offer(offer, contractor=contractor)
    claim = credit_services.file_claim(
        purchase, contractor=contractor, reason="wrong_category", notes="It was a clogged drain."
    )
    credit_services.approve_claim(claim, by=UserFactory(is_staff=True), corrected_category=plumbing)
    claim.refresh_from_db()
    assert claim.credited_cents == 1_300 - 450
    assert claim.status == CreditClaim.Status.PARTIALLY_APPROVED


def test_no_page_or_message_template_hard_codes_one_percent():
    """The rate is said by leads.pricing (and the marketing home page), nowhere else."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.name != "home.html" and "1%" in path.read_text()
    ]
    assert offenders == []


def test_the_leads_own_category_is_no_correction(contractor, plumbing, metro_zips):
    fund(contractor, 10_000)
    from tests.leads.test_accept import make_offer

    purchase = services.accept_offer(make_offer(contractor=contractor), contractor=contractor)
    claim = credit_services.file_claim(
        purchase, contractor=contractor, reason="wrong_category", notes="Not plumbing."
    )
    with pytest.raises(credit_services.DomainError, match="already"):
        credit_services.approve_claim(
            claim, by=UserFactory(is_staff=True), corrected_category=plumbing
        )


def test_a_screeners_corrected_estimate_carries_to_the_corrected_category(
    contractor, plumbing, electrical, metro_zips
):
    """A screener raised this plumbing job to $2,000 (4.44x plumbing's typical $450): the
    wiring job it really was is priced at the same multiple of wiring's value, not at
    wiring's default, so the difference is the real one."""
    contractor.categories.add(electrical)
    fund(contractor, 10_000)
    lead = LeadFactory(category=plumbing, estimated_value_cents=200_000, status=Lead.Status.OPEN)
    from tests.leads.test_accept import make_offer

    offer = make_offer(lead=lead, contractor=contractor)
    Offer.objects.filter(pk=offer.pk).update(price_cents=2_000)
    purchase = services.accept_offer(offer, contractor=contractor)
    claim = credit_services.file_claim(
        purchase, contractor=contractor, reason="wrong_category", notes="Wiring, not pipes."
    )
    credit_services.approve_claim(
        claim, by=UserFactory(is_staff=True), corrected_category=electrical
    )
    claim.refresh_from_db()
    # Wiring at 200,000 / 45,000 of its 130,000 typical: $5,777.78 -> 1% $57.78, dearer.
    assert claim.status == CreditClaim.Status.DENIED
    assert claim.credited_cents == 0

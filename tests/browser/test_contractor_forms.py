"""The contractor's other forms, each submitted to the end in Chromium on a phone and on a
desktop: accept and decline an offer, request a credit and appeal its denial, reply to a
review, and save settings."""

import pytest
from playwright.sync_api import expect

from credits import services as credits
from credits.models import CreditClaim
from leads import services
from leads.models import Lead, Offer, Review
from marketplace.models import Contractor, ServiceArea
from tests.factories import PASSWORD, ContractorFactory, LeadFactory, UserFactory, fund

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")]


@pytest.fixture
def pro(metro_zips, plumbing):
    pro = fund(
        ContractorFactory(
            user=UserFactory(email="maria@rivera.example"),
            business_name="Rivera Plumbing",
            slug="rivera-plumbing",
            tier="elite",
        ),
        50_000,
    )
    ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    return pro


def log_in(page, url, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill("maria@rivera.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def offered_lead(plumbing, **kwargs):
    lead = LeadFactory(zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN, **kwargs)
    services.route(lead.pk)
    return lead


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pro_declines_one_offer_and_accepts_another(
    live_server, page, pro, plumbing, artifacts, width
):
    passed = offered_lead(plumbing, description="Garbage disposal hums but does not turn.")
    taken = offered_lead(plumbing, description="Shower valve drips all night long, please help.")
    log_in(page, live_server.url, width)
    page.goto(live_server.url + "/dashboard/offers/")
    card = page.locator(f"#offer-{Offer.objects.get(lead=passed).pk}")
    card.get_by_role("button", name="Decline").click()
    expect(page.get_by_text("Offer declined.")).to_be_visible()

    page.locator(f"#offer-{Offer.objects.get(lead=taken).pk}").get_by_text("Accept…").click()
    page.get_by_role("button", name="Accept and pay $4.50").click()
    expect(page.get_by_text("Lead bought for $4.50")).to_be_visible()
    page.screenshot(path=str(artifacts / f"offer-accepted-{width}.png"), full_page=True)
    assert Offer.objects.get(lead=passed).status == Offer.Status.DECLINED
    assert Offer.objects.get(lead=taken).status == Offer.Status.ACCEPTED


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pro_requests_a_credit_then_appeals_its_denial(
    live_server, page, pro, plumbing, artifacts, width
):
    lead = offered_lead(plumbing)
    purchase = services.accept_offer(Offer.objects.get(lead=lead), contractor=pro)
    log_in(page, live_server.url, width)
    page.goto(f"{live_server.url}/dashboard/leads/{purchase.pk}/")
    page.get_by_role("link", name="Request a credit").click()
    page.get_by_label("Why should this lead be credited?").select_option("non_working_phone")
    page.get_by_label("What happened").fill("The number rings as disconnected, three tries.")
    page.get_by_role("button", name="Request the credit").click()
    expect(page.get_by_text("Credit request received")).to_be_visible()

    claim = CreditClaim.objects.get()
    credits.deny_claim(claim, by=UserFactory(is_staff=True), reason="notes_insufficient")
    page.goto(live_server.url + "/dashboard/credits/")
    page.get_by_text("Appeal this decision (once)").click()
    page.get_by_label("What the decision missed").fill("I attached the carrier's message.")
    page.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_text("Appeal received.")).to_be_visible()
    page.screenshot(path=str(artifacts / f"claim-appealed-{width}.png"), full_page=True)
    claim.refresh_from_db()
    assert claim.status == CreditClaim.Status.PENDING and claim.appealed_at is not None


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pro_replies_to_a_review(live_server, page, pro, plumbing, artifacts, width):
    lead = offered_lead(plumbing)
    purchase = services.accept_offer(Offer.objects.get(lead=lead), contractor=pro)
    services.submit_review(services.invite_review(purchase), rating=5, text="Quick and tidy.")
    log_in(page, live_server.url, width)
    page.goto(f"{live_server.url}/dashboard/leads/{purchase.pk}/")
    page.get_by_label("Reply publicly (once)").fill("Thank you, it was a pleasure!")
    page.get_by_role("button", name="Publish reply").click()
    expect(page.get_by_text("Reply published on your profile.")).to_be_visible()
    assert Review.objects.get().reply == "Thank you, it was a pleasure!"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pro_pauses_offers_in_settings(live_server, page, pro, artifacts, width):
    log_in(page, live_server.url, width)
    page.goto(live_server.url + "/dashboard/settings/")
    page.get_by_label("Pause new offers (vacation, fully booked)").check()
    page.get_by_label("Leads per day, at most").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    page.screenshot(path=str(artifacts / f"settings-saved-{width}.png"), full_page=True)
    pro = Contractor.objects.get(pk=pro.pk)
    assert pro.is_paused and pro.daily_lead_cap == 3

"""A lead closes when the job is taken: the pro records the job won on the lead's page, or
the homeowner says from their private link that they hired someone. Both forms are
submitted to the end in Chromium, on a phone and on a desktop."""

import pytest
from playwright.sync_api import expect

from leads import services
from leads.models import Lead, Offer
from marketplace.models import ServiceArea
from tests.factories import PASSWORD, ContractorFactory, LeadFactory, UserFactory, fund

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")]


def routed_lead(metro_zips, plumbing, *emails):
    pros = []
    for email in emails:
        pro = fund(ContractorFactory(user=UserFactory(email=email), tier="elite"), 50_000)
        ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
        pros.append(pro)
    lead = LeadFactory(zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN)
    services.route(lead.pk)
    return lead, pros


@pytest.mark.parametrize("width", WIDTHS)
def test_a_pro_records_the_job_won_and_the_other_offers_are_withdrawn(
    live_server, page, metro_zips, plumbing, artifacts, width
):
    lead, (maria, other) = routed_lead(
        metro_zips, plumbing, "maria@rivera.example", "other@pro.example"
    )
    purchase = services.accept_offer(
        Offer.objects.get(lead=lead, contractor=maria), contractor=maria
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("maria@rivera.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{live_server.url}/dashboard/leads/{purchase.pk}/")

    page.get_by_label("Where this job stands").select_option("won")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator(".field-error")).to_contain_text("final job value")
    page.get_by_label("Final job value ($), if won").fill("1250")
    page.get_by_role("button", name="Save outcome").click()

    expect(page.get_by_text("Outcome saved.")).to_be_visible()
    expect(page.get_by_text("final job value $1,250.00")).to_be_visible()
    expect(page.get_by_role("button", name="Save outcome")).to_have_count(0)
    expect(page.get_by_role("link", name="Request a credit")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"lead-won-{width}.png"), full_page=True)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED
    assert Offer.objects.get(lead=lead, contractor=other).status == Offer.Status.WITHDRAWN


@pytest.mark.parametrize("width", WIDTHS)
def test_the_homeowner_says_they_hired_someone_from_the_status_page(
    live_server, page, metro_zips, plumbing, artifacts, width
):
    lead, _ = routed_lead(metro_zips, plumbing, "pro@one.example")
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/requests/{lead.status_token}/")
    page.get_by_text("I already hired someone").click()
    page.get_by_role("button", name="Yes, I hired someone: stop my request").click()

    expect(page.get_by_text("We have stopped showing your request to pros.")).to_be_visible()
    expect(page.get_by_text("You told us you hired someone")).to_have_count(2)
    page.screenshot(path=str(artifacts / f"homeowner-hired-{width}.png"), full_page=True)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.FILLED and lead.homeowner_hired_at is not None
    assert not Offer.objects.filter(lead=lead, status=Offer.Status.PENDING).exists()

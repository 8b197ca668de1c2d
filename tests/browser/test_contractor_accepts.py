"""A contractor watching the Offers page sees a new lead appear, buys it, and calls."""

import pytest
from playwright.sync_api import expect

from leads import services
from leads.models import Lead
from marketplace.models import ServiceArea, ZipCode
from tests.factories import PASSWORD, ContractorFactory, LeadFactory, UserFactory, fund

pytestmark = pytest.mark.django_db(transaction=True)


def test_contractor_sees_an_offer_appear_accepts_it_and_sees_the_contact(
    live_server, page, metro_zips, plumbing, artifacts, settings
):
    settings.DASHBOARD_POLL_SECONDS = 1
    downtown = ZipCode.objects.get(code="92101")
    pro = ContractorFactory(
        user=UserFactory(email="maria@rivera.example"),
        business_name="Rivera Plumbing",
        tier="elite",
        base_zip=downtown,
    )
    ServiceArea.objects.create(contractor=pro, zip_code=downtown)
    fund(pro, 50_000)

    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("maria@rivera.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Offers").click()
    expect(page.get_by_text("No offers yet")).to_be_visible()

    # A homeowner's request opens and routing offers it to the elite wave.
    lead = LeadFactory(
        status=Lead.Status.OPEN,
        zip_code=downtown,
        category=plumbing,
        description="Water heater leaking in the garage, about 12 years old.",
        estimated_value_cents=120_000,
        name="Dana Homeowner",
        phone="+16195550142",
    )
    services.route(lead.pk)

    # It appears without a reload, with its price and without the contact.
    expect(page.get_by_text("Water heater leaking in the garage")).to_be_visible()
    expect(page.locator(".offer .price")).to_contain_text("$12.00")
    expect(page.get_by_text("Dana Homeowner")).to_have_count(0)
    page.screenshot(path=str(artifacts / "offer-appeared-phone.png"), full_page=True)

    page.get_by_role("button", name="Accept…").click()
    expect(page.get_by_text("Balance after")).to_be_visible()
    expect(page.locator("table")).to_contain_text("$488.00")
    expect(page.locator("table")).to_contain_text("Medium: a typical job")  # the size chosen
    page.screenshot(path=str(artifacts / "offer-accept-phone.png"), full_page=True)
    page.get_by_role("button", name="Accept and pay $12.00").click()

    expect(page.get_by_role("heading", name="Dana Homeowner")).to_be_visible()
    expect(page.get_by_role("button", name="Call (619) 555-0142")).to_be_visible()
    page.screenshot(path=str(artifacts / "lead-bought-phone.png"), full_page=True)

    page.get_by_role("link", name="Billing").click()
    expect(page.locator("#balance")).to_have_text("$488.00")
    pro.account.refresh_from_db()
    assert pro.account.balance_cents == 48_800

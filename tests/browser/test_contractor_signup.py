"""A newcomer signs up, verifies the email, onboards and lands on the dashboard, which says
what is still missing to receive leads until nothing is."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing import services as billing
from marketplace.models import Contractor
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_contractor_signs_up_verifies_onboards_and_sees_the_dashboard(
    live_server, page, metro_zips, plumbing, artifacts, width
):
    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Join as a pro").first.click()

    page.get_by_label("Email").fill("maria@rivera-plumbing.example")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    # The verification email, read from the outbox like a person reads their inbox.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[0].body).group(0)
    page.goto(live_server.url + "/accounts/" + link.split("/accounts/", 1)[1])
    page.get_by_role("button", name="Confirm").click()

    # Straight into onboarding; the dashboard asks for it until it is done.
    expect(page.get_by_role("heading", name="Set up your business")).to_be_visible()
    page.get_by_label("Business name").fill("Rivera Plumbing")
    page.get_by_label("Business phone").fill("619-555-0300")
    page.get_by_label("Base zip code").fill("92101")
    expect(page.locator("#zip-place")).to_contain_text("San Diego, CA")
    page.get_by_label("Plumbing").check()
    page.get_by_label("Radius in miles").fill("101")
    page.get_by_role("button", name="Finish setup").click()

    # A radius out of range is shown by its field and what was typed stays.
    expect(page.locator(".field-error")).to_contain_text("less than or equal to 100")
    expect(page.get_by_label("Business name")).to_have_value("Rivera Plumbing")
    page.screenshot(path=str(artifacts / f"onboarding-error-{width}.png"), full_page=True)

    page.get_by_label("Radius in miles").fill("15")
    page.get_by_role("button", name="Finish setup").click()

    expect(page.get_by_role("heading", name="Rivera Plumbing")).to_be_visible()
    # Everyone starts on Base; tiers are bought on the billing page.
    expect(page.get_by_text("Base member")).to_be_visible()
    expect(page.get_by_role("navigation", name="Dashboard")).to_contain_text("Offers")
    # Not "you're all set": with no money no lead can reach them, and they are told so.
    expect(page.locator(".message-success")).to_contain_text("leads cannot reach you yet")
    missing = page.locator("article.readiness")
    expect(missing).to_contain_text("Before leads can reach you")
    expect(missing.get_by_role("link", name="Add funds")).to_be_visible()
    expect(missing).to_contain_text("a typical Plumbing lead costs $4.50")
    expect(page.get_by_text("You're ready")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"dashboard-not-ready-{width}.png"), full_page=True)

    contractor = Contractor.objects.get(user__email="maria@rivera-plumbing.example")
    assert contractor.is_onboarded
    assert contractor.phone == "+16195550300"
    assert contractor.service_areas.filter(zip_code_id="92101").exists()

    # Ops add funds (no Stripe here); the Overview then says they are ready.
    ops = UserFactory(email="ops@fairlead.example", is_staff=True)
    billing.adjust(
        billing.account_for(contractor), amount_cents=5_000, reason="First top-up by phone", by=ops
    )
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_text("You're ready")).to_be_visible()
    expect(page.locator("article.readiness")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"dashboard-ready-{width}.png"), full_page=True)

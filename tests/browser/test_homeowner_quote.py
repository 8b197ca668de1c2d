"""A homeowner in a hurry asks for a quote on a phone and follows the request."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from leads.models import Lead
from marketplace.models import ServiceArea
from tests.browser.quote_form import fill_quote_form
from tests.factories import ContractorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_homeowner_requests_a_quote_on_a_phone_and_sees_the_status(
    live_server, page, metro_zips, plumbing, artifacts, settings
):
    settings.INTAKE_MIN_FILL_SECONDS = 0  # a script types faster than any person
    ServiceArea.objects.create(contractor=ContractorFactory(), zip_code_id="92101")
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/?utm_source=flyer")
    page.get_by_role("button", name="Get quotes").click()

    fill_quote_form(page, consent=False)
    page.get_by_role("button", name="Send my request").click()

    # Forgot the consent box: told next to it, nothing lost.
    expect(page.locator(".field-error")).to_contain_text("Please agree")
    expect(page.get_by_label("Your name")).to_have_value("Dana Rivera")
    page.get_by_label("I agree that Fairlead may share").check()
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_role("heading", name="Thank you, Dana Rivera!")).to_be_visible()
    lead = Lead.objects.get()
    expect(page.locator(".reference")).to_have_text(lead.reference)
    page.screenshot(path=str(artifacts / "quote-sent-phone.png"), full_page=True)

    page.get_by_role("link", name="Follow my request").click()
    expect(page.get_by_role("heading", name=f"Your request {lead.reference}")).to_be_visible()
    expect(page.get_by_text("Status: Finding pros")).to_be_visible()
    page.screenshot(path=str(artifacts / "request-status-phone.png"), full_page=True)

    assert lead.phone == "+16195550142"
    assert lead.utm_source == "flyer"  # from the page the visit started on
    assert lead.status == Lead.Status.OPEN
    assert mail.outbox and mail.outbox[-1].to == ["dana@example.com"]


def test_a_homeowner_no_pro_covers_is_told_so_at_once_on_a_desktop(
    live_server, page, metro_zips, plumbing, artifacts, settings
):
    settings.INTAKE_MIN_FILL_SECONDS = 0
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/quote/")
    fill_quote_form(
        page,
        name="Sam Ortiz",
        phone="619 555 0188",
        email="sam@example.com",
        description="Outdoor spigot leaks when the hose is on.",
        timeframe="Within a few weeks",
    )
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_text("No pro on Fairlead covers plumbing in 92101 yet.")).to_be_visible()
    page.screenshot(path=str(artifacts / "quote-unserved-desktop.png"), full_page=True)
    page.get_by_role("link", name="Follow my request").click()
    expect(page.get_by_text("Status: No pro covers this yet")).to_be_visible()
    assert Lead.objects.get().unserved
    assert "No pro on Fairlead covers plumbing in 92101 yet" in mail.outbox[-1].body

"""Finance tries a service line with the call simulator in the admin: the call goes through
the real webhooks, the transcript shows what the caller and the pro heard, and the lead is
one click away."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from calls.models import Call, CallSettings, TrackingNumber
from marketplace.models import ServiceArea, ZipCode
from territories import services as territories
from tests.factories import ContractorFactory, ServiceCategoryFactory, UserFactory, fund

from .test_credit_claim import log_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_finance_simulates_a_call_and_follows_it_to_its_lead(
    live_server, page, artifacts, staff_groups, metro_zips, plumbing, settings, screen
):
    settings.TWILIO_AUTH_TOKEN = "simulator-test-token"  # DEBUG derives one on a laptop
    holder = ContractorFactory(business_name="Capitol Plumbing", categories=[plumbing])
    ServiceArea.objects.create(contractor=holder, zip_code_id="78701")
    fund(holder, 100_000)
    territories.subscribe(holder, zip_codes=[ZipCode.objects.get(code="78701")], category=plumbing)
    CallSettings.objects.create(
        contractor=holder, enabled=True, ring_number="+15125550001", verified_number="+15125550001"
    )
    line = TrackingNumber.objects.create(
        number="+15125550100", purpose="service_line", label="Austin ads", area_zip_id="78701"
    )
    line.categories.set([plumbing, ServiceCategoryFactory(name="Electrical", slug="electrical")])
    user = UserFactory(email="finance@fairlead.example", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))

    page.set_viewport_size(WIDTHS[screen])
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "finance@fairlead.example", admin=True)
    page.goto(f"{live_server.url}/admin/calls/call/")
    page.get_by_role("link", name="Simulate a call").click()
    page.get_by_label("Call this number").select_option(label="+15125550100 (Austin ads)")
    page.get_by_label("Service").fill("plumbing")
    page.get_by_label("Zip").fill("78701")
    page.get_by_label("Ready").select_option("1")
    page.get_by_label("The first pro rung").select_option("answer")
    page.get_by_label("Seconds talked").fill("75")
    page.screenshot(path=str(artifacts / f"call-simulator-form-{screen}.png"), full_page=True)
    page.get_by_role("button", name="Place the call").click()

    expect(page.locator("ul.messagelist li.success")).to_contain_text("Call simulated")
    transcript = page.locator("ol.transcript")
    expect(transcript).to_contain_text('says "plumbing"')
    expect(transcript).to_contain_text("Fairlead call: plumbing in 7 8 7 0 1")
    expect(transcript).to_contain_text("Capitol Plumbing is charged $15.00")
    page.screenshot(path=str(artifacts / f"call-simulator-transcript-{screen}.png"), full_page=True)
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[screen]["width"]

    call = Call.objects.get()
    page.get_by_role("link", name=f"Lead {call.lead.reference}").click()
    expect(page.locator("#content h2")).to_contain_text(call.lead.reference)
    assert (call.qualified, call.fee_cents) == (True, 1_500)

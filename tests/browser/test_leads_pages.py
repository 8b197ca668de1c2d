"""A contractor with more leads than a page walks Older and back Newer on the leads page
(keyset pages: marketplace/keyset.py), and logs a contact attempt on an old lead."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from leads.models import ScoreTotals
from tests.browser.test_credit_claim import log_in
from tests.factories import ContractorFactory, LeadFactory, PurchaseFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_older_and_newer_pages_and_an_attempt_on_an_old_lead(
    live_server, page, plumbing, artifacts
):
    pro = ContractorFactory(user=UserFactory(email="maria@rivera.example"))
    start = datetime(2026, 2, 2, 15, 0, tzinfo=UTC)
    for n in range(23):
        with time_machine.travel(start + timedelta(hours=n), tick=False):
            PurchaseFactory(contractor=pro, lead=LeadFactory(name=f"Homeowner {n:02d}"))
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "maria@rivera.example")
    page.goto(live_server.url + "/dashboard/leads/")
    expect(page.locator("main")).to_contain_text("Homeowner 22")
    expect(page.locator("main")).not_to_contain_text("Homeowner 02")
    page.get_by_role("link", name="Older →").click()
    expect(page.locator("main")).to_contain_text("Homeowner 00")
    expect(page.locator("main")).not_to_contain_text("Homeowner 22")
    page.screenshot(path=str(artifacts / "leads-older.png"), full_page=True)
    page.get_by_role("link", name="Homeowner 01").click()
    page.get_by_label("How").select_option("call")
    page.get_by_label("Result").select_option("no_answer")
    page.get_by_role("button", name="Log attempt").click()
    expect(page.locator("body")).to_contain_text("Attempt logged.")
    assert ScoreTotals.objects.get(contractor=pro).purchases == 23
    page.goto(live_server.url + "/dashboard/leads/")
    page.get_by_role("link", name="Older →").click()
    page.get_by_role("link", name="← Newer").click()
    expect(page.locator("main")).to_contain_text("Homeowner 22")


def test_a_leads_reference_is_never_broken_at_its_hyphen_on_a_phone(live_server, page, plumbing):
    pro = ContractorFactory(user=UserFactory(email="maria@rivera.example"))
    purchase = PurchaseFactory(contractor=pro, lead=LeadFactory(reference="FL-VLHHWF"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "maria@rivera.example")
    page.goto(f"{live_server.url}/dashboard/leads/{purchase.pk}/")
    reference = page.locator("main").get_by_text("FL-VLHHWF", exact=True)
    box = reference.bounding_box()
    line = reference.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert box and box["height"] < 1.5 * line  # one line

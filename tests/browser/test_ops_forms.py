"""Ops forms in the admin, submitted to the end in Chromium on a desktop and a phone: a
screener verifies a held lead, a credit reviewer files a claim for a contractor, and a
screener sends a request to other pros with the homeowner's word (an action)."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from credits.models import CreditClaim
from leads import services
from leads.models import Consent, Lead, LeadFlag, Offer
from marketplace.models import ServiceArea
from tests.factories import (
    CallFactory,
    CallLegFactory,
    ContractorFactory,
    LeadFactory,
    PurchaseFactory,
    TrackingNumberFactory,
    UserFactory,
    fund,
)

from .test_credit_claim import log_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


def staff_member(email: str, group: str):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize("width", WIDTHS)
def test_a_screener_verifies_a_held_lead(
    live_server, page, staff_groups, metro_zips, plumbing, artifacts, width
):
    lead = LeadFactory(zip_code_id="92101", category=plumbing, status=Lead.Status.SCREENING)
    LeadFlag.objects.create(lead=lead, code="short_description", detail="3 word(s)")
    staff_member("screener@fairlead.example", "screeners")
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "screener@fairlead.example", admin=True)
    page.goto(live_server.url + "/admin/leads/screeninglead/")
    page.get_by_role("link", name=lead.reference).click()
    page.get_by_label("Verify: open it for pros").check()
    page.get_by_label("We reached the homeowner while verifying").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(f"{lead.reference}: decision recorded.")).to_be_visible()
    page.screenshot(path=str(artifacts / f"screening-verified-{width}.png"), full_page=True)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPEN and lead.verification_reached_at is not None


@pytest.mark.parametrize("width", WIDTHS)
def test_an_account_manager_files_a_claim_for_a_contractor(
    live_server, page, staff_groups, contractor, artifacts, width
):
    fund(contractor, 10_000)
    purchase = PurchaseFactory(contractor=contractor)
    staff_member("manager@fairlead.example", "credit reviewers")
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "manager@fairlead.example", admin=True)
    page.goto(live_server.url + "/admin/credits/creditclaim/add/")
    page.get_by_label("Lead reference").fill(purchase.lead.reference)
    page.get_by_label("Contractor's login email").fill(contractor.user.email)
    page.get_by_label("Reason").select_option("non_working_phone")
    page.get_by_label("Notes").fill("Alice phoned: the number is disconnected.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("it waits for another reviewer")).to_be_visible()
    expect(page.get_by_text("Filed by manager@fairlead.example for the contractor")).to_be_visible()
    page.screenshot(path=str(artifacts / f"claim-filed-for-{width}.png"), full_page=True)
    claim = CreditClaim.objects.get()
    assert claim.status == "pending" and claim.filed_by.email == "manager@fairlead.example"


def test_a_screener_sends_a_request_to_other_pros_with_the_homeowners_word(
    live_server, page, staff_groups, metro_zips, plumbing, artifacts
):
    chosen = ContractorFactory(business_name="Harbor Plumbing")  # no balance: cannot take it
    other = fund(ContractorFactory(business_name="Bay Plumbing", tier="elite"))
    for pro in (chosen, other):
        ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    lead = LeadFactory(
        zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN, profile_contractor=chosen
    )
    Consent.objects.create(lead=lead, text="Harbor only.", given_at=lead.created_at)
    services.route(lead.pk)
    staff_member("screener@fairlead.example", "screeners")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "screener@fairlead.example", admin=True)
    page.goto(live_server.url + "/admin/leads/lead/")
    page.locator(f'input[name="_selected_action"][value="{lead.pk}"]').check()
    page.locator('select[name="action"]').select_option("reroute")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 new offer(s) made.")).to_be_visible()
    page.screenshot(path=str(artifacts / "admin-reroute-profile-lead.png"), full_page=True)
    assert Offer.objects.filter(lead=lead, contractor=other, status="pending").exists()
    assert lead.consents.filter(method=Consent.Method.OPS_RECORDED).exists()


@pytest.mark.parametrize("width", WIDTHS)
def test_finance_reads_the_report_for_a_period_with_its_unserved_demand(
    live_server, page, staff_groups, metro_zips, plumbing, artifacts, width
):
    from django.utils import timezone

    LeadFactory(zip_code_id="92101", category=plumbing, unserved=True)
    line = TrackingNumberFactory(
        number="+16195550100", label="San Diego ads", area_zip=metro_zips.get(code="92101")
    )
    call = CallFactory(
        tracking_number=line, connected=True, bridged_seconds=75, qualified=True, fee_cents=450
    )
    CallLegFactory(call=call, taken=True)
    CallFactory(tracking_number=line)
    staff_member("finance@fairlead.example", "finance")
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "finance@fairlead.example", admin=True)
    page.goto(live_server.url + "/admin/reports/")
    today = timezone.localdate()
    page.get_by_label("From").fill(f"{today:%Y-%m}-01")
    page.get_by_label("Through").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("By").select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Unserved demand: where to recruit")).to_be_visible()
    row = page.locator("tr", has_text="92101")
    expect(row.first).to_contain_text("Plumbing")
    # Calls: one taken for 75 s ($4.50), one hung up at the menu, on the San Diego line.
    expect(page.get_by_role("heading", name="Calls by line")).to_be_visible()
    line_row = page.get_by_role("row", name="San Diego ads · +16195550100")
    for cell in ["2", "1", "100%", "1:15", "$4.50"]:
        expect(line_row).to_contain_text(cell)
    expect(page.get_by_role("row", name="Not chosen (hung up first)")).to_contain_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"ops-report-{width}.png"), full_page=True)

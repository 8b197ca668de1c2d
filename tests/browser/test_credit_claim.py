"""A contractor files non-contact too early and sees why, logs the schedule, files again;
a credit reviewer approves it in the admin; the balance goes up."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from leads import services as lead_services
from leads.models import ContactAttempt, Purchase
from tests.factories import PASSWORD, ContractorFactory, UserFactory, fund
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, url, email, *, admin=False):
    page.goto(url + ("/admin/login/" if admin else "/accounts/login/"))
    if admin:
        page.fill("#id_username", email)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
    else:
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()


def test_non_contact_claim_too_early_then_after_the_schedule_then_approved(
    live_server, page, plumbing, artifacts, staff_groups
):
    pro = ContractorFactory(
        user=UserFactory(email="maria@rivera.example"),
        business_name="Rivera Plumbing",
        timezone="America/Los_Angeles",
    )
    fund(pro, 10_000)
    purchase = lead_services.accept_offer(make_offer(contractor=pro), contractor=pro)
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "maria@rivera.example")
    page.goto(f"{live_server.url}/dashboard/leads/{purchase.pk}/")
    page.get_by_role("link", name="Request a credit").click()
    page.get_by_label("Why should this lead be credited?").select_option("non_contact")
    page.get_by_label("What happened").fill("Called and emailed, never an answer.")
    page.get_by_role("button", name="Request the credit").click()
    expect(page.locator(".form-error")).to_contain_text("Still missing")
    expect(page.locator(".form-error")).to_contain_text("a call on day 3")
    page.screenshot(path=str(artifacts / "credit-too-early-phone.png"), full_page=True)

    # The schedule happened over the next three days (logged with their real times). The
    # lead was delivered at 10 a.m. in the pro's zone three days ago: both day-one calls
    # fall on that local day whatever the hour the test runs (delivered at 9 p.m., the
    # second call three hours later would be on day two).
    zone = ZoneInfo("America/Los_Angeles")
    delivered = datetime.combine(
        timezone.now().astimezone(zone).date() - timedelta(days=3), time(10), tzinfo=zone
    )
    Purchase.objects.filter(pk=purchase.pk).update(created_at=delivered)
    for offset, channel in [
        (timedelta(minutes=5), "call"),
        (timedelta(hours=3), "call"),
        (timedelta(days=1), "call"),
        (timedelta(days=2), "call"),
        (timedelta(days=2, hours=1), "email"),
    ]:
        ContactAttempt.objects.create(
            purchase=purchase,
            channel=channel,
            result="no_answer" if channel == "call" else "sent",
            attempted_at=delivered + offset,
        )
    # Each was logged as it happened (entries typed in days later would not count).
    ContactAttempt.objects.filter(purchase=purchase).update(created_at=F("attempted_at"))
    page.goto(f"{live_server.url}/dashboard/leads/{purchase.pk}/credit/")
    page.get_by_label("Why should this lead be credited?").select_option("non_contact")
    page.get_by_label("What happened").fill("Five attempts over three days, no answer.")
    page.get_by_role("button", name="Request the credit").click()
    expect(page.get_by_text("Pending review")).to_be_visible()

    reviewer = UserFactory(email="reviewer@fairlead.example", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="credit reviewers"))
    admin = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(admin, live_server.url, "reviewer@fairlead.example", admin=True)
    admin.goto(live_server.url + "/admin/credits/creditclaim/?status__exact=pending")
    admin.locator("#result_list tbody tr th a").first.click()
    expect(admin.get_by_text("Five attempts over three days")).to_be_visible()
    admin.get_by_label("Approve: credit the full price").check()
    admin.screenshot(path=str(artifacts / "credit-review-admin.png"), full_page=True)
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.get_by_text("Decision recorded")).to_be_visible()

    page.goto(live_server.url + "/dashboard/billing/")
    expect(page.locator("#balance")).to_have_text("$100.00")  # $95.50 + $4.50 back
    page.screenshot(path=str(artifacts / "credit-approved-balance-phone.png"), full_page=True)

"""A San Diego pro logs a call at the time their own clock showed; it is accepted and
shown in Pacific time (PST or PDT, whatever the season). The homeowner's status page
shows the purchase in their zip's local time too. Never UTC."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads import services
from leads.models import ContactAttempt, Lead, Purchase
from tests.browser.test_credit_claim import log_in
from tests.factories import ContractorFactory, LeadFactory, UserFactory, ZipCodeFactory, fund
from tests.leads.test_accept import make_offer
from tests.pages import says_utc

pytestmark = pytest.mark.django_db(transaction=True)

SAN_DIEGO = ZoneInfo("America/Los_Angeles")


def shown(moment) -> str:
    """As the pages print it: "Mar 2, 2:30 PM PST"."""
    local = moment.astimezone(SAN_DIEGO)
    return f"{local:%b} {local.day}, {local.hour % 12 or 12}:{local:%M %p %Z}"


def local_minute(moment) -> str:
    return f"{moment.astimezone(SAN_DIEGO):%Y-%m-%dT%H:%M}"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_a_san_diego_pro_logs_a_call_at_local_time_and_the_homeowner_sees_local_times(
    live_server, page, plumbing, artifacts, width, height
):
    downtown = ZipCodeFactory(code="92101", city="San Diego", timezone="America/Los_Angeles")
    pro = ContractorFactory(
        user=UserFactory(email=f"maria{width}@rivera.example"),
        business_name="Rivera Plumbing",
        base_zip=downtown,
        timezone="America/Los_Angeles",
    )
    lead = LeadFactory(zip_code=downtown, category=plumbing, name="Dana Homeowner")
    purchase = services.accept_offer(make_offer(lead, fund(pro)), contractor=pro)
    bought = timezone.now() - timedelta(hours=1)
    Purchase.objects.filter(pk=purchase.pk).update(created_at=bought)
    Lead.objects.filter(pk=lead.pk).update(created_at=bought - timedelta(minutes=20))
    # The call happened 10 minutes ago, by the clock on the pro's wall.
    called = (
        (timezone.now() - timedelta(minutes=10))
        .astimezone(SAN_DIEGO)
        .replace(second=0, microsecond=0)
    )

    page.set_viewport_size({"width": width, "height": height})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, f"maria{width}@rivera.example")
    before = local_minute(timezone.now())
    page.goto(f"{live_server.url}/dashboard/leads/{purchase.pk}/")
    after = local_minute(timezone.now())
    when = page.get_by_label("When (your time")
    expect(when).to_have_attribute("type", "datetime-local")
    assert before <= when.input_value() <= after  # filled in with the pro's local now
    page.get_by_label("How").select_option("call")
    page.get_by_label("Result").select_option("no_answer")
    when.fill(local_minute(called))
    page.get_by_role("button", name="Log attempt").click()

    expect(page.get_by_text("Attempt logged.")).to_be_visible()
    expect(page.get_by_text(f"{shown(called)} · Call · No answer")).to_be_visible()
    assert not says_utc(page.content())
    page.screenshot(path=str(artifacts / f"local-time-attempt-{width}.png"), full_page=True)
    attempt = ContactAttempt.objects.get(purchase=purchase)
    assert attempt.attempted_at == called
    assert not attempt.logged_late

    # The homeowner's private status page, in San Diego time too.
    page.goto(f"{live_server.url}/requests/{lead.status_token}/")
    expect(page.get_by_text(f"accepted {shown(bought)}")).to_be_visible()
    assert not says_utc(page.content())
    page.screenshot(path=str(artifacts / f"local-time-status-{width}.png"), full_page=True)

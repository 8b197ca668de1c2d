"""A credit reviewer's decision the policy refuses shows only its reason, in red, and the
claim waits on its form for the decision the reason suggests."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from billing.services import account_for
from credits.models import CreditClaim
from leads.models import Lead
from tests.factories import PurchaseFactory, UserFactory, fund

from .test_credit_claim import log_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def staff_member(email: str, group: str):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_refused_credit_decision_shows_only_its_reason(
    live_server, page, artifacts, staff_groups, contractor, screen
):
    fund(contractor, 10_000)
    purchase = PurchaseFactory(contractor=contractor)
    # Screening reached the homeowner, so the policy never credits non-contact on this lead.
    Lead.objects.filter(pk=purchase.lead_id).update(verification_reached_at=timezone.now())
    claim = CreditClaim.objects.create(
        purchase=purchase,
        reason="non_contact",
        notes="Five calls over three days, never an answer.",
        filed_at=timezone.now(),
        due_by=timezone.now() + timedelta(days=2),
    )
    balance = account_for(contractor).balance_cents
    staff_member("reviewer@fairlead.example", "credit reviewers")

    page.set_viewport_size(WIDTHS[screen])
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "reviewer@fairlead.example", admin=True)
    page.goto(f"{live_server.url}/admin/credits/creditclaim/{claim.pk}/change/")
    page.get_by_label("Approve: credit the full price").check()
    page.get_by_role("button", name="Save", exact=True).click()

    messages = page.locator("ul.messagelist li")
    expect(messages).to_have_count(1)
    expect(messages.first).to_have_class("error")
    expect(messages.first).to_contain_text("Our verification reached the homeowner")
    expect(page.get_by_text("Decision recorded")).to_have_count(0)
    expect(page).to_have_url(f"{live_server.url}/admin/credits/creditclaim/{claim.pk}/change/")
    page.screenshot(path=str(artifacts / f"credit-decision-refused-{screen}.png"), full_page=True)
    claim.refresh_from_db()
    assert (claim.status, claim.credited_cents) == ("pending", 0)
    assert account_for(contractor).balance_cents == balance

    # Still on the claim's decision form: deny it, as the message says.
    page.get_by_role("radio", name="Deny").check()
    page.get_by_label("Deny reason").select_option("verification_reached")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist li")).to_have_count(1)
    expect(page.locator("ul.messagelist li.success")).to_have_text(
        "Decision recorded; the pro is emailed."
    )
    claim.refresh_from_db()
    assert claim.status == "denied"
    assert account_for(contractor).balance_cents == balance

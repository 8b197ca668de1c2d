"""Finance credits Stripe money the ledger could not place, and closes another item, from the
admin, on a phone (390 px) and at desktop width: the pages fit the screen, show the money as
dollars, name the other item of the same payment, and the forms post to the end."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import StripeEvent, TopUp, UnmatchedPayment
from billing.services import account_for
from tests.factories import ContractorFactory, UserFactory

from .test_balance_adjustment import WIDTHS, staff_member
from .test_credit_claim import log_in

pytestmark = pytest.mark.django_db(transaction=True)

INTENT = "pi_3QhYx2LkdIwHu7ix0Zq4AbCd"
SESSION = "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdefGHIJ"


def item(event_id, event_type, *, reason, amount, currency="usd", top_up=None, session=""):
    event = StripeEvent.objects.create(
        event_id=event_id,
        type=event_type,
        payload={"data": {"object": {}}},
        payment_intent_id=INTENT if currency == "usd" else "",
        processed_at=timezone.now(),
    )
    return UnmatchedPayment.objects.create(
        event=event,
        reason=reason,
        detail=f"paid $75.00, the top-up was for $50.00 (Stripe {event_id})",
        amount_cents=amount,
        currency=currency,
        session_id=session,
        payment_intent_id=event.payment_intent_id,
        top_up=top_up,
        suggested_account=top_up.account if top_up else None,
    )


def select_action(page, url, pk, action_label):
    page.goto(f"{url}/admin/billing/unmatchedpayment/")
    page.locator(f"input[name=_selected_action][value='{pk}']").check()
    page.locator("select[name=action]").select_option(label=action_label)
    page.get_by_role("button", name="Go").first.click()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_finance_credits_a_payment_paid_for_another_amount_and_closes_a_stray_one(
    live_server, page, artifacts, staff_groups, screen
):
    contractor = ContractorFactory(
        user=UserFactory(email="maria@rivera.example"), business_name="Rivera Plumbing"
    )
    top_up = TopUp.objects.create(
        account=account_for(contractor), amount_cents=5_000, checkout_session_id=SESSION
    )
    by_session = item(
        "evt_1QhYx2LkdIwHu7ixSessionDone",
        "checkout.session.completed",
        reason="amount",
        amount=7_500,
        top_up=top_up,
        session=SESSION,
    )
    by_intent = item(
        "evt_1QhYx2LkdIwHu7ixIntentOkay",
        "payment_intent.succeeded",
        reason="no_payment",
        amount=7_500,
    )
    stray = item(
        "evt_1QhYx2LkdIwHu7ixEuroMoney0",
        "charge.refunded",
        reason="currency",
        amount=1_250,
        currency="eur",
    )
    staff_member("finance@fairlead.example", "finance")
    width = WIDTHS[screen]["width"]

    page.set_viewport_size(WIDTHS[screen])
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "finance@fairlead.example", admin=True)
    select_action(
        page, live_server.url, by_session.pk, "Credit to a contractor (through the ledger)"
    )
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("Credit Stripe money to a contractor")
    expect(page.locator(".resolve-items")).to_contain_text("$75.00")
    expect(page.locator(".resolve-items")).not_to_contain_text("7500")
    expect(page.get_by_role("link", name=f"item {by_intent.pk}")).to_be_visible()
    page.screenshot(path=str(artifacts / f"unmatched-credit-{screen}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.get_by_label("Contractor's email")).to_have_value("maria@rivera.example")
    page.get_by_label("Note").fill("Stripe shows $75 paid by Rivera Plumbing.")
    page.get_by_role("button", name="Credit it").click()
    expect(page.locator("ul.messagelist li.success")).to_contain_text(
        "$75.00 credited to Rivera Plumbing"
    )

    select_action(page, live_server.url, stray.pk, "Close: not ours")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator(".resolve-items")).to_contain_text("12.50 EUR")
    page.screenshot(path=str(artifacts / f"unmatched-close-{screen}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_label("Note").fill("A euro refund of a shop we do not run.")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("ul.messagelist li.success")).to_contain_text("1 item(s) closed.")

    account = account_for(contractor)
    account.refresh_from_db()
    assert account.balance_cents == 7_500
    statuses = dict(UnmatchedPayment.objects.values_list("pk", "status"))
    assert statuses == {by_session.pk: "credited", by_intent.pk: "matched", stray.pk: "not_ours"}

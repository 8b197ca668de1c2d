"""A card refund takes a contractor's balance below zero: the Billing page says what is owed
and that leads are paused; the contractor tops up by card (Stripe's page stands in, its
webhook is signed for real) and buying starts again."""

from urllib.parse import parse_qs

import pytest
import stripe
from playwright.sync_api import expect

from billing import services
from billing.models import TopUp
from tests.billing.conftest import (
    WEBHOOK_SECRET,
    FakeStripeHTTP,
    charge_refunded,
    checkout_completed,
    stripe_signature,
)
from tests.factories import PASSWORD, ContractorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stripe_on(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_fairlead"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    fake = FakeStripeHTTP()
    monkeypatch.setattr(stripe, "default_http_client", fake)
    return fake


def webhook(payload: bytes) -> None:
    services.handle_stripe_webhook(payload, stripe_signature(payload))


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_a_refund_below_zero_is_shown_and_a_card_top_up_clears_it(
    live_server, page, plumbing, artifacts, stripe_on, width, height
):
    pro = ContractorFactory(
        user=UserFactory(email="maria@rivera.example"), business_name="Rivera Plumbing"
    )
    account = services.account_for(pro)
    TopUp.objects.create(account=account, amount_cents=5_000, checkout_session_id="cs_first")
    webhook(checkout_completed("cs_first", 5_000, event_id="evt_paid", payment_intent="pi_first"))
    services.post_entry(account, kind="lead_purchase", amount_cents=-3_200, memo="Lead FL-T00001")
    webhook(charge_refunded("pi_first", amount=5_000, amount_refunded=5_000, event_id="evt_ref"))
    account.refresh_from_db()
    assert account.balance_cents == -3_200

    page.set_viewport_size({"width": width, "height": height})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("maria@rivera.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Billing").first.click()
    banner = page.locator("#balance-banner")
    expect(banner).to_contain_text("You owe $32.00")
    expect(banner).to_contain_text("paused")
    page.screenshot(path=str(artifacts / f"balance-below-zero-{width}.png"), full_page=True)

    # Stripe's Checkout page is outside the test: the browser is answered for it.
    page.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Stripe</h1>"),
    )
    page.get_by_role("button", name="Top up $32.00 or more").click()
    page.get_by_label("Amount in dollars").fill("50")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.get_by_role("heading", name="Stripe")).to_be_visible()

    # The card is paid: Stripe sends the signed webhook, then brings the contractor back.
    top_up = TopUp.objects.get(status="pending")
    webhook(checkout_completed(top_up.checkout_session_id, 5_000, event_id="evt_again"))
    _, _, body = stripe_on.calls[-1]
    success_url = parse_qs(body)["success_url"][0]
    page.goto(success_url.replace("{CHECKOUT_SESSION_ID}", top_up.checkout_session_id))
    expect(page.locator("#balance")).to_have_text("$18.00")
    expect(page.locator("#balance-banner")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"balance-topped-up-{width}.png"), full_page=True)

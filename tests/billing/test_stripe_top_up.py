from unittest import mock

import pytest
from django.urls import reverse

from billing import services
from billing.models import Entry, StripeEvent, TopUp

from .conftest import checkout_completed, stripe_signature

pytestmark = pytest.mark.django_db


def deliver(client, payload: bytes, signature: str | None = None):
    return client.post(
        reverse("billing:stripe-webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature if signature is not None else stripe_signature(payload),
    )


def test_top_up_opens_a_checkout_session_and_redirects_to_stripe(
    contractor_client, contractor, stripe_on
):
    response = contractor_client.post(reverse("billing:top-up"), {"amount_dollars": "100"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/")
    top_up = TopUp.objects.get()
    assert (top_up.amount_cents, top_up.status) == (10_000, "pending")
    method, url, body = stripe_on.calls[0]
    assert (method, url) == ("post", "https://api.stripe.com/v1/checkout/sessions")
    assert "[unit_amount]=10000" in body
    contractor.account.refresh_from_db()
    assert contractor.account.balance_cents == 0  # nothing until Stripe confirms


def test_the_verified_webhook_credits_the_balance_once_however_often_delivered(
    client, contractor_client, contractor, stripe_on
):
    contractor_client.post(reverse("billing:top-up"), {"amount_dollars": "100"})
    session_id = TopUp.objects.get().checkout_session_id
    payload = checkout_completed(session_id, 10_000, event_id="evt_paid_1")
    for _ in range(3):
        assert deliver(client, payload).status_code == 200
    contractor.account.refresh_from_db()
    assert contractor.account.balance_cents == 10_000
    assert Entry.objects.filter(kind="top_up").count() == 1
    assert StripeEvent.objects.get().result.startswith("credited entry")
    assert TopUp.objects.get().status == "paid"
    # A different event about the same session (Stripe can send both) still credits once.
    deliver(client, checkout_completed(session_id, 10_000, event_id="evt_paid_2"))
    contractor.account.refresh_from_db()
    assert contractor.account.balance_cents == 10_000


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=1,v1=deadbeef",
        "garbage",
        "bad-secret",
        "old",
    ],
)
def test_a_bad_signature_is_a_400_and_writes_nothing(client, contractor, stripe_on, signature):
    top_up = TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_x"
    )
    payload = checkout_completed(top_up.checkout_session_id, 5_000)
    if signature == "bad-secret":
        signature = stripe_signature(payload, secret="whsec_someone_else")
    elif signature == "old":
        signature = stripe_signature(payload, timestamp=1_000_000_000)  # 2001: replayed
    response = deliver(client, payload, signature)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert not Entry.objects.exists()


def test_unpaid_or_unknown_sessions_credit_nothing(client, contractor, stripe_on):
    TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_y"
    )
    deliver(client, checkout_completed("cs_y", 5_000, event_id="evt_u", paid=False))
    deliver(client, checkout_completed("cs_nobody", 5_000, event_id="evt_n"))
    assert not Entry.objects.exists()
    assert set(StripeEvent.objects.values_list("result", flat=True)) == {
        "not paid (unpaid)",
        "unmatched (no top-up matches it): kept for finance, nothing credited",
    }


def test_without_stripe_keys_top_ups_are_off_and_the_webhook_refuses(
    client, contractor_client, settings
):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    page = contractor_client.get(reverse("billing:home")).content.decode()
    assert "Online top-ups are not available" in page
    response = contractor_client.post(reverse("billing:top-up"), {"amount_dollars": "100"})
    assert "Online top-ups are off" in response.content.decode()
    assert deliver(client, checkout_completed("cs", 100)).status_code == 400


def test_in_debug_a_simulated_payment_credits_the_balance(contractor_client, contractor, settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    page = contractor_client.get(reverse("billing:home")).content.decode()
    assert "Simulate a payment" in page
    response = contractor_client.post(
        reverse("billing:top-up"), {"amount_dollars": "50", "simulate": "1"}
    )
    assert response.status_code == 302
    contractor.account.refresh_from_db()
    assert contractor.account.balance_cents == 5_000


def test_simulation_is_refused_outside_debug(contractor_client, contractor, settings):
    settings.DEBUG = False
    with pytest.raises(services.PaymentsOff):
        services.simulate_top_up(contractor, amount_cents=5_000)


@pytest.mark.parametrize("amount", ["5", "0", "-20", "20000", "abc", ""])
def test_top_up_amount_out_of_range_is_explained(contractor_client, stripe_on, amount):
    response = contractor_client.post(reverse("billing:top-up"), {"amount_dollars": amount})
    assert response.status_code == 200
    assert response.context["form"].errors["amount_dollars"]
    assert not TopUp.objects.exists()
    assert stripe_on.calls == []


def test_stripe_failures_are_explained_not_500(contractor_client, settings):
    import stripe

    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    with mock.patch.object(
        stripe.checkout.Session, "create", side_effect=stripe.APIConnectionError("down")
    ):
        response = contractor_client.post(reverse("billing:top-up"), {"amount_dollars": "100"})
    assert response.status_code == 200
    assert "not available right now" in response.content.decode()

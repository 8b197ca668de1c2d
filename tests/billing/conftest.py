import hashlib
import hmac
import json
import time

import pytest
import stripe

WEBHOOK_SECRET = "whsec_test_fairlead"


def stripe_signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp=None) -> str:
    """The Stripe-Signature header, built the way Stripe builds it."""
    timestamp = int(timestamp or time.time())
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_completed(session_id: str, amount_cents: int, *, event_id="evt_1", paid=True) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "checkout.session.completed",
            "api_version": "2024-06-20",
            "data": {
                "object": {
                    "id": session_id,
                    "object": "checkout.session",
                    "amount_total": amount_cents,
                    "currency": "usd",
                    "payment_status": "paid" if paid else "unpaid",
                    "status": "complete",
                }
            },
        }
    ).encode()


class FakeStripeHTTP(stripe.HTTPClient):
    """Stands in for the network: records Stripe API calls, answers like Stripe."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.calls = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.calls.append((method, url, post_data))
        body = {
            "id": f"cs_test_{len(self.calls):04d}",
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/cs_test_{len(self.calls):04d}",
            "payment_status": "unpaid",
        }
        return json.dumps(body), 200, {}

    def close(self):
        pass


@pytest.fixture
def stripe_on(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_fairlead"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    fake = FakeStripeHTTP()
    monkeypatch.setattr(stripe, "default_http_client", fake)
    return fake

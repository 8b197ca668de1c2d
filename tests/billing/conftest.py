import hashlib
import hmac
import json
import time

import pytest
import stripe
from django.contrib.auth.models import Group

from tests.factories import UserFactory

WEBHOOK_SECRET = "whsec_test_fairlead"


def stripe_signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp=None) -> str:
    """The Stripe-Signature header, built the way Stripe builds it."""
    timestamp = int(timestamp or time.time())
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(event_id: str, event_type: str, obj: dict) -> bytes:
    """A webhook body as Stripe sends it: the event around the object it is about."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2024-06-20",
            "data": {"object": obj},
        }
    ).encode()


def checkout_completed(
    session_id: str, amount_cents: int, *, event_id="evt_1", paid=True, payment_intent=None
) -> bytes:
    return stripe_event(
        event_id,
        "checkout.session.completed",
        {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": amount_cents,
            "currency": "usd",
            "payment_intent": payment_intent,
            "payment_status": "paid" if paid else "unpaid",
            "status": "complete",
        },
    )


def charge_refunded(
    payment_intent: str, *, amount: int, amount_refunded: int, event_id: str, charge="ch_1"
) -> bytes:
    """charge.refunded: the charge, whose `amount_refunded` counts every refund so far."""
    return stripe_event(
        event_id,
        "charge.refunded",
        {
            "id": charge,
            "object": "charge",
            "amount": amount,
            "amount_refunded": amount_refunded,
            "currency": "usd",
            "payment_intent": payment_intent,
            "refunded": amount_refunded >= amount,
            "status": "succeeded",
        },
    )


def dispute_event(
    what: str,
    payment_intent: str,
    *,
    amount: int,
    status: str,
    event_id: str,
    dispute="dp_1",
    charge="ch_1",
) -> bytes:
    """charge.dispute.created or charge.dispute.closed: the dispute, with its status."""
    return stripe_event(
        event_id,
        f"charge.dispute.{what}",
        {
            "id": dispute,
            "object": "dispute",
            "amount": amount,
            "charge": charge,
            "currency": "usd",
            "payment_intent": payment_intent,
            "reason": "fraudulent",
            "status": status,
        },
    )


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


@pytest.fixture
def finance(db):
    """A staff member of the finance group, who resolves unmatched Stripe money."""
    user = UserFactory(email="fin@fairlead.example", is_staff=True)
    # get_or_create: a transactional test before this one may have flushed the migrated groups.
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user

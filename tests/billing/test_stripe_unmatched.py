"""Stripe money the ledger cannot place (a session with no top-up, another currency, an
amount its top-up did not ask, a refund of a payment that never completed with us) is never
credited by the webhook: it is kept for finance, who is emailed once, and resolved in the
admin (issue 13, item 6). Signatures are built by the stripe library itself."""

import json
import threading
from datetime import timedelta

import pytest
import stripe
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import Entry, StripeEvent, TopUp, UnmatchedPayment
from marketplace.models import Notification
from tests.factories import ContractorFactory

from .conftest import WEBHOOK_SECRET, charge_refunded, checkout_completed, stripe_event

pytestmark = pytest.mark.django_db

PI = "pi_unmatched"


def signed(payload: bytes) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), WEBHOOK_SECRET)


def deliver(client, payload: bytes):
    return client.post(
        reverse("billing:stripe-webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed(payload),
    )


def session(session_id, amount, *, event_id, currency="usd", account_id=None, intent=PI):
    body = json.loads(
        checkout_completed(session_id, amount, event_id=event_id, payment_intent=intent)
    )
    body["data"]["object"]["currency"] = currency
    if account_id is not None:
        body["data"]["object"]["metadata"] = {"account_id": str(account_id)}
    return json.dumps(body).encode()


def emails():
    return Notification.objects.filter(template="stripe_unmatched")


def balance(contractor) -> int:
    account = services.account_for(contractor)
    account.refresh_from_db()
    return account.balance_cents


def test_a_session_without_top_up_is_kept_answered_200_and_told_once(
    client, contractor, finance, stripe_on
):
    account = services.account_for(contractor)
    payload = session("cs_ghost", 5_000, event_id="evt_ghost", account_id=account.pk)
    for _ in range(5):
        assert deliver(client, payload).status_code == 200
    item = UnmatchedPayment.objects.get()
    assert (item.reason, item.status, item.amount_cents, item.currency) == (
        "no_top_up",
        "open",
        5_000,
        "usd",
    )
    assert item.suggested_account == account
    assert not Entry.objects.exists()
    assert emails().count() == 1
    assert emails().get().to == "fin@fairlead.example"
    assert "evt_ghost" in emails().get().body


@pytest.mark.parametrize("currency", ["eur", "USD_", "gbp"])
def test_a_payment_in_another_currency_is_never_credited(
    client, contractor, finance, stripe_on, currency
):
    TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_eur"
    )
    assert (
        deliver(client, session("cs_eur", 5_000, event_id="evt_eur", currency=currency)).status_code
        == 200
    )
    item = UnmatchedPayment.objects.get()
    assert item.reason == "currency"
    assert TopUp.objects.get().status == "pending"
    assert balance(contractor) == 0
    with pytest.raises(services.NotCreditable):
        services.credit_unmatched(item, account=contractor.account, note="theirs", by=finance)
    assert balance(contractor) == 0


def test_a_refund_in_another_currency_takes_nothing_back(client, contractor, finance, stripe_on):
    TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_r"
    )
    deliver(client, session("cs_r", 5_000, event_id="evt_paid"))
    body = json.loads(charge_refunded(PI, amount=5_000, amount_refunded=5_000, event_id="evt_rf"))
    body["data"]["object"]["currency"] = "eur"
    deliver(client, json.dumps(body).encode())
    assert balance(contractor) == 5_000
    assert UnmatchedPayment.objects.get().reason == "currency"


def test_an_amount_its_top_up_did_not_ask_is_kept_then_credited_to_that_top_up(
    client, contractor, finance, stripe_on
):
    top_up = TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_a"
    )
    deliver(client, session("cs_a", 7_500, event_id="evt_a"))
    item = UnmatchedPayment.objects.get()
    assert (item.reason, item.top_up) == ("amount", top_up)
    assert balance(contractor) == 0
    other = ContractorFactory()
    with pytest.raises(services.NotCreditable):
        services.credit_unmatched(item, account=services.account_for(other), note="x", by=finance)
    entry = services.credit_unmatched(
        item, account=contractor.account, note="Stripe shows $75 paid", by=finance
    )
    assert entry.amount_cents == 7_500
    top_up.refresh_from_db()
    assert (top_up.status, top_up.payment_intent_id) == ("paid", PI)
    # A refund of it now finds its top-up.
    deliver(client, charge_refunded(PI, amount=7_500, amount_refunded=7_500, event_id="evt_r"))
    assert balance(contractor) == 0


def test_finance_credits_once_and_cannot_close_it_after(contractor, finance, stripe_on):
    services.account_for(contractor)
    services.handle_stripe_webhook(p := session("cs_x", 5_000, event_id="evt_x"), signed(p))
    item = UnmatchedPayment.objects.get()
    with pytest.raises(services.NoteRequired):
        services.credit_unmatched(item, account=contractor.account, note="  ", by=finance)
    services.credit_unmatched(item, account=services.account_for(contractor), note="ok", by=finance)
    with pytest.raises(services.AlreadyResolved):
        services.credit_unmatched(item, account=contractor.account, note="again", by=finance)
    with pytest.raises(services.AlreadyResolved):
        services.close_unmatched(item, status="not_ours", note="x", by=finance)
    assert balance(contractor) == 5_000
    item.refresh_from_db()
    assert (item.status, item.resolved_by, item.note) == ("credited", finance, "ok")
    assert item.history.count() == 2  # recorded, then resolved: kept as history


def test_two_events_for_one_payment_credit_it_once(contractor, finance, stripe_on):
    services.handle_stripe_webhook(p := session("cs_y", 5_000, event_id="evt_y1"), signed(p))
    intent = stripe_event(
        "evt_y2",
        "payment_intent.succeeded",
        {"id": PI, "object": "payment_intent", "amount": 5_000, "currency": "usd"},
    )
    services.handle_stripe_webhook(intent, signed(intent))
    later = timezone.now() + timedelta(hours=2)
    assert services.flag_unmatched_stripe_events(now=later) == 1
    assert services.flag_unmatched_stripe_events(now=later) == 0
    first, second = UnmatchedPayment.objects.order_by("pk")
    assert second.reason == "no_payment"
    services.credit_unmatched(
        first, account=services.account_for(contractor), note="ok", by=finance
    )
    with pytest.raises(services.AlreadyResolved):
        services.credit_unmatched(second, account=contractor.account, note="ok", by=finance)
    assert balance(contractor) == 5_000
    second.refresh_from_db()
    assert second.status == "matched"  # closed by the credit of its payment's other item
    with pytest.raises(services.AlreadyResolved):
        services.close_unmatched(second, status="refunded", note="same payment", by=finance)


def test_a_refund_whose_payment_never_comes_is_flagged_and_closes_itself_if_it_does(
    client, contractor, finance, stripe_on
):
    TopUp.objects.create(
        account=services.account_for(contractor), amount_cents=5_000, checkout_session_id="cs_l"
    )
    deliver(client, charge_refunded(PI, amount=5_000, amount_refunded=5_000, event_id="evt_early"))
    assert services.flag_unmatched_stripe_events() == 0  # not yet: Stripe may be slow
    assert services.flag_unmatched_stripe_events(now=timezone.now() + timedelta(hours=2)) == 1
    assert emails().count() == 1
    deliver(client, session("cs_l", 5_000, event_id="evt_late"))
    item = UnmatchedPayment.objects.get()
    assert item.status == "matched"
    assert balance(contractor) == 0  # paid, then refunded
    assert StripeEvent.objects.filter(processed_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
)
def test_the_same_unmatched_event_at_once_is_one_record_and_one_email(finance, stripe_on):
    payload = session("cs_race", 5_000, event_id="evt_race")
    barrier = threading.Barrier(5)
    errors = []

    def post():
        try:
            barrier.wait()
            services.handle_stripe_webhook(payload, signed(payload))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert UnmatchedPayment.objects.count() == 1
    assert emails().count() == 1
    assert not Entry.objects.exists()


def test_finance_credits_through_the_admin_page_that_names_the_account(
    client, contractor, finance, stripe_on
):
    account = services.account_for(contractor)
    payload = session("cs_adm", 5_000, event_id="evt_adm", account_id=account.pk)
    services.handle_stripe_webhook(payload, signed(payload))
    item = UnmatchedPayment.objects.get()
    client.force_login(finance)
    changelist = reverse("admin:billing_unmatchedpayment_changelist")
    chosen = {"action": "credit_to_contractor", "_selected_action": [item.pk]}
    page = client.post(changelist, chosen)
    assert page.status_code == 200
    assert 'value="alice@example.com"' in page.content.decode()
    refused = client.post(changelist, {**chosen, "post": "yes", "email": "alice@example.com"})
    assert refused.status_code == 200  # a note is required: the page asks again
    assert balance(contractor) == 0
    done = client.post(
        changelist, {**chosen, "post": "yes", "email": "alice@example.com", "note": "hers"}
    )
    assert done.status_code == 302
    assert balance(contractor) == 5_000
    assert (
        client.get(reverse("admin:billing_unmatchedpayment_history", args=[item.pk])).status_code
        == 200
    )

"""Money: every balance change goes through post_entry(), in one transaction, under a lock."""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.models import Contractor
from marketplace.templatetags.money import cents

from .models import Account, Entry, StripeEvent, TopUp

logger = logging.getLogger(__name__)

MIN_TOP_UP_CENTS = 1_000
MAX_TOP_UP_CENTS = 1_000_000


class InsufficientBalance(DomainError):
    status_code = 402


class InvalidAmount(DomainError):
    field = "amount_cents"


class PaymentsOff(DomainError):
    status_code = 503


class WebhookRejected(DomainError):
    status_code = 400


def account_for(contractor: Contractor) -> Account:
    account, _ = Account.objects.get_or_create(contractor=contractor)
    return account


@transaction.atomic
def post_entry(
    account: Account,
    *,
    kind: str,
    amount_cents: int,
    memo: str,
    idempotency_key: str | None = None,
    require_cover: bool = False,
    reason: str = "",
    created_by=None,
) -> Entry:
    """Write one ledger entry and move the cached balance with it.

    Idempotent by key: the same cause (a Stripe session, a purchase) posts once, however
    often it is replayed. `require_cover` refuses a debit the balance cannot pay.
    """
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents == 0:
        raise InvalidAmount("An entry moves a whole, non-zero number of cents.")
    # Lock the account row: two entries at once must not both read the old balance.
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if idempotency_key:
        existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    new_balance = locked.balance_cents + amount_cents
    if require_cover and amount_cents < 0 and new_balance < 0:
        raise InsufficientBalance(
            f"Your balance of {cents(locked.balance_cents)} does not cover "
            f"{cents(-amount_cents)}. Top up to continue."
        )
    entry = Entry.objects.create(
        account=locked,
        kind=kind,
        amount_cents=amount_cents,
        balance_after_cents=new_balance,
        memo=memo[:200],
        idempotency_key=idempotency_key,
        reason=reason,
        created_by=created_by,
    )
    locked.balance_cents = new_balance
    locked.save(update_fields=["balance_cents", "updated_at"])
    account.balance_cents = new_balance
    return entry


def adjust(account: Account, *, amount_cents: int, reason: str, by) -> Entry:
    """A manual correction by staff: always with a reason, always signed by who did it."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why you adjust this balance.", field="reason")
    if by is None or not by.is_staff:
        raise DomainError("Only staff can adjust a balance.")
    return post_entry(
        account,
        kind=Entry.Kind.ADJUSTMENT,
        amount_cents=amount_cents,
        memo=f"Adjustment by {by.email}",
        reason=reason,
        created_by=by,
    )


# --- Top-ups ---------------------------------------------------------------------------------


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def check_top_up_amount(amount_cents: int) -> int:
    if not MIN_TOP_UP_CENTS <= amount_cents <= MAX_TOP_UP_CENTS:
        raise InvalidAmount(
            f"Top up between ${MIN_TOP_UP_CENTS // 100} and ${MAX_TOP_UP_CENTS // 100:,}."
        )
    return amount_cents


def start_top_up(
    contractor: Contractor, *, amount_cents: int, success_url: str, cancel_url: str
) -> TopUp:
    """Open a Stripe Checkout session; the balance moves only when Stripe confirms it."""
    if not payments_enabled():
        raise PaymentsOff("Online top-ups are off. Contact us to add balance.")
    check_top_up_amount(amount_cents)
    account = account_for(contractor)
    try:
        session = _create_checkout_session(
            account, contractor, amount_cents, success_url, cancel_url
        )
    except stripe.StripeError:
        logger.exception("Stripe refused or failed to open a Checkout session")
        raise PaymentsOff(
            "Card payments are not available right now. Please try again in a few minutes."
        ) from None
    return TopUp.objects.create(
        account=account,
        amount_cents=amount_cents,
        checkout_session_id=session.id,
        checkout_url=session.url or "",
    )


def _create_checkout_session(account, contractor, amount_cents, success_url, cancel_url):
    return stripe.checkout.Session.create(
        api_key=settings.STRIPE_SECRET_KEY,
        mode="payment",
        line_items=[
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": amount_cents,
                    "product_data": {"name": "Fairlead balance top-up"},
                },
            }
        ],
        client_reference_id=str(account.pk),
        customer_email=contractor.user.email,
        metadata={"account_id": str(account.pk), "amount_cents": str(amount_cents)},
        success_url=success_url,
        cancel_url=cancel_url,
        # Cards settle at once; delayed methods would complete the session unpaid.
        payment_method_types=["card"],
    )


@transaction.atomic
def complete_top_up(top_up: TopUp, *, paid_cents: int) -> Entry:
    """Credit a paid top-up, once."""
    top_up = TopUp.objects.select_for_update().get(pk=top_up.pk)
    entry = post_entry(
        top_up.account,
        kind=Entry.Kind.TOP_UP,
        amount_cents=paid_cents,
        memo=f"Top-up by card ({top_up.checkout_session_id[-8:]})",
        idempotency_key=f"stripe-session:{top_up.checkout_session_id}",
    )
    if top_up.status != TopUp.Status.PAID:
        top_up.status = TopUp.Status.PAID
        top_up.paid_at = timezone.now()
        top_up.entry = entry
        top_up.save(update_fields=["status", "paid_at", "entry"])
    return entry


def simulate_top_up(contractor: Contractor, *, amount_cents: int) -> Entry:
    """DEBUG only: what a completed Checkout would do, without Stripe."""
    if not settings.DEBUG:
        raise PaymentsOff("Simulated payments exist only in development.")
    check_top_up_amount(amount_cents)
    top_up = TopUp.objects.create(
        account=account_for(contractor),
        amount_cents=amount_cents,
        checkout_session_id=f"simulated_{timezone.now().timestamp():.6f}_{contractor.pk}",
    )
    return complete_top_up(top_up, paid_cents=amount_cents)


def handle_stripe_webhook(payload: bytes, signature: str) -> StripeEvent | None:
    """Verify a Stripe webhook and apply it once per event id.

    Raises WebhookRejected (400) on a bad signature or payload, before anything is written.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookRejected("Stripe webhooks are not configured.")
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookRejected(f"Rejected: {error.__class__.__name__}") from None
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event["id"], type=event["type"], payload=event.to_dict()
                )
        except IntegrityError:
            return None  # delivered before: already applied
        record.result = _apply_stripe_event(event)
        record.processed_at = timezone.now()
        record.save(update_fields=["result", "processed_at"])
    return record


def _apply_stripe_event(event) -> str:
    if event["type"] != "checkout.session.completed":
        return "ignored"
    session = event.to_dict()["data"]["object"]
    if session.get("payment_status") != "paid":
        return f"not paid ({session.get('payment_status')})"
    top_up = TopUp.objects.filter(checkout_session_id=session["id"]).first()
    if top_up is None:
        logger.warning("Stripe session %s matches no top-up", session["id"])
        return "no matching top-up"
    paid_cents = int(session.get("amount_total") or 0)
    if paid_cents <= 0:
        return f"nothing to credit (amount {paid_cents})"
    entry = complete_top_up(top_up, paid_cents=paid_cents)
    return f"credited entry {entry.pk}"


# --- Consistency -----------------------------------------------------------------------------


def ledger_mismatches() -> list[tuple[Account, int]]:
    """Accounts whose cached balance differs from the sum of their entries."""
    sums = dict(
        Entry.objects.values("account")
        .annotate(total=Sum("amount_cents"))
        .values_list("account", "total")
    )
    return [
        (account, sums.get(account.pk, 0))
        for account in Account.objects.select_related("contractor")
        if account.balance_cents != sums.get(account.pk, 0)
    ]

"""Money: every balance change goes through post_entry(), in one transaction, under a lock."""

import calendar
import hashlib
import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from marketplace import clock
from marketplace.errors import DomainError
from marketplace.models import Contractor
from marketplace.money import format_cents
from marketplace.notifications import notify_address, notify_contractor
from marketplace.parsers import json_too_deep

from . import queries
from .models import Account, Entry, Membership, StripeEvent, TopUp, UnmatchedPayment

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
    often it is replayed. `require_cover` refuses a debit the balance cannot pay; without
    it a debit (a refund, a dispute, a credit reversal) may take the balance below zero,
    and the contractor is told (tell_balance_crossings).
    """
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents == 0:
        raise InvalidAmount("An entry moves a whole, non-zero number of cents.")
    # Lock the account row: two entries at once must not both read the old balance.
    # NO KEY UPDATE: the balance changes, never the key, so rows that reference the account
    # or its contractor (checked at COMMIT with KEY SHARE on PostgreSQL) are not blocked.
    locked = Account.objects.select_for_update(no_key=True).get(pk=account.pk)
    if idempotency_key:
        existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    new_balance = locked.balance_cents + amount_cents
    if require_cover and amount_cents < 0 and new_balance < 0:
        raise InsufficientBalance(
            f"Your balance of {format_cents(locked.balance_cents)} does not cover "
            f"{format_cents(-amount_cents)}. Top up to continue."
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
    before = locked.balance_cents
    locked.balance_cents = new_balance
    locked.entry_count += 1
    locked.save(update_fields=["balance_cents", "entry_count", "updated_at"])
    account.balance_cents, account.entry_count = new_balance, locked.entry_count
    tell_balance_crossings(locked, before_cents=before, entry=entry)
    return entry


TOP_UP_LINK = "#add-funds"  # the Billing page's top-up form


def tell_balance_crossings(account: Account, *, before_cents: int, entry: Entry) -> None:
    """The one rule for "the balance crossed a line", run for every entry (post_entry calls
    it), so a card refund, a dispute, a credit reversal or a staff adjustment is explained
    the same way. Only the entry that takes the balance from on or above a line to below
    it tells, so each crossing is told once; a replayed entry posts nothing and tells
    nothing. The message is an outbox row written with the entry, sent once it commits.

    - Below zero: what happened (the entry's memo), what is owed, and that leads are
      neither offered nor sold until the balance is positive again (offers and purchases
      need a balance that covers the price).
    - Below the low-balance line (queries.low_balance_line_cents): the balance cannot buy
      even the cheapest typical lead in the contractor's categories. An entry that crosses
      both lines sends only the first, stronger message.
    """
    after = entry.balance_after_cents
    if after >= before_cents or before_cents < 0:
        return  # money in, or already below every line
    context = {
        "what": entry.memo,
        "amount": format_cents(-entry.amount_cents),
        "balance": format_cents(after),
    }
    if before_cents >= 0 > after:
        template = "balance_negative"
        context["owed"] = format_cents(-after)
    else:
        line = queries.low_balance_line_cents(account.contractor_id)
        if line is None or not before_cents >= line > after:
            return
        template = "low_balance"
        context["line"] = format_cents(line)
    contractor = Contractor.objects.select_related("user").get(pk=account.contractor_id)
    notify_contractor(
        contractor,
        template=template,
        context=context,
        link=reverse("billing:home") + TOP_UP_LINK,
    )


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
        # The contractor reads why on their statement; who did it stays in created_by.
        memo=f"Adjustment: {reason}",
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
def complete_top_up(top_up: TopUp, *, paid_cents: int, payment_intent_id: str = "") -> Entry:
    """Credit a paid top-up, once, and remember its card payment: refunds and disputes
    name the payment intent, not the Checkout session."""
    top_up = TopUp.objects.select_for_update().get(pk=top_up.pk)
    entry = post_entry(
        top_up.account,
        kind=Entry.Kind.TOP_UP,
        amount_cents=paid_cents,
        memo=f"Top-up by card ({top_up.checkout_session_id[-8:]})",
        idempotency_key=f"stripe-session:{top_up.checkout_session_id}",
    )
    changed = []
    if top_up.status != TopUp.Status.PAID:
        top_up.status = TopUp.Status.PAID
        top_up.paid_at = timezone.now()
        top_up.entry = entry
        changed += ["status", "paid_at", "entry"]
    if payment_intent_id and not top_up.payment_intent_id:
        top_up.payment_intent_id = payment_intent_id
        changed.append("payment_intent_id")
    if changed:
        top_up.save(update_fields=changed)
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


REVERSAL_EVENTS = ("charge.refunded", "charge.dispute.created", "charge.dispute.closed")
PAYMENT_SUCCEEDED = "payment_intent.succeeded"
# Events that move money, whose currency must be ours.
MONEY_EVENTS = ("checkout.session.completed", PAYMENT_SUCCEEDED, *REVERSAL_EVENTS)


def handle_stripe_webhook(payload: bytes, signature: str) -> StripeEvent | None:
    """Verify a Stripe webhook and apply it once per event id.

    Raises WebhookRejected (400) on a bad signature or payload, before anything is written.
    A refund or dispute whose payment has not completed yet is kept, unprocessed, and
    applied when the payment's checkout.session.completed arrives.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookRejected("Stripe webhooks are not configured.")
    try:
        # The signature first: an unsigned body gets no further than an HMAC.
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            stripe.Webhook.DEFAULT_TOLERANCE,
        )
        if json_too_deep(payload.decode("utf-8")):  # json.loads would recurse until it fails
            raise ValueError("nested too deeply")
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookRejected(f"Rejected: {error.__class__.__name__}") from None
    body = event.to_dict()
    obj = body["data"]["object"]
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event["id"],
                    type=event["type"],
                    payload=body,
                    payment_intent_id=(
                        obj.get("id") if obj.get("object") == "payment_intent" else None
                    )
                    or obj.get("payment_intent")
                    or "",
                )
        except IntegrityError:
            return None  # delivered before: already applied
        result, done = _apply_stripe_event(record)
        record.result = result[:200]
        record.processed_at = timezone.now() if done else None
        record.save(update_fields=["result", "processed_at"])
    return record


def _apply_stripe_event(record: StripeEvent) -> tuple[str, bool]:
    """What the event did, in words for the admin, and whether it is done (False: it
    waits for its payment)."""
    if record.type in MONEY_EVENTS:
        currency = str(record.payload["data"]["object"].get("currency") or "").lower()
        if currency and currency != settings.STRIPE_CURRENCY:
            return _record_unmatched(
                record,
                reason=UnmatchedPayment.Reason.CURRENCY,
                detail=f"in {currency.upper()}, not {settings.STRIPE_CURRENCY.upper()}",
            ), True
    if record.type == "checkout.session.completed":
        return _apply_checkout_completed(record), True
    if record.type in REVERSAL_EVENTS:
        return _apply_reversal(record)
    if record.type == PAYMENT_SUCCEEDED:
        return _apply_payment_succeeded(record)
    return "ignored", True


def _apply_checkout_completed(record: StripeEvent) -> str:
    session = record.payload["data"]["object"]
    if session.get("payment_status") != "paid":
        return f"not paid ({session.get('payment_status')})"
    top_up = TopUp.objects.filter(checkout_session_id=session["id"]).first()
    if top_up is None:
        logger.warning("Stripe session %s matches no top-up", session["id"])
        return _record_unmatched(
            record, reason=UnmatchedPayment.Reason.NO_TOP_UP, detail="no top-up has this session"
        )
    paid_cents = int(session.get("amount_total") or 0)
    if paid_cents <= 0:
        return f"nothing to credit (amount {paid_cents})"
    if paid_cents != top_up.amount_cents:
        return _record_unmatched(
            record,
            reason=UnmatchedPayment.Reason.AMOUNT,
            detail=(
                f"paid {format_cents(paid_cents)}, "
                f"the top-up was for {format_cents(top_up.amount_cents)}"
            ),
            top_up=top_up,
        )
    return _credit_session(
        top_up, paid_cents=paid_cents, payment_intent_id=record.payment_intent_id
    )


def _credit_session(top_up: TopUp, *, paid_cents: int, payment_intent_id: str) -> str:
    """Credit a completed Checkout payment to its top-up, then what waited for it."""
    intent = payment_intent_id
    if intent:
        _lock_payment(intent)
    if TopUp.objects.filter(pk=top_up.pk, status=TopUp.Status.PENDING).exists():
        elsewhere = _payment_on_balance(
            intent=intent, session_id=top_up.checkout_session_id, top_up=top_up
        )
        if elsewhere:
            # Finance placed this payment by hand before its session completed.
            logger.warning("Stripe session %s: payment already on %s", top_up.pk, elsewhere)
            return f"not credited: this payment is already on a balance ({elsewhere})"
    entry = complete_top_up(top_up, paid_cents=paid_cents, payment_intent_id=intent)
    result = f"credited entry {entry.pk}"
    if intent:
        waited = _apply_waiting_reversals(top_up, payment_intent_id=intent)
        if waited:
            result += f"; {waited}"
    return result


def _apply_payment_succeeded(record: StripeEvent) -> tuple[str, bool]:
    """payment_intent.succeeded is Stripe's second word on a Checkout payment: matched when
    its session has completed with us, else it waits for it (flag_unmatched_stripe_events
    shows it to finance if the session never comes)."""
    intent = record.payment_intent_id
    _lock_payment(intent)
    top_up = TopUp.objects.filter(payment_intent_id=intent).first()
    if top_up is None:
        return f"waiting: no top-up has completed with {intent} yet", False
    return f"matched top-up {top_up.pk}", True


# --- Card refunds and disputes ---------------------------------------------------------------
#
# Stripe tells us the state of a card payment, event by event, in any order and any number
# of times. Each event is merged into the top-up's record of that state, and the merge
# only moves forward: the cumulative refunded amount only grows (the highest seen wins), a
# dispute only moves from none to inquiry or open to closed. So the same events give the
# same state in any order. settle_reversals then brings the ledger to that state:
#   taken back = min(paid, refunded + the disputed amount while the dispute is open or lost)
# posting the difference from what it took before, refunds and the dispute apart. A refund
# or dispute that arrives before its payment's completion waits on its StripeEvent row
# (processed_at empty) and is merged when the payment completes.

DISPUTE_RANK = {
    TopUp.Dispute.NONE: 0,
    TopUp.Dispute.INQUIRY: 1,
    TopUp.Dispute.OPEN: 2,
    TopUp.Dispute.WON: 3,
    TopUp.Dispute.LOST: 3,
    TopUp.Dispute.CLOSED: 3,
}
# The card network holds the money of an open dispute, and keeps it when it is lost.
# An inquiry (a "warning_" status) withdraws nothing.
DISPUTE_HOLDS = {TopUp.Dispute.OPEN, TopUp.Dispute.LOST}


def _lock_payment(payment_intent_id: str) -> None:
    """Serialize everything that happens to one card payment. A refund can arrive while
    the payment's completion is still being written, before any row links the payment
    intent to its top-up, so there is no row to lock: a PostgreSQL advisory lock on the
    id, held to the end of the transaction, stands in. (SQLite has one writer at a time,
    and each webhook writes its StripeEvent row first.)"""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(payment_intent_id.encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
        )


def _apply_reversal(record: StripeEvent) -> tuple[str, bool]:
    intent = record.payment_intent_id
    if not intent:
        return "no payment intent: ignored", True
    _lock_payment(intent)
    top_up = (
        TopUp.objects.select_for_update(of=("self",))
        .select_related("account", "entry")
        .filter(payment_intent_id=intent)
        .first()
    )
    if top_up is None:
        logger.info("Stripe %s %s waits for payment %s", record.type, record.event_id, intent)
        return f"waiting: no top-up has completed with {intent} yet", False
    problem = _merge_reversal(top_up, record.type, record.payload["data"]["object"])
    if problem:
        logger.warning("Stripe %s %s: %s", record.type, record.event_id, problem)
        _tell_finance(top_up, what=_describe(record), result=problem)
        return problem, True
    result = _describe_settlement(record.type, settle_reversals(top_up))
    _tell_finance(top_up, what=_describe(record), result=result)
    return result, True


def _apply_waiting_reversals(
    top_up: TopUp, *, payment_intent_id: str, how: str = "when its session completed"
) -> str:
    """A payment just completed (its session, or finance credited it): merge the refunds
    and disputes that arrived before it (the caller holds the payment's lock)."""
    waiting = list(
        StripeEvent.objects.filter(
            payment_intent_id=payment_intent_id,
            type__in=(*REVERSAL_EVENTS, PAYMENT_SUCCEEDED),
            processed_at__isnull=True,
        ).order_by("received_at", "pk")
    )
    succeeded = [record for record in waiting if record.type == PAYMENT_SUCCEEDED]
    if succeeded:
        for record in succeeded:
            record.result = f"matched top-up {top_up.pk} {how}"[:200]
            record.processed_at = timezone.now()
        StripeEvent.objects.bulk_update(succeeded, ["result", "processed_at"])
        _close_matched_later(succeeded)
        waiting = [record for record in waiting if record.type != PAYMENT_SUCCEEDED]
    if not waiting:
        return ""
    top_up = (
        TopUp.objects.select_for_update(of=("self",))
        .select_related("account", "entry")
        .get(pk=top_up.pk)
    )
    problems = [
        problem
        for record in waiting
        if (problem := _merge_reversal(top_up, record.type, record.payload["data"]["object"]))
    ]
    result = "; ".join(
        [_describe_settlement("earlier events", settle_reversals(top_up)), *problems]
    )
    now = timezone.now()
    for record in waiting:
        record.result = f"applied when its payment completed: {result}"[:200]
        record.processed_at = now
    StripeEvent.objects.bulk_update(waiting, ["result", "processed_at"])
    _close_matched_later(waiting)
    _tell_finance(
        top_up,
        what=", ".join(_describe(record) for record in waiting) + " (before the payment completed)",
        result=result,
    )
    return f"applied {len(waiting)} waiting refund or dispute event(s)"


def _merge_reversal(top_up: TopUp, event_type: str, obj: dict) -> str:
    """Merge what one event says into the top-up's record of its card payment; only ever
    forward, so order and repeats do not matter. Returns a problem for ops, or ""."""
    if event_type == "charge.refunded":
        top_up.charge_id = top_up.charge_id or obj.get("id") or ""
        top_up.refunded_cents = max(top_up.refunded_cents, int(obj.get("amount_refunded") or 0))
        return ""
    if top_up.dispute_id and top_up.dispute_id != obj.get("id"):
        return (
            f"a second dispute ({obj.get('id')}) on this payment: not applied, "
            "check it in Stripe and adjust by hand"
        )
    status = obj.get("status") or ""
    if event_type == "charge.dispute.created":
        state = TopUp.Dispute.INQUIRY if status.startswith("warning_") else TopUp.Dispute.OPEN
    else:
        state = {"won": TopUp.Dispute.WON, "lost": TopUp.Dispute.LOST}.get(
            status, TopUp.Dispute.CLOSED
        )
    top_up.charge_id = top_up.charge_id or obj.get("charge") or ""
    if DISPUTE_RANK[state] > DISPUTE_RANK[top_up.dispute_status]:
        top_up.dispute_id = obj.get("id") or ""
        top_up.dispute_status = state
        top_up.dispute_amount_cents = int(obj.get("amount") or 0)
    return ""


def settle_reversals(top_up: TopUp) -> list[Entry]:
    """Bring the ledger to what Stripe says of the top-up's card payment (the caller holds
    its lock): what refunds and the dispute take back together never exceeds what the
    payment credited; refunds count first, the dispute takes at most the rest. Each entry
    names its cause in its key: the refunded total it brings the ledger to, or the
    dispute's state and the amount it holds then; both only move forward, so a key is
    never reused. Money coming back is posted first, so a settlement that returns and takes
    at once never dips below zero in between."""
    paid = top_up.entry.amount_cents if top_up.entry_id else 0
    refund_target = min(top_up.refunded_cents, paid)
    held = top_up.dispute_amount_cents if top_up.dispute_status in DISPUTE_HOLDS else 0
    dispute_target = min(held, paid - refund_target)
    label = f"your {format_cents(paid)} top-up ({top_up.checkout_session_id[-8:]})"
    moves = []
    if refund_target != top_up.refund_reversed_cents:
        part = refund_target - top_up.refund_reversed_cents
        moves.append(
            (
                Entry.Kind.REFUND,
                -part,
                f"Card refund: {format_cents(part)} of {label} refunded to your card",
                f"stripe-refund:{top_up.payment_intent_id}:{refund_target}",
            )
        )
    if dispute_target != top_up.dispute_reversed_cents:
        part = dispute_target - top_up.dispute_reversed_cents
        moves.append(
            (
                Entry.Kind.CHARGEBACK,
                -part,
                _dispute_memo(top_up, part, label),
                f"stripe-dispute:{top_up.dispute_id}:{top_up.dispute_status}:{dispute_target}",
            )
        )
    entries = [
        post_entry(top_up.account, kind=kind, amount_cents=amount, memo=memo, idempotency_key=key)
        for kind, amount, memo, key in sorted(moves, key=lambda move: -move[1])
    ]
    top_up.refund_reversed_cents = refund_target
    top_up.dispute_reversed_cents = dispute_target
    top_up.save(
        update_fields=[
            "charge_id",
            "refunded_cents",
            "dispute_id",
            "dispute_status",
            "dispute_amount_cents",
            "refund_reversed_cents",
            "dispute_reversed_cents",
        ]
    )
    return entries


def _dispute_memo(top_up: TopUp, part: int, label: str) -> str:
    if part > 0:
        outcome = "lost" if top_up.dispute_status == TopUp.Dispute.LOST else "opened"
        return f"Card dispute {outcome}: {format_cents(part)} of {label} withdrawn by your bank"
    if top_up.dispute_status == TopUp.Dispute.WON:
        return f"Card dispute won: {format_cents(-part)} of {label} returned"
    if top_up.dispute_status == TopUp.Dispute.CLOSED:
        return f"Card dispute closed: {format_cents(-part)} of {label} returned"
    return f"Card dispute: {format_cents(-part)} of {label} returned, as a refund now covers it"


def _describe(record: StripeEvent) -> str:
    obj = record.payload["data"]["object"]
    if record.type == "charge.refunded":
        return f"refund (refunded in all {format_cents(int(obj.get('amount_refunded') or 0))})"
    what = "dispute opened" if record.type == "charge.dispute.created" else "dispute closed"
    return f"{what} ({obj.get('status')}, {format_cents(int(obj.get('amount') or 0))})"


def _describe_settlement(cause: str, entries: list[Entry]) -> str:
    name = {
        "charge.refunded": "refund",
        "charge.dispute.created": "dispute opened",
        "charge.dispute.closed": "dispute closed",
    }.get(cause, cause)
    if not entries:
        return f"{name}: no money moved"
    moved = ", ".join(f"{format_cents(e.amount_cents)} (entry {e.pk})" for e in entries)
    return f"{name}: {moved}; balance {format_cents(entries[-1].balance_after_cents)}"


def _tell_finance(top_up: TopUp, *, what: str, result: str) -> None:
    """Ops hear of every refund and dispute applied: each active finance staff member gets
    an email, written with the change and sent once it commits."""
    contractor = Contractor.objects.select_related("user").get(pk=top_up.account.contractor_id)
    emails = _finance_emails()
    account = Account.objects.get(pk=top_up.account_id)
    context = {
        "contractor": contractor,
        "top_up": top_up,
        "paid": format_cents(top_up.entry.amount_cents if top_up.entry_id else 0),
        "what": what,
        "result": result,
        "balance": format_cents(account.balance_cents),
        "admin_path": reverse("admin:billing_topup_change", args=[top_up.pk]),
    }
    for email in emails:
        notify_address(email, template="stripe_reversal", context=context)


def _finance_emails() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name="finance")
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


# --- Money we cannot place -------------------------------------------------------------------
#
# A payment Stripe took that no top-up explains, in a currency we do not keep, for an amount
# its top-up did not ask, or a refund or dispute of a payment that never completed with us:
# never credited by the webhook (which answers 200, so Stripe stops retrying), kept as an
# UnmatchedPayment with its reason, and finance is emailed once. Finance credits it to a
# contractor (through the ledger, once per payment) or closes it with a note.


class AlreadyResolved(DomainError):
    status_code = 409


class NotCreditable(DomainError):
    status_code = 409


class NoteRequired(DomainError):
    field = "note"


def _record_unmatched(
    record: StripeEvent, *, reason: str, detail: str, top_up: TopUp | None = None
) -> str:
    """Keep the event's money for finance (once per event: the caller wrote the event row
    first, so a replay never gets here) and email the finance group with it."""
    obj = record.payload["data"]["object"]
    amount = obj.get("amount_total") if "amount_total" in obj else obj.get("amount")
    if record.type == "charge.refunded":
        amount = obj.get("amount_refunded")
    session_id = obj.get("id", "") if obj.get("object") == "checkout.session" else ""
    if top_up is None and session_id:
        top_up = TopUp.objects.filter(checkout_session_id=session_id).first()
    item, created = UnmatchedPayment.objects.get_or_create(
        event=record,
        defaults={
            "reason": reason,
            "detail": detail[:200],
            "amount_cents": int(amount or 0),
            "currency": str(obj.get("currency") or "")[:10].lower(),
            "session_id": session_id,
            "payment_intent_id": record.payment_intent_id,
            "top_up": top_up,
            "suggested_account": top_up.account if top_up else _named_account(obj),
        },
    )
    if created:
        logger.warning("Stripe %s %s unmatched: %s", record.type, record.event_id, detail)
        context = {
            "item": item,
            "event": record,
            "amount": item.money,
            "admin_path": reverse("admin:billing_unmatchedpayment_change", args=[item.pk]),
        }
        for email in _finance_emails():
            notify_address(email, template="stripe_unmatched", context=context)
    return f"unmatched ({item.get_reason_display().lower()}): kept for finance, nothing credited"


def _named_account(obj: dict) -> Account | None:
    """The account a Checkout session says it is for (we set both when opening it)."""
    named = (obj.get("metadata") or {}).get("account_id") or obj.get("client_reference_id")
    if not str(named or "").isdigit():
        return None
    return Account.objects.filter(pk=int(named)).first()


def _close_matched_later(records: list[StripeEvent]) -> None:
    for item in UnmatchedPayment.objects.filter(event__in=records, status="open"):
        item.status = UnmatchedPayment.Status.MATCHED_LATER
        item.note = "Its payment completed with us later; applied then."
        item.resolved_at = timezone.now()
        item.save(update_fields=["status", "note", "resolved_at"])


def flag_unmatched_stripe_events(*, now=None) -> int:
    """Beat: a refund, dispute or payment_intent.succeeded still waiting for its payment's
    completion after STRIPE_UNMATCHED_AFTER is shown to finance. It keeps waiting: if the
    payment completes after all, it is applied and the item closes itself."""
    cutoff = (now or timezone.now()) - settings.STRIPE_UNMATCHED_AFTER
    flagged = 0
    stale = StripeEvent.objects.filter(
        processed_at__isnull=True, received_at__lt=cutoff, unmatched__isnull=True
    ).values_list("pk", flat=True)
    for pk in stale:
        with transaction.atomic():
            record = StripeEvent.objects.select_for_update().get(pk=pk)
            if record.processed_at is not None or hasattr(record, "unmatched"):
                continue
            _record_unmatched(
                record,
                reason=UnmatchedPayment.Reason.NO_PAYMENT,
                detail=f"no payment {record.payment_intent_id} completed with us "
                f"within {settings.STRIPE_UNMATCHED_AFTER // timedelta(minutes=1)} minutes",
            )
            flagged += 1
    return flagged


def _lock_open_item(item: UnmatchedPayment, note: str) -> UnmatchedPayment:
    if not note.strip():
        raise NoteRequired("Say why, in a note.")
    # The payment first, then the item: the order the webhook locks them in (it takes the
    # payment's lock, then closes the items its completion explains). Two finance members
    # crediting two reports of one payment at once wait for each other here.
    _lock_payment(_payment_of(item))
    # Two finance members resolving the same item at once: one wins, the other is told.
    locked = UnmatchedPayment.objects.select_for_update().get(pk=item.pk)
    if locked.status != UnmatchedPayment.Status.OPEN:
        raise AlreadyResolved(f"Already resolved: {locked.get_status_display()}.")
    return locked


def _payment_of(item: UnmatchedPayment) -> str:
    """What names the card payment behind an item, for its lock and its ledger key."""
    return item.payment_intent_id or item.session_id or item.event.event_id


def _payment_on_balance(*, intent: str, session_id: str, top_up: TopUp | None = None) -> str:
    """Where one card payment is already on a balance, in words for finance, or "".

    One payment is reported by up to two events (its session's completion and its
    payment_intent.succeeded), and each can become an unmatched item; it reaches a balance
    by its top-up completing or by finance crediting an item, each once under its own
    ledger key. So every way is checked, by the payment intent and by the session: a paid
    top-up, a credited item, a finance entry. The caller holds _lock_payment."""
    names = Q()
    if intent:
        names |= Q(payment_intent_id=intent)
    if session_id:
        names |= Q(checkout_session_id=session_id)
    if not names:
        return ""
    paid = TopUp.objects.filter(names, status=TopUp.Status.PAID)
    if top_up is not None:
        paid = paid.exclude(pk=top_up.pk)
    if found := paid.first():
        return f"top-up {found.pk}, entry {found.entry_id}"
    items = Q(payment_intent_id=intent) if intent else Q()
    if session_id:
        items |= Q(session_id=session_id)
    credited = UnmatchedPayment.objects.filter(items, status=UnmatchedPayment.Status.CREDITED)
    if found := credited.first():
        return f"unmatched item {found.pk}, entry {found.entry_id}"
    keys = [f"stripe-unmatched:{name}" for name in (intent, session_id) if name]
    if top_up is None and session_id:
        keys.append(f"stripe-session:{session_id}")
    if found := Entry.objects.filter(idempotency_key__in=keys).first():
        return f"entry {found.pk}"
    return ""


@transaction.atomic
def credit_unmatched(item: UnmatchedPayment, *, account: Account, note: str, by) -> Entry:
    """Finance places a payment on a contractor's balance: only money Stripe took (a
    completed session or payment), in our currency, once per payment however many events,
    items or clicks report it (_payment_on_balance). The payment's top-up completes (a
    session's own top-up, or one written now for a payment that had none), so its later
    refunds and disputes find it, and those that waited for it are applied now. The other
    open items reporting the same payment close, naming this one."""
    item = _lock_open_item(item, note)
    event = item.event
    if event.type not in ("checkout.session.completed", PAYMENT_SUCCEEDED):
        raise NotCreditable("Only a completed payment can be credited; this one takes money back.")
    if item.currency != settings.STRIPE_CURRENCY:
        raise NotCreditable(
            f"{item.currency.upper()} cannot be credited to a "
            f"{settings.STRIPE_CURRENCY.upper()} balance: refund it in Stripe."
        )
    if item.amount_cents <= 0:
        raise NotCreditable("There is no money to credit.")
    # The payment's top-up: the item's own, or the one another report of it names (a
    # payment_intent.succeeded item does not know its session).
    # A session's completion can arrive before start_top_up has written its top-up (then
    # it was "no top-up"): the top-up written since is the payment's.
    top_up = (
        item.top_up
        or next(
            (
                other.top_up
                for other in queries.other_reports_of_payment(item).select_related("top_up")
                if other.top_up_id
            ),
            None,
        )
        or (
            TopUp.objects.filter(checkout_session_id=item.session_id).first()
            if item.session_id
            else None
        )
    )
    if top_up is not None and top_up.account_id != account.pk:
        raise NotCreditable(f"This payment's top-up belongs to {top_up.account.contractor}.")
    intent = item.payment_intent_id
    elsewhere = _payment_on_balance(intent=intent, session_id=item.session_id)
    if elsewhere:
        raise AlreadyResolved(
            f"This payment is already on a balance ({elsewhere}); close this one instead."
        )
    if top_up is not None:
        entry = complete_top_up(top_up, paid_cents=item.amount_cents, payment_intent_id=intent)
    else:
        entry = post_entry(
            account,
            kind=Entry.Kind.TOP_UP,
            amount_cents=item.amount_cents,
            memo=f"Card payment placed by Fairlead finance ({event.event_id[-8:]})",
            idempotency_key=f"stripe-unmatched:{_payment_of(item)}",
            reason=note,
            created_by=by,
        )
        # The payment's top-up, written now, so its refunds and disputes find it.
        top_up = TopUp.objects.create(
            account=account,
            amount_cents=item.amount_cents,
            checkout_session_id=item.session_id or f"finance:{_payment_of(item)}",
            status=TopUp.Status.PAID,
            paid_at=timezone.now(),
            entry=entry,
            payment_intent_id=intent,
        )
    now = timezone.now()
    item.status = UnmatchedPayment.Status.CREDITED
    item.entry = entry
    item.note = note
    item.resolved_by = by
    item.resolved_at = now
    item.save(update_fields=["status", "entry", "note", "resolved_by", "resolved_at"])
    _close_other_reports(item, entry=entry, by=by, now=now)
    if intent:
        _apply_waiting_reversals(
            top_up, payment_intent_id=intent, how=f"when finance credited unmatched item {item.pk}"
        )
    return entry


def _close_other_reports(item: UnmatchedPayment, *, entry: Entry, by, now) -> None:
    """The other open items that report the same payment's money (its session's
    completion, its payment_intent.succeeded) are answered by this credit."""
    for other in queries.other_reports_of_payment(item).filter(
        status=UnmatchedPayment.Status.OPEN,
        event__type__in=("checkout.session.completed", PAYMENT_SUCCEEDED),
    ):
        other.status = UnmatchedPayment.Status.MATCHED_LATER
        other.note = (
            f"The same payment was credited with unmatched item {item.pk} "
            f"(entry {entry.pk}, {format_cents(entry.amount_cents)}) by {by}."
        )
        other.resolved_by = by
        other.resolved_at = now
        other.save(update_fields=["status", "note", "resolved_by", "resolved_at"])


@transaction.atomic
def close_unmatched(item: UnmatchedPayment, *, status: str, note: str, by) -> UnmatchedPayment:
    """Finance closes an item without moving money: refunded in Stripe, or not ours."""
    if status not in (UnmatchedPayment.Status.REFUNDED, UnmatchedPayment.Status.NOT_OURS):
        raise NotCreditable("Close as refunded in Stripe or as not ours.")
    item = _lock_open_item(item, note)
    item.status = status
    item.note = note
    item.resolved_by = by
    item.resolved_at = timezone.now()
    item.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    return item


# --- Consistency -----------------------------------------------------------------------------


def ledger_mismatches() -> list[tuple[Account, int, int]]:
    """Accounts whose cached balance differs from the sum of their entries, or whose
    cached entry count from their number: (account, sum, number)."""
    sums = {
        account: (total, number)
        for account, total, number in Entry.objects.values("account")
        .annotate(total=Sum("amount_cents"), number=Count("pk"))
        .values_list("account", "total", "number")
        .order_by()
    }
    return [
        (account, *sums.get(account.pk, (0, 0)))
        for account in Account.objects.select_related("contractor")
        if (account.balance_cents, account.entry_count) != sums.get(account.pk, (0, 0))
    ]


@transaction.atomic
def recount_entries() -> int:
    """Set each account's cached entry count to its number of entries, under the account's
    lock (as post_entry counts them). For after an upgrade whose older processes posted
    entries without counting them; balances are never touched. Returns how many changed."""
    changed = 0
    for account in Account.objects.select_for_update().order_by("pk"):
        number = Entry.objects.filter(account=account).count()
        if number != account.entry_count:
            Account.objects.filter(pk=account.pk).update(entry_count=number)
            changed += 1
    return changed


# --- Monthly periods and memberships (DESIGN, Money) ------------------------------------------


def add_month(moment, *, anchor=None):
    """The same moment one calendar month later, on the anchor's day of the month (the day
    the subscription began) where that month has it, else on its last day: a run begun on
    Jan 31 renews on Feb 28, then Mar 31, never drifting to the 28th."""

    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min((anchor or moment).day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def grace_end(period_end, now):
    """The last moment of grace for a month that could not be paid: counted from the
    failed charge, so a late beat run never shortens it."""
    return max(period_end, now) + timedelta(days=settings.SUBSCRIPTION_GRACE_DAYS)


def renew_month(billed, *, account: Account, kind: str, fee_cents: int, memo: str, key: str, now):
    """The monthly renewal rule of everything billed by the month (memberships, territories;
    DESIGN, Money), on `billed`: a row with status, started_at, period_start, period_end,
    grace_until and fee_cents, and a Status of ACTIVE and PAST_DUE. Charges the next month
    once; returns what happened, and the caller saves `billed`:
    - "renewed": paid; the period moves on a month, on the day it began.
    - "past_due": the first month the balance cannot pay; SUBSCRIPTION_GRACE_DAYS of grace
      begin (the caller tells the contractor, once).
    - "in_grace": still unpaid, still in grace: tried again on the next run.
    - "lapsed": grace is over; the caller ends what was billed."""
    statuses = type(billed).Status
    try:
        with transaction.atomic():
            charge_period(account, kind=kind, amount_cents=fee_cents, memo=memo, key=key)
    except InsufficientBalance:
        if billed.status == statuses.ACTIVE:
            billed.status = statuses.PAST_DUE
            billed.grace_until = grace_end(billed.period_end, now)
            return "past_due"
        return "lapsed" if now >= billed.grace_until else "in_grace"
    billed.period_start = billed.period_end
    billed.period_end = add_month(billed.period_end, anchor=billed.started_at)
    billed.fee_cents = fee_cents
    billed.status = statuses.ACTIVE
    billed.grace_until = None
    return "renewed"


def charge_period(
    account: Account, *, kind: str, amount_cents: int, memo: str, key: str
) -> Entry | None:
    """Charge one month of a subscription, once per period (the key names the period).
    Nothing is posted for a free period. Raises InsufficientBalance if it cannot pay."""
    if amount_cents <= 0:
        return None
    return post_entry(
        account,
        kind=kind,
        amount_cents=-amount_cents,
        memo=memo,
        idempotency_key=key,
        require_cover=True,
    )


def membership_fee_cents(tier: str) -> int:
    return settings.MEMBERSHIP_FEES_CENTS.get(tier, 0)


def charges_now(contractor: Contractor, membership: Membership | None, *, tier: str, now) -> bool:
    """Does moving to `tier` charge the balance today? Every move to a paid tier does,
    except a move down while a paid month runs (it waits for the month's end). A move down
    from a tier ops set by hand (never billed) is the purchase of the lower tier."""
    if tier == contractor.tier or membership_fee_cents(tier) == 0:
        return False
    running = membership is not None and membership.period_end > now
    return not (Contractor.Tier(tier).rank < Contractor.Tier(contractor.tier).rank and running)


def upgrade_charge_cents(membership: Membership | None, *, tier: str, now) -> int:
    """What moving up to `tier` costs today: a full month when no paid month is running,
    else the difference of the fees for the part of the month that is left, half up."""

    new_fee = membership_fee_cents(tier)
    if membership is None or membership.period_end <= now:
        return new_fee
    second = timedelta(seconds=1)
    left = (membership.period_end - now) // second
    whole = (membership.period_end - membership.period_start) // second or 1
    difference = Decimal(new_fee - membership.fee_cents) * left / whole
    return max(int(difference.quantize(Decimal("1"), rounding=ROUND_HALF_UP)), 0)


class TierError(DomainError):
    field = "tier"


def change_tier(contractor: Contractor, *, tier: str) -> str:
    """Move a contractor to another membership tier. An upgrade takes effect now and is
    charged now (a full month, or the prorated difference within a paid month); a
    downgrade waits for the end of the paid month. Returns what happened, in words."""

    if tier not in Contractor.Tier.values:
        raise TierError("Pick base, pro or elite.")
    with transaction.atomic():
        # Two tier changes at once must not both charge. Locks in the renewal's order:
        # contractor, then membership, then the account. NO KEY UPDATE, so a lead bought at
        # the same moment (its rows reference the contractor) does not deadlock with it.
        contractor = Contractor.objects.select_for_update(no_key=True).get(pk=contractor.pk)
        membership = Membership.objects.select_for_update().filter(contractor=contractor).first()
        now = timezone.now()
        if not contractor.is_active:
            raise TierError("Your account is deactivated: contact us to change your tier.")
        if tier == contractor.tier:
            if membership and membership.scheduled_tier:
                membership.scheduled_tier = ""
                membership.save(update_fields=["scheduled_tier"])
                return f"You stay on {contractor.get_tier_display()}; the downgrade is off."
            raise TierError(f"You are already on {contractor.get_tier_display()}.")
        label = Contractor.Tier(tier).label
        running = membership is not None and membership.period_end > now
        if Contractor.Tier(tier).rank < Contractor.Tier(contractor.tier).rank and running:
            membership.scheduled_tier = tier
            membership.save(update_fields=["scheduled_tier"])
            message = (
                f"You move to {label} on "
                f"{clock.local_date(contractor, membership.period_end):%b %-d}"
                f", when the month you paid for ends."
            )
        elif not charges_now(contractor, membership, tier=tier, now=now):
            if membership is not None:
                membership.delete()  # no paid month running: nothing is owed
            _set_tier(contractor, tier)
            message = f"You are now on {label}."
        else:
            charge = upgrade_charge_cents(membership, tier=tier, now=now)
            if membership is None:
                membership = Membership(contractor=contractor)
            if not running:
                membership.started_at = membership.period_start = now
                membership.period_end = add_month(now)
            charge_period(
                account_for(contractor),
                kind=Entry.Kind.MEMBERSHIP,
                amount_cents=charge,
                memo=f"{label} membership from {clock.local_date(contractor, now):%b %-d}",
                key=f"membership:{contractor.pk}:{tier}:{now.isoformat()}",
            )
            membership.tier = tier
            membership.fee_cents = membership_fee_cents(tier)
            membership.scheduled_tier = ""
            membership.status = Membership.Status.ACTIVE
            membership.grace_until = None
            membership.save()
            _set_tier(contractor, tier)
            message = f"You are now on {label}. We charged {format_cents(charge)}."
        _tell_later(contractor, "membership_changed", {"message": message})
        return message


def _set_tier(contractor: Contractor, tier: str) -> None:
    contractor.tier = tier
    contractor.save(update_fields=["tier", "updated_at"])


def renew_memberships(*, limit: int = 500) -> dict:
    """Beat: at the end of each paid month, apply a waiting downgrade and charge the next
    month of the tier paid for. A month the balance cannot pay gives
    SUBSCRIPTION_GRACE_DAYS of grace from the failed charge, told once; after it the
    contractor goes back to base. A deactivated contractor, or one whose tier ops changed
    by hand, is not charged again: the membership ends."""

    now = timezone.now()
    done = {"renewed": 0, "past_due": 0, "downgraded": 0, "ended": 0}
    # Months to charge first, then graces running out; the ones still in grace (retried
    # each run) last, so they never crowd new renewals out of a batch.
    due = (
        Membership.objects.filter(period_end__lte=now)
        .order_by(F("grace_until").asc(nulls_first=True), "period_end", "pk")
        .values_list("contractor_id", flat=True)
    )
    for contractor_id in list(due[:limit]):
        with transaction.atomic():
            # Contractor first, then the membership: the order change_tier locks them in.
            contractor = Contractor.objects.select_for_update(no_key=True).get(pk=contractor_id)
            membership = (
                Membership.objects.select_for_update()
                .filter(contractor=contractor, period_end__lte=now)
                .first()
            )
            if membership is None:
                continue  # another beat run, or a tier change, got here first
            done[_renew_membership(contractor, membership, now=now)] += 1
    return done


def _renew_membership(contractor: Contractor, membership: Membership, *, now) -> str:
    label = membership.get_tier_display()
    ops_set_tier = contractor.tier not in (membership.tier, membership.scheduled_tier)
    if membership.scheduled_tier and contractor.is_active and not ops_set_tier:
        _set_tier(contractor, membership.scheduled_tier)
        membership.tier = membership.scheduled_tier
        membership.scheduled_tier = ""
        label = membership.get_tier_display()
    if not contractor.is_active or ops_set_tier:
        # Nobody is billed for a month they cannot use, or for a tier they did not choose.
        if not contractor.is_active:
            why = "your account is deactivated"
            if not ops_set_tier:
                _set_tier(contractor, Contractor.Tier.BASE)  # the paid tier ends with it
        else:
            why = (
                f"our team set your tier to {contractor.get_tier_display()}; "
                "there is nothing more to pay for it"
            )
        membership.delete()
        _tell_later(
            contractor, "subscription_ended", {"what": f"Your {label} membership", "why": why}
        )
        return "ended"
    fee = membership_fee_cents(membership.tier)
    if fee == 0:
        membership.delete()  # base is free: nothing left to bill
        return "downgraded"
    outcome = renew_month(
        membership,
        account=account_for(contractor),
        kind=Entry.Kind.MEMBERSHIP,
        fee_cents=fee,
        memo=f"{label} membership, month from "
        f"{clock.local_date(contractor, membership.period_end):%b %-d}",
        key=f"membership:{contractor.pk}:{membership.period_end.isoformat()}",
        now=now,
    )
    if outcome == "lapsed":
        _set_tier(contractor, Contractor.Tier.BASE)
        membership.delete()
        _tell_later(
            contractor,
            "subscription_ended",
            {
                "what": f"Your {label} membership",
                "why": "its monthly fee could not be paid from your balance",
            },
        )
        return "downgraded"
    membership.save()
    if outcome == "past_due":
        tell_payment_due(
            contractor,
            what=f"your {label} membership",
            fee_cents=fee,
            grace_until=membership.grace_until,
            link="billing:home",
        )
    return "renewed" if outcome == "renewed" else "past_due"


def tell_payment_due(
    contractor: Contractor, *, what: str, fee_cents: int, grace_until, link: str
) -> None:
    """Told once, when a month first cannot be paid: what, how much, and until when."""
    notify_contractor(
        contractor,
        template="subscription_payment_due",
        context={"what": what, "fee": format_cents(fee_cents), "grace_until": grace_until},
        link=reverse(link),
    )


def _tell_later(contractor: Contractor, template: str, context: dict) -> None:
    """The message is a row written with the change; it is sent once the change commits."""
    notify_contractor(contractor, template=template, context=context, link=reverse("billing:home"))

"""Credit claims: filing (with the policy's instant decisions), review, appeal, reversal
and proactive credits. Every credit and reversal goes through the ledger, once."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from billing.models import Entry
from leads.models import ContactAttempt, Lead, Purchase
from leads.policy import estimate_job_value_cents
from leads.pricing import lead_price
from leads.services import analytics as lead_analytics
from leads.services import close_invalid_lead
from marketplace import clock
from marketplace.errors import DomainError
from marketplace.models import Contractor
from marketplace.money import format_cents
from marketplace.notifications import notify_contractor

from . import policy, queries
from .models import CreditClaim


class ClaimDeclined(DomainError):
    """Declined at once under the policy; the message is the policy's reason."""


class ClaimNotOpen(DomainError):
    status_code = 409


class ClaimNotFound(DomainError):
    status_code = 404


def _attempts(purchase: Purchase) -> list[policy.Attempt]:
    return [
        policy.Attempt(
            channel=a.channel,
            at=a.attempted_at,
            reached=a.result == ContactAttempt.Result.REACHED,
            logged_at=None if a.verified else a.created_at,
            verified=a.verified,
        )
        for a in purchase.attempts.all()
    ]


def file_claim(purchase: Purchase, *, contractor, reason: str, notes: str, by=None) -> CreditClaim:
    """File a claim. Declined at once (recorded, and the contractor told why) when the
    policy says so without a person, or when the lead was already credited in full;
    otherwise it waits for review and the contractor gets a receipt. `by`: the account
    manager filing it for the contractor (seed 003), under the same policy, recorded."""
    if purchase.contractor_id != contractor.pk:
        raise ClaimNotFound("No such lead among your purchases.")
    with transaction.atomic():
        # The purchase lock orders every credit decision on it: filing, approving,
        # appealing, crediting proactively and reversing (then the claim, then the account).
        purchase = _lock_purchase(purchase.pk)
        now = timezone.now()
        declined = (
            _not_charged(purchase)  # first: nothing else about the claim could change that
            or policy.instant_decline(
                reason=reason,
                notes=notes,
                filed_at=now,
                delivered_at=purchase.created_at,
                attempts=_attempts(purchase),
                time_zone=contractor.timezone,
            )
            or _declined_by_facts(purchase)
        )
        if not declined:
            if purchase.claims.exclude(status=CreditClaim.Status.DECLINED).exists():
                raise ClaimNotOpen("You already filed a credit request for this lead.")
            claim = CreditClaim.objects.create(
                purchase=purchase,
                contractor_id=purchase.contractor_id,
                reason=reason,
                notes=notes.strip(),
                filed_at=now,
                filed_by=by,
                due_by=policy.review_due_by(now, time_zone=contractor.timezone),
            )
            _tell(claim, "claim_received")
            return claim
        if reason in policy.REASONS_BY_SLUG:
            claim = CreditClaim.objects.create(
                purchase=purchase,
                contractor_id=purchase.contractor_id,
                reason=reason,
                notes=notes or "",
                filed_by=by,
                status=CreditClaim.Status.DECLINED,
                decision_reason=declined,
                filed_at=now,
                due_by=now,
                decided_at=now,
            )
            _tell(claim, "claim_decided")  # every decision is emailed with its reason
    raise ClaimDeclined(declined, field="reason" if "reason" in declined else None)


def _lock_purchase(purchase_id: int) -> Purchase:
    # of=("self",): lock the purchase row alone, not the lead and contractor it is read
    # with; a proactive credit holds the lead and then asks for its purchases, so locking
    # the lead from here would deadlock with it.
    return (
        Purchase.objects.select_for_update(no_key=True, of=("self",))
        .select_related("lead", "contractor__user", "offer")
        .get(pk=purchase_id)
    )


def room_cents(purchase: Purchase) -> int:
    """What may still be credited on a purchase: its price less the credits already
    posted on it, net of reversals. Decide on it with the purchase locked."""
    return purchase.price_cents - queries.net_credited_cents(purchase)


def _declined_by_facts(purchase: Purchase) -> str:
    """What the lead's own record says against any claim: its buyer won the job, or it
    was credited in full already. "" when neither."""
    if purchase.outcome == Purchase.Outcome.WON:
        when = ""
        if purchase.won_at is not None:
            when = f" on {clock.local_date(purchase.contractor, purchase.won_at):%b %-d}"
        return (
            f"You marked this job won{when}, with a final value of "
            f"{format_cents(purchase.final_value_cents)}: a job you won is not creditable."
        )
    return _already_credited(purchase)


def _not_charged(purchase: Purchase) -> str:
    """A lead that cost nothing (a call that did not qualify) has nothing to credit."""
    return policy.NOT_CHARGED if purchase.price_cents == 0 else ""


def _already_credited(purchase: Purchase) -> str:
    """Why nothing can be credited any more, or "" while something is left."""
    if room_cents(purchase) > 0:
        return ""
    if not_charged := _not_charged(purchase):
        return not_charged  # not "already credited $0.00"
    last = (
        queries.credit_entries(purchase)
        .filter(kind=Entry.Kind.CREDIT)
        .order_by("-created_at")
        .first()
    )
    when = ""
    if last is not None:
        when = f" on {clock.local_date(purchase.contractor, last.created_at):%b %-d}"
    return (
        f"This lead was already credited {format_cents(purchase.price_cents)}{when}, its full "
        "price: there is nothing left to credit."
    )


def _credit(purchase: Purchase, *, wanted_cents: int, key: str, memo: str, by=None) -> int:
    """Credit up to `wanted_cents` on a locked purchase, never beyond what is left of its
    price; returns the cents credited (0: nothing was left)."""
    amount = min(wanted_cents, room_cents(purchase))
    if amount <= 0:
        return 0
    billing.post_entry(
        billing.account_for(purchase.contractor),
        kind=Entry.Kind.CREDIT,
        amount_cents=amount,
        memo=memo,
        idempotency_key=key,
        created_by=by,
    )
    lead_analytics.count_credit(purchase.pk, amount)
    return amount


def _tell(claim: CreditClaim, template: str, **context) -> None:
    notify_contractor(
        claim.purchase.contractor,
        template=template,
        context={"claim": claim, "lead": claim.purchase.lead, **context},
        link=reverse("credits:credits"),
    )


def _locked_open(claim: CreditClaim) -> CreditClaim:
    """Lock a pending claim, after its purchase (the order every credit decision takes)."""
    purchase_id = CreditClaim.objects.values_list("purchase_id", flat=True).get(pk=claim.pk)
    purchase = _lock_purchase(purchase_id)
    claim = CreditClaim.objects.select_for_update().get(pk=claim.pk)
    claim.purchase = purchase
    if claim.status != CreditClaim.Status.PENDING:
        raise ClaimNotOpen(f"This claim is already {claim.get_status_display().lower()}.")
    return claim


def _check_reviewer(claim: CreditClaim, by) -> None:
    if claim.appealed_at is not None and claim.decided_by_id == by.pk:
        raise DomainError("An appeal is decided by another reviewer than the first decision.")
    if claim.filed_by_id == by.pk:
        raise DomainError("You filed this claim for the contractor: another reviewer decides it.")


def corrected_price_cents(purchase: Purchase, category) -> int:
    """What the same lead costs in another category, on the route it was bought by. The
    job is valued in that category as it was in its own: the size's value there, scaled
    by any correction a screener made to the lead's estimate."""
    lead = purchase.lead
    size_value_here = estimate_job_value_cents(lead.category, lead.job_size)
    size_value_there = estimate_job_value_cents(category, lead.job_size)
    value = (Decimal(size_value_there) * lead.estimated_value_cents / size_value_here).quantize(
        Decimal("1"), rounding=ROUND_HALF_UP
    )
    return lead_price(
        route=purchase.offer.route, category=category, estimated_value_cents=int(value)
    ).cents


@transaction.atomic
def approve_claim(
    claim: CreditClaim, *, by, corrected_category=None, note: str = ""
) -> CreditClaim:
    """Credit the claim through the ledger, once, however often it is clicked, and never
    beyond what is left of the purchase's price (a proactive credit may have come first).

    Wrong category with a corrected category the contractor serves: the price difference
    (partially approved); when the corrected category costs as much or more, there is no
    difference and the claim is denied with that reason. Otherwise the full price.
    """
    claim = _locked_open(claim)
    _check_reviewer(claim, by)
    purchase = claim.purchase
    reached = purchase.lead.verification_reached_at
    if claim.reason == "non_contact" and reached is not None:
        raise DomainError(
            f"Our verification reached the homeowner on {timezone.localtime(reached):%b %-d}, "
            "so non-contact "
            "cannot be credited. Deny it with that reason."
        )
    if purchase.outcome == Purchase.Outcome.WON:
        # Won after the claim was filed: the contractor's own report rules it out.
        raise DomainError(
            f"{_declined_by_facts(purchase)} Deny it with the reason that the job was won."
        )
    wanted = purchase.price_cents
    status = CreditClaim.Status.APPROVED
    if corrected_category is not None:
        if claim.reason != "wrong_category":
            raise DomainError("Only a wrong-category claim has a corrected category.")
        if corrected_category.pk == purchase.lead.category_id:
            raise DomainError(
                f"The lead is already {corrected_category.name}: pick the category the job "
                "really was.",
                field="corrected",
            )
        claim.corrected_category = corrected_category
        if purchase.contractor.categories.filter(pk=corrected_category.pk).exists():
            corrected = corrected_price_cents(purchase, corrected_category)
            wanted = policy.partial_credit_cents(
                paid_cents=purchase.price_cents, corrected_price_cents=corrected
            )
            if wanted == 0:
                claim.status = CreditClaim.Status.DENIED
                claim.decision_reason = policy.no_difference_reason(
                    category=corrected_category.name,
                    corrected=format_cents(corrected),
                    paid=format_cents(purchase.price_cents),
                )
                _decided(claim, by)
                _tell(claim, "claim_decided")
                return claim
            status = CreditClaim.Status.PARTIALLY_APPROVED
    amount = _credit(
        purchase,
        wanted_cents=wanted,
        key=f"credit-claim:{claim.pk}",
        memo=f"Credit: {claim.get_reason_display()} on lead {purchase.lead.reference}",
    )
    claim.status = status
    claim.credited_cents = amount
    if amount == 0:
        claim.decision_reason = (
            f"Approved, but this lead was already credited its full price "
            f"({format_cents(purchase.price_cents)}), so nothing more is credited."
        )
    elif status == CreditClaim.Status.APPROVED:
        claim.decision_reason = f"Approved: {format_cents(amount)} credited to your balance."
    else:
        claim.decision_reason = (
            f"Partially approved: you serve {corrected_category.name}, so the price "
            f"difference of {format_cents(amount)} is credited."
        )
    if 0 < amount < wanted:
        claim.decision_reason += (
            f" That is what was left of the {format_cents(purchase.price_cents)} you paid after "
            "an earlier credit."
        )
    if note.strip():
        claim.decision_reason += f" {note.strip()}"  # the reviewer's words to the pro
    _decided(claim, by)
    _tell(claim, "claim_decided")
    return claim


@transaction.atomic
def deny_claim(claim: CreditClaim, *, by, reason: str, note: str = "") -> CreditClaim:
    """Deny with a reason from the policy, explained in free text."""
    if reason not in policy.DENY_REASONS:
        raise DomainError("Pick the reason for denying from the policy's list.", field="reason")
    claim = _locked_open(claim)
    _check_reviewer(claim, by)
    claim.status = CreditClaim.Status.DENIED
    claim.decision_reason = " ".join(filter(None, [policy.DENY_REASONS[reason], note.strip()]))
    _decided(claim, by)
    _tell(claim, "claim_decided")
    return claim


def _decided(claim: CreditClaim, by) -> None:
    claim.final = claim.appealed_at is not None  # an appeal's decision is final
    claim.decided_by = by
    claim.decided_at = timezone.now()
    claim.overdue = False
    claim.save()


@transaction.atomic
def appeal_claim(claim: CreditClaim, *, contractor, notes: str) -> CreditClaim:
    """One appeal per denied claim, with new notes; a second reviewer decides, finally.
    Refused when the lead has been credited in full meanwhile: nothing is left to win."""
    purchase_id = (
        CreditClaim.objects.filter(pk=claim.pk, purchase__contractor=contractor)
        .values_list("purchase_id", flat=True)
        .first()
    )
    if purchase_id is None:
        raise ClaimNotFound("No such credit request.")
    purchase = _lock_purchase(purchase_id)
    claim = CreditClaim.objects.select_for_update().get(pk=claim.pk)
    if not claim.can_appeal:
        raise ClaimNotOpen(
            "This decision is final."
            if claim.final
            else "Only a denied request can be appealed, once."
        )
    credited = _already_credited(purchase)
    if credited:
        raise ClaimNotOpen(credited)
    if not (notes or "").strip():
        raise DomainError("Explain what the first decision missed.", field="notes")
    now = timezone.now()
    claim.status = CreditClaim.Status.PENDING
    claim.appeal_notes = notes.strip()
    claim.appealed_at = now
    claim.due_by = policy.review_due_by(now, time_zone=contractor.timezone)
    claim.save()
    return claim


@transaction.atomic
def reverse_credit(claim: CreditClaim, *, by, reason: str = policy.REVERSAL_REASON) -> Entry:
    """Take back an approved credit when the homeowner contradicts it: a ledger debit,
    once, and the contractor told why."""
    purchase_id = CreditClaim.objects.values_list("purchase_id", flat=True).get(pk=claim.pk)
    purchase = _lock_purchase(purchase_id)
    claim = CreditClaim.objects.select_for_update().get(pk=claim.pk)
    claim.purchase = purchase
    if claim.status not in {CreditClaim.Status.APPROVED, CreditClaim.Status.PARTIALLY_APPROVED}:
        raise ClaimNotOpen("Only an approved credit can be reversed.")
    if claim.reversed_at is not None or claim.credited_cents == 0:
        raise ClaimNotOpen("This credit was already reversed.")
    entry = billing.post_entry(
        billing.account_for(purchase.contractor),
        kind=Entry.Kind.REVERSAL,
        amount_cents=-claim.credited_cents,
        memo=f"Credit reversed on lead {purchase.lead.reference}",
        idempotency_key=f"credit-reversal:{claim.pk}",
        reason=reason,
        created_by=by,
    )
    lead_analytics.count_credit(purchase.pk, -claim.credited_cents)
    claim.reversed_at = timezone.now()
    claim.reversal_reason = reason
    claim.save(update_fields=["reversed_at", "reversal_reason"])
    _tell(claim, "credit_reversed")
    return entry


@transaction.atomic
def credit_lead_proactively(lead: Lead, *, by, reason: str) -> int:
    """Ops found the lead invalid: every buyer is credited what is left of the price they
    paid (all of it, or the rest after an earlier partial credit), once, and told. A
    pending claim on it is closed as approved by that credit. Returns the buyers credited."""
    if reason not in policy.PROACTIVE_REASONS:
        raise DomainError("Pick a reason we credit proactively.", field="reason")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    label = policy.REASONS_BY_SLUG[reason].label
    if CreditClaim.objects.filter(
        purchase__lead=lead, status=CreditClaim.Status.PENDING, filed_by=by
    ).exists():
        # Crediting would close a claim they filed for a contractor: two people decide.
        raise DomainError(
            f"You filed a claim on {lead.reference} for a contractor: another reviewer "
            "credits this lead."
        )
    buyers = 0
    for purchase_id in lead.purchases.order_by("pk").values_list("pk", flat=True):
        purchase = _lock_purchase(purchase_id)
        if purchase.outcome == Purchase.Outcome.WON:
            continue  # this buyer won the job: the lead was real to them
        key = f"proactive-credit:{purchase.pk}"
        if Entry.objects.filter(idempotency_key=key).exists():
            continue  # credited before: marking a lead invalid twice credits once
        amount = _credit(
            purchase,
            wanted_cents=purchase.price_cents,
            key=key,
            memo=f"Credit: {label} on lead {lead.reference} (found by Fairlead)",
            by=by,
        )
        if amount == 0:
            continue  # a claim already credited it in full
        buyers += 1
        purchase.claims.filter(status=CreditClaim.Status.PENDING).update(
            status=CreditClaim.Status.APPROVED,
            credited_cents=amount,
            decision_reason=f"Credited by Fairlead: {label}.",
            decided_by=by,
            decided_at=timezone.now(),
            overdue=False,
        )
        notify_contractor(
            purchase.contractor,
            template="proactive_credit",
            context={"lead": lead, "amount": format_cents(amount), "label": label},
            link=reverse("credits:credits"),
        )
    # Nobody else is offered or sold a lead Fairlead knows is invalid.
    close_invalid_lead(lead, label=label)
    return buyers


def flag_overdue() -> int:
    """Beat: pending claims past their 2-business-day target are flagged for the queue."""
    return CreditClaim.objects.filter(
        status=CreditClaim.Status.PENDING, overdue=False, due_by__lt=timezone.now()
    ).update(overdue=True)


HISTORY_START = datetime(2000, 1, 1, tzinfo=UTC)  # before any purchase


def rebuild_analytics(contractor: Contractor) -> int:
    """Rebuild the contractor's analytics rollup from the history (leads/services/
    analytics.py), with the credits of each purchase from the ledger: the nightly run,
    the backfill, and `manage.py rebuild_analytics`. Returns the cells written."""
    return lead_analytics.rebuild_analytics(
        contractor,
        read_credits=lambda: queries.net_credits_by_purchase(
            contractor, delivered_from=HISTORY_START, delivered_to=datetime.max.replace(tzinfo=UTC)
        ),
    )


def rebuild_all_analytics() -> int:
    """Beat, nightly: every contractor with a purchase, their cells anew (a changed time
    zone moves their days; any drift is fixed). Returns the contractors."""
    ids = set(Purchase.objects.values_list("contractor_id", flat=True).distinct())
    for contractor in Contractor.objects.filter(pk__in=ids).order_by("pk").iterator():
        rebuild_analytics(contractor)
    return len(ids)

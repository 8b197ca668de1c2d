"""Credit claims: filing (with the policy's instant decisions), review, appeal, reversal
and proactive credits. Every credit and reversal goes through the ledger, once."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from billing.models import Entry
from leads.models import ContactAttempt, Lead, Purchase
from marketplace.errors import DomainError
from marketplace.notifications import notify_contractor
from marketplace.templatetags.money import cents

from . import policy
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
            channel=a.channel, at=a.attempted_at, reached=a.result == ContactAttempt.Result.REACHED
        )
        for a in purchase.attempts.all()
    ]


def deadline(purchase: Purchase):
    return policy.claim_deadline(purchase.created_at)


def file_claim(purchase: Purchase, *, contractor, reason: str, notes: str) -> CreditClaim:
    """File a claim. Declined at once (and recorded) when the policy says so without a
    person; otherwise it waits for review and the contractor gets a receipt."""
    if purchase.contractor_id != contractor.pk:
        raise ClaimNotFound("No such lead among your purchases.")
    now = timezone.now()
    declined = policy.instant_decline(
        reason=reason,
        notes=notes,
        filed_at=now,
        delivered_at=purchase.created_at,
        attempts=_attempts(purchase),
        time_zone=contractor.timezone,
    )
    if declined:
        if reason in policy.REASONS_BY_SLUG:
            CreditClaim.objects.create(
                purchase=purchase,
                reason=reason,
                notes=notes or "",
                status=CreditClaim.Status.DECLINED,
                decision_reason=declined,
                filed_at=now,
                due_by=now,
                decided_at=now,
            )
        raise ClaimDeclined(declined, field="reason" if "reason" in declined else None)
    with transaction.atomic():
        Purchase.objects.select_for_update().get(pk=purchase.pk)
        if purchase.claims.exclude(status=CreditClaim.Status.DECLINED).exists():
            raise ClaimNotOpen("You already filed a credit request for this lead.")
        claim = CreditClaim.objects.create(
            purchase=purchase,
            reason=reason,
            notes=notes.strip(),
            filed_at=now,
            due_by=policy.review_due_by(now),
        )
        _tell(claim, "claim_received")
    return claim


def _tell(claim: CreditClaim, template: str, **context) -> None:
    notify_contractor(
        claim.purchase.contractor,
        template=template,
        context={"claim": claim, "lead": claim.purchase.lead, **context},
        link=reverse("dashboard:credits"),
    )


def _locked_open(claim: CreditClaim) -> CreditClaim:
    claim = (
        CreditClaim.objects.select_for_update().select_related("purchase__lead").get(pk=claim.pk)
    )
    if claim.status != CreditClaim.Status.PENDING:
        raise ClaimNotOpen(f"This claim is already {claim.get_status_display().lower()}.")
    return claim


def _check_reviewer(claim: CreditClaim, by) -> None:
    if claim.appealed_at is not None and claim.decided_by_id == by.pk:
        raise DomainError("An appeal is decided by another reviewer than the first decision.")


@transaction.atomic
def approve_claim(claim: CreditClaim, *, by, corrected_category=None) -> CreditClaim:
    """Credit the claim through the ledger, once, however often it is clicked.

    Wrong category with a corrected category the contractor serves: the price difference
    (partially approved). Otherwise the full price.
    """
    claim = _locked_open(claim)
    _check_reviewer(claim, by)
    purchase = claim.purchase
    reached = purchase.lead.verification_reached_at
    if claim.reason == "non_contact" and reached is not None:
        raise DomainError(
            f"Our verification reached the homeowner on {reached:%b %d}, so non-contact "
            "cannot be credited. Deny it with that reason."
        )
    amount = purchase.price_cents
    status = CreditClaim.Status.APPROVED
    if corrected_category is not None:
        if claim.reason != "wrong_category":
            raise DomainError("Only a wrong-category claim has a corrected category.")
        if purchase.contractor.categories.filter(pk=corrected_category.pk).exists():
            from billing.pricing import lead_price_cents
            from leads.policy import estimate_job_value_cents

            corrected_price = lead_price_cents(
                estimate_job_value_cents(corrected_category, purchase.lead.job_size)
            )
            amount = policy.partial_credit_cents(
                paid_cents=purchase.price_cents, corrected_price_cents=corrected_price
            )
            status = CreditClaim.Status.PARTIALLY_APPROVED
    if amount > 0:
        billing.post_entry(
            billing.account_for(purchase.contractor),
            kind=Entry.Kind.CREDIT,
            amount_cents=amount,
            memo=f"Credit: {claim.get_reason_display()} on lead {purchase.lead.reference}",
            idempotency_key=f"credit-claim:{claim.pk}",
        )
    claim.status = status
    claim.credited_cents = amount
    claim.corrected_category = corrected_category
    claim.decision_reason = (
        f"Approved: {cents(amount)} credited to your balance."
        if status == CreditClaim.Status.APPROVED
        else f"Partially approved: you serve {corrected_category.name}, so the price "
        f"difference of {cents(amount)} is credited."
    )
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
    """One appeal per denied claim, with new notes; a second reviewer decides, finally."""
    claim = (
        CreditClaim.objects.select_for_update()
        .filter(pk=claim.pk, purchase__contractor=contractor)
        .first()
    )
    if claim is None:
        raise ClaimNotFound("No such credit request.")
    if not claim.can_appeal:
        raise ClaimNotOpen(
            "This decision is final."
            if claim.final
            else "Only a denied request can be appealed, once."
        )
    if not (notes or "").strip():
        raise DomainError("Explain what the first decision missed.", field="notes")
    now = timezone.now()
    claim.status = CreditClaim.Status.PENDING
    claim.appeal_notes = notes.strip()
    claim.appealed_at = now
    claim.due_by = policy.review_due_by(now)
    claim.save()
    return claim


@transaction.atomic
def reverse_credit(claim: CreditClaim, *, by, reason: str = policy.REVERSAL_REASON) -> Entry:
    """Take back an approved credit when the homeowner contradicts it: a ledger debit,
    once, and the contractor told why."""
    claim = (
        CreditClaim.objects.select_for_update().select_related("purchase__lead").get(pk=claim.pk)
    )
    if claim.status not in {CreditClaim.Status.APPROVED, CreditClaim.Status.PARTIALLY_APPROVED}:
        raise ClaimNotOpen("Only an approved credit can be reversed.")
    if claim.reversed_at is not None or claim.credited_cents == 0:
        raise ClaimNotOpen("This credit was already reversed.")
    entry = billing.post_entry(
        billing.account_for(claim.purchase.contractor),
        kind=Entry.Kind.REVERSAL,
        amount_cents=-claim.credited_cents,
        memo=f"Credit reversed on lead {claim.purchase.lead.reference}",
        idempotency_key=f"credit-reversal:{claim.pk}",
        reason=reason,
        created_by=by,
    )
    claim.reversed_at = timezone.now()
    claim.reversal_reason = reason
    claim.save(update_fields=["reversed_at", "reversal_reason"])
    _tell(claim, "credit_reversed")
    return entry


@transaction.atomic
def credit_lead_proactively(lead: Lead, *, by, reason: str) -> int:
    """Ops found the lead invalid: every buyer is credited in full, once, and told.
    Buyers already credited by a claim are not credited twice."""
    if reason not in policy.PROACTIVE_REASONS:
        raise DomainError("Pick a reason we credit proactively.", field="reason")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    credited = 0
    label = policy.REASONS_BY_SLUG[reason].label
    for purchase in lead.purchases.select_related("contractor__user"):
        if purchase.claims.filter(
            status__in=[CreditClaim.Status.APPROVED, CreditClaim.Status.PARTIALLY_APPROVED],
            reversed_at__isnull=True,
        ).exists():
            continue
        key = f"proactive-credit:{purchase.pk}"
        if Entry.objects.filter(idempotency_key=key).exists():
            continue  # credited before: marking a lead invalid twice credits once
        billing.post_entry(
            billing.account_for(purchase.contractor),
            kind=Entry.Kind.CREDIT,
            amount_cents=purchase.price_cents,
            memo=f"Credit: {label} on lead {lead.reference} (found by Fairlead)",
            idempotency_key=key,
            created_by=by,
        )
        credited += 1
        purchase.claims.filter(status=CreditClaim.Status.PENDING).update(
            status=CreditClaim.Status.APPROVED,
            credited_cents=purchase.price_cents,
            decision_reason=f"Credited by Fairlead: {label}.",
            decided_by=by,
            decided_at=timezone.now(),
        )
        notify_contractor(
            purchase.contractor,
            template="proactive_credit",
            context={"lead": lead, "amount": cents(purchase.price_cents), "label": label},
            link=reverse("dashboard:credits"),
        )
    return credited


def flag_overdue() -> int:
    """Beat: pending claims past their 2-business-day target are flagged for the queue."""
    return CreditClaim.objects.filter(
        status=CreditClaim.Status.PENDING, overdue=False, due_by__lt=timezone.now()
    ).update(overdue=True)

"""Reads of credit claims, scoped to one contractor or for the review queue."""

from django.db.models import Count, Exists, OuterRef, Q

from .models import CreditClaim


def claims_for(contractor):
    return (
        CreditClaim.objects.filter(purchase__contractor=contractor)
        .select_related("purchase__lead__category", "purchase__lead__zip_code")
        .order_by("-filed_at", "-pk")
    )


def has_counted_claim():
    """For a Purchase queryset: the purchase has a claim that was not declined at once. A
    contractor's claim rate is the share of their purchases that have one (the review
    queue and the ops report both count it this way)."""
    return Exists(
        CreditClaim.objects.filter(purchase=OuterRef("pk")).exclude(
            status=CreditClaim.Status.DECLINED
        )
    )


def claim_rates(contractor_ids) -> dict:
    """Share of purchases each contractor filed a (non-declined) claim on, and the
    average over all contractors with purchases: a reviewer's sense of proportion."""
    from leads.models import Purchase

    rows = (
        Purchase.objects.annotate(counted=has_counted_claim())
        .values("contractor")
        .annotate(bought=Count("pk"), claimed=Count("pk", filter=Q(counted=True)))
        .order_by()
    )
    rates = {r["contractor"]: r["claimed"] / r["bought"] for r in rows if r["bought"]}
    average = sum(rates.values()) / len(rates) if rates else 0.0
    return {
        "rates": {k: v for k, v in rates.items() if k in set(contractor_ids)},
        "average": average,
    }


def can_claim(purchase, *, now) -> bool:
    """The Request credit button shows only while a claim could be accepted for review."""
    from . import policy

    return (
        now <= policy.claim_deadline(purchase.created_at)
        and not purchase.claims.exclude(status=CreditClaim.Status.DECLINED).exists()
    )


# Credits and reversals name what they are about in their ledger idempotency key (written by
# services.approve_claim, reverse_credit and credit_lead_proactively): the ledger is the
# truth of what was credited, the key says for which purchase.
CLAIM_KEY_PREFIXES = {"credit-claim", "credit-reversal"}
PROACTIVE_KEY_PREFIX = "proactive-credit"


def credit_target(idempotency_key: str | None) -> tuple[str, int] | None:
    """("claim", id) or ("purchase", id) for a credit or reversal entry's key."""
    prefix, _, raw = (idempotency_key or "").partition(":")
    if not raw.isdigit():
        return None
    if prefix in CLAIM_KEY_PREFIXES:
        return "claim", int(raw)
    if prefix == PROACTIVE_KEY_PREFIX:
        return "purchase", int(raw)
    return None


def net_credits_by_purchase(contractor, *, delivered_from, delivered_to) -> dict[int, int]:
    """Credits minus reversals, in cents, on each of a contractor's purchases delivered in
    [delivered_from, delivered_to), whenever they were posted. Two queries."""
    from billing.models import Entry

    claim_purchase = dict(
        CreditClaim.objects.filter(
            purchase__contractor=contractor,
            purchase__created_at__gte=delivered_from,
            purchase__created_at__lt=delivered_to,
        ).values_list("pk", "purchase_id")
    )
    entries = Entry.objects.filter(
        account__contractor=contractor,
        kind__in=[Entry.Kind.CREDIT, Entry.Kind.REVERSAL],
        created_at__gte=delivered_from,  # a credit never precedes its purchase
    ).values_list("idempotency_key", "amount_cents")
    net: dict[int, int] = {}
    for key, amount in entries:
        target = credit_target(key)
        if target is None:
            continue
        kind, pk = target
        purchase_id = claim_purchase.get(pk) if kind == "claim" else pk
        if purchase_id is not None:
            net[purchase_id] = net.get(purchase_id, 0) + amount
    return net

"""Reads of credit claims, scoped to one contractor or for the review queue."""

from django.db.models import Count, Q

from .models import CreditClaim


def claims_for(contractor):
    return (
        CreditClaim.objects.filter(purchase__contractor=contractor)
        .select_related("purchase__lead__category", "purchase__lead__zip_code")
        .order_by("-filed_at", "-pk")
    )


def claim_rates(contractor_ids) -> dict:
    """Share of purchases each contractor filed a (non-declined) claim on, and the
    average over all contractors with purchases: a reviewer's sense of proportion."""
    from leads.models import Purchase

    rows = (
        Purchase.objects.values("contractor")
        .annotate(
            bought=Count("pk", distinct=True),
            claimed=Count("claims", filter=~Q(claims__status="declined"), distinct=True),
        )
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

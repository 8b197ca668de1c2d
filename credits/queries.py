"""Reads of credit claims, scoped to one contractor or for the review queue."""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from billing.models import Entry
from leads.models import Purchase

from . import policy
from .models import CreditClaim


def claim_for(contractor, pk):
    """The contractor's own credit claim with this id, or None."""
    return claims_for(contractor).filter(pk=pk).first()


def claims_for(contractor):
    """The contractor's claims, newest first, each with its purchase: read from index
    credit_claim_contractor_idx, a page at a time, whatever the number of purchases."""
    return (
        CreditClaim.objects.filter(contractor=contractor)
        .select_related("purchase")
        .order_by("-filed_at", "-pk")
    )


# What the Credits page shows of a claim and its lead: the page reads these columns only,
# not the forty of each lead and purchase (tests/test_list_query_counts.py would see a
# column read later, one query per row).
CLAIM_PAGE_FIELDS = [
    "purchase__lead__reference",
    "purchase__lead__category__name",
    "purchase__lead__zip_code__city",
    "reason",
    "status",
    "filed_at",
    "due_by",
    "decided_at",
    "appealed_at",
    "final",
    "decision_reason",
    "credited_cents",
    "reversed_at",
    "reversal_reason",
]


def claims_with_leads_for(contractor):
    """claims_for, each with the lead it is about, its category and place (the Credits
    page names them)."""
    return (
        claims_for(contractor)
        .select_related("purchase__lead__category", "purchase__lead__zip_code")
        .only(*CLAIM_PAGE_FIELDS)
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
    """The Request credit button shows only while a claim could be accepted for review:
    inside the window, a job not won, no live claim, and something left to credit (a lead
    that cost nothing, a call that did not qualify, has nothing)."""

    return (
        purchase.price_cents > 0
        and now <= policy.claim_deadline(purchase.created_at)
        and purchase.outcome != Purchase.Outcome.WON
        and not purchase.claims.exclude(status=CreditClaim.Status.DECLINED).exists()
        and net_credited_cents(purchase) < purchase.price_cents
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


def _credit_keys(purchase_ids) -> dict[str, int]:
    """The ledger keys of every credit and reversal of these purchases -> purchase id."""
    purchase_ids = list(purchase_ids)
    keys = {f"{PROACTIVE_KEY_PREFIX}:{pk}": pk for pk in purchase_ids}
    claims = CreditClaim.objects.filter(purchase_id__in=purchase_ids).values_list(
        "pk", "purchase_id"
    )
    for claim_id, purchase_id in claims:
        for prefix in CLAIM_KEY_PREFIXES:
            keys[f"{prefix}:{claim_id}"] = purchase_id
    return keys


def credit_entries(purchase):
    """The ledger's credits and reversals on one purchase (claims' and proactive ones)."""
    return Entry.objects.filter(idempotency_key__in=_credit_keys([purchase.pk]))


def net_credited_by_purchase(purchase_ids) -> dict[int, int]:
    """Credits minus reversals posted on each purchase, from the ledger. Two queries."""
    purchase_ids = list(purchase_ids)
    keys = _credit_keys(purchase_ids)
    net = dict.fromkeys(purchase_ids, 0)
    for key, amount in Entry.objects.filter(idempotency_key__in=keys).values_list(
        "idempotency_key", "amount_cents"
    ):
        net[keys[key]] += amount
    return net


def net_credited_cents(purchase) -> int:
    """What a purchase has been credited, net of reversals (the ledger's word)."""
    return net_credited_by_purchase([purchase.pk])[purchase.pk]


def over_credited_purchases(batch: int = 2000):
    """Purchases whose credits net of reversals exceed their price, or fall below zero:
    (purchase, net cents) for check_ledger. Reads every credited purchase in batches."""
    targets = {
        credit_target(key)
        for key in Entry.objects.filter(
            kind__in=[Entry.Kind.CREDIT, Entry.Kind.REVERSAL]
        ).values_list("idempotency_key", flat=True)
    }
    claim_ids = [pk for kind, pk in filter(None, targets) if kind == "claim"]
    purchase_ids = {pk for kind, pk in filter(None, targets) if kind == "purchase"}
    purchase_ids |= set(
        CreditClaim.objects.filter(pk__in=claim_ids).values_list("purchase_id", flat=True)
    )
    ordered = sorted(purchase_ids)
    for start in range(0, len(ordered), batch):
        chunk = ordered[start : start + batch]
        net = net_credited_by_purchase(chunk)
        prices = dict(Purchase.objects.filter(pk__in=chunk).values_list("pk", "price_cents"))
        bad = [pk for pk in chunk if not 0 <= net[pk] <= prices.get(pk, 0)]
        for purchase in Purchase.objects.filter(pk__in=bad).select_related("lead", "contractor"):
            yield purchase, net[purchase.pk]


def claims_filed(*, start_at, end_at):
    """Claims filed in [start_at, end_at), counted by reason, status and contractor."""
    return (
        CreditClaim.objects.filter(filed_at__gte=start_at, filed_at__lt=end_at)
        .values("reason", "status", "purchase__contractor")
        .annotate(count=Count("pk"))
        .order_by()
    )


def claim_reasons(claim_ids) -> dict[int, str]:
    """Each claim's reason, by id; no query when there is none."""
    if not claim_ids:
        return {}
    return dict(CreditClaim.objects.filter(pk__in=claim_ids).order_by().values_list("pk", "reason"))


def purchases_and_claims_by_contractor(*, start_at, end_at):
    """Per contractor: purchases in [start_at, end_at), their spend, and how many carry a
    counted claim."""
    return (
        Purchase.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
        .annotate(counted=has_counted_claim())
        .values("contractor")
        .annotate(
            count=Count("pk"),
            spend=Sum("price_cents"),
            claimed=Count("pk", filter=Q(counted=True)),
        )
        .order_by()
    )


def overdue_claims(*, limit: int = 100):
    """Pending claims past their due time, soonest due first: (up to `limit` rows, how many
    in all)."""
    overdue = CreditClaim.objects.filter(
        status=CreditClaim.Status.PENDING, due_by__lt=timezone.now()
    ).order_by("due_by")
    rows = list(overdue.select_related("purchase__contractor__user", "purchase__lead")[:limit])
    return rows, len(rows) if len(rows) < limit else overdue.count()

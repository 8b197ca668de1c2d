"""What the lead page shows about credits on a purchase. The page belongs to leads, which
never imports credits (the apps' one-way order), so credits lends it this tag."""

from django import template
from django.utils import timezone

from credits import policy, queries

register = template.Library()


@register.simple_tag
def credit_state(purchase) -> dict:
    """`{% credit_state purchase as credit %}`: may a claim be filed now, what was credited
    net of reversals, and until when a claim may be filed."""
    return {
        "can_claim": queries.can_claim(purchase, now=timezone.now()),
        "credited_cents": queries.net_credited_cents(purchase),
        "claim_deadline": policy.claim_deadline(purchase.created_at),
    }

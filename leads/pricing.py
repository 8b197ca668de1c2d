"""What a lead costs the contractor who buys it: the one function that knows the price
depends on the route the lead reached them by (DESIGN, "What a lead costs depends on its
route"). Routing, the offer pages, notifications and partial credits ask it; nothing else
says "1%".

- marketplace and profile leads: 1% of the estimated job value (billing.pricing);
- a lead from an exclusive territory: the per-lead fee of its category (territories.pricing).
"""

from dataclasses import dataclass

from billing import pricing as billing_pricing
from marketplace.models import ServiceCategory
from marketplace.money import format_cents
from territories import pricing as territory_pricing

from .models import Offer

FEE_ROUTES = {Offer.Route.TERRITORY}


@dataclass(frozen=True)
class LeadPrice:
    cents: int
    # How it was computed, in the words a contractor reads before buying:
    # "1% of the estimated job value of $450.00".
    formula: str


def lead_price(*, route: str, category: ServiceCategory, estimated_value_cents: int) -> LeadPrice:
    """The price of a lead of `category` estimated at `estimated_value_cents`, bought
    through `route` (an Offer.Route)."""
    if route in FEE_ROUTES:
        fee = territory_pricing.lead_fee_cents(category.slug)
        return LeadPrice(fee, f"the per-lead fee of an exclusive {category.name} territory")
    price = billing_pricing.lead_price_cents(estimated_value_cents)
    return LeadPrice(
        price,
        f"{billing_pricing.rate_label()} of the estimated job value of "
        f"{format_cents(estimated_value_cents)}",
    )


def offer_price(offer: Offer) -> LeadPrice:
    """What this offer costs and why. The amount is the one the offer was made at."""
    lead = offer.lead
    price = lead_price(
        route=offer.route, category=lead.category, estimated_value_cents=lead.estimated_value_cents
    )
    return LeadPrice(offer.price_cents, price.formula)

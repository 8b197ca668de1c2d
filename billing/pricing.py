"""The lead price: the one place it is computed."""

from decimal import ROUND_HALF_UP, Decimal

LEAD_PRICE_RATE = Decimal("0.01")  # 1% of the estimated job value


def lead_price_cents(estimated_value_cents: int) -> int:
    """1% of the estimated job value, rounded half up to the cent."""
    if estimated_value_cents < 0:
        raise ValueError("An estimated value cannot be negative.")
    price = Decimal(estimated_value_cents) * LEAD_PRICE_RATE
    return int(price.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def price_formula(estimated_value_cents: int) -> str:
    """How the price was computed, for the contractor to see before buying."""
    from marketplace.templatetags.money import cents

    return (
        f"1% of the estimated job value {cents(estimated_value_cents)} = "
        f"{cents(lead_price_cents(estimated_value_cents))}"
    )

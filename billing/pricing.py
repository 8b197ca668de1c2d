"""The lead price: the one place it is computed."""

from decimal import ROUND_HALF_UP, Decimal

LEAD_PRICE_RATE = Decimal("0.01")  # 1% of the estimated job value


def lead_price_cents(estimated_value_cents: int) -> int:
    """1% of the estimated job value, rounded half up to the cent."""
    if estimated_value_cents < 0:
        raise ValueError("An estimated value cannot be negative.")
    price = Decimal(estimated_value_cents) * LEAD_PRICE_RATE
    return int(price.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def rate_label() -> str:
    """The marketplace rate as people read it: "1%"."""
    return f"{(LEAD_PRICE_RATE * 100).normalize():f}%"

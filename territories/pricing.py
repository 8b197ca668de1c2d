"""What a territory costs: the one place its monthly fee, discounts and per-lead fee are
computed (DESIGN, Money). Plain functions of figures; territories/queries.py reads them.

monthly fee = expected leads a month × average job value × TERRITORY_FEE_PERCENT
              × demand index, rounded half up to the dollar, at least the floor;
              or the price ops set for the pair.
charged     = monthly fee − volume discount (by zips held) − additional-category discount
              (a second or later category in the same zip), applied one after the other.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from marketplace.money import format_cents

MONTHS_OF_HISTORY = 12


@dataclass(frozen=True)
class Figures:
    """What a (zip, category) is worth, as the territory page shows it."""

    leads_12m: int
    average_value_cents: int
    demand_percent: int = 100
    override_cents: int | None = None


def _half_up(value: Decimal, step: int = 1) -> int:
    return int((value / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * step


def expected_monthly_leads(leads_12m: int) -> Decimal:
    """Last year's leads spread over the months, but never below the minimum: a zip nobody
    asked from yet still has a price."""
    per_month = Decimal(leads_12m) / MONTHS_OF_HISTORY
    return max(per_month, Decimal(settings.TERRITORY_MIN_MONTHLY_LEADS))


def monthly_fee_cents(figures: Figures) -> int:
    if figures.override_cents is not None:
        return figures.override_cents
    raw = (
        expected_monthly_leads(figures.leads_12m)
        * figures.average_value_cents
        * Decimal(settings.TERRITORY_FEE_PERCENT)
        / 100
        * Decimal(figures.demand_percent)
        / 100
    )
    return max(_half_up(raw, step=100), settings.TERRITORY_FEE_FLOOR_CENTS)


def fee_formula(figures: Figures) -> str:
    """How the monthly fee came about, in the words the contractor reads before paying."""
    if figures.override_cents is not None:
        return f"{format_cents(figures.override_cents)} a month, set by Fairlead for this zip code."
    leads = expected_monthly_leads(figures.leads_12m).quantize(Decimal("0.1"))
    text = (
        f"{leads} expected leads a month × {format_cents(figures.average_value_cents)} average job"
        f" × {settings.TERRITORY_FEE_PERCENT}%"
    )
    if figures.demand_percent != 100:
        text += f" × demand {figures.demand_percent}%"
    fee = monthly_fee_cents(figures)
    if fee == settings.TERRITORY_FEE_FLOOR_CENTS:
        return f"{text}, at least the {format_cents(fee)} minimum."
    return f"{text} = {format_cents(fee)}, rounded to the dollar."


def volume_steps() -> list[tuple[int, int]]:
    """The volume discount's steps, (zips held, percent off), smallest first."""
    return sorted(
        (int(zips), percent) for zips, percent in settings.TERRITORY_VOLUME_DISCOUNTS.items()
    )


def volume_discount_percent(zip_count: int) -> int:
    """The discount for holding `zip_count` zip codes: the highest step reached."""
    reached = [percent for threshold, percent in volume_steps() if zip_count >= threshold]
    return max(reached, default=0)


def lead_fee_cents(category_slug: str) -> int:
    """The fee for one qualified lead delivered through a territory of this category."""
    fees = settings.TERRITORY_LEAD_FEE_CENTS
    return fees.get(category_slug, fees["default"])


@dataclass
class Line:
    """One (zip, category) of a quote: its price and the discounts it gets."""

    zip_code: str
    city: str
    category: str
    list_price_cents: int
    formula: str
    volume_percent: int = 0
    extra_category_percent: int = 0

    @property
    def fee_cents(self) -> int:
        price = Decimal(self.list_price_cents)
        price = price * (100 - self.volume_percent) / 100
        price = price * (100 - self.extra_category_percent) / 100
        return _half_up(price)

    @property
    def discount_cents(self) -> int:
        return self.list_price_cents - self.fee_cents

    def as_record(self) -> dict:
        """Kept on the subscription: how its fee was computed."""
        return {
            "list_price_cents": self.list_price_cents,
            "formula": self.formula,
            "volume_percent": self.volume_percent,
            "extra_category_percent": self.extra_category_percent,
            "fee_cents": self.fee_cents,
        }


@dataclass
class Quote:
    lines: list[Line] = field(default_factory=list)
    zips_held_after: int = 0
    volume_percent: int = 0
    lead_fee_cents: int = 0

    @property
    def list_total_cents(self) -> int:
        return sum(line.list_price_cents for line in self.lines)

    @property
    def total_cents(self) -> int:
        return sum(line.fee_cents for line in self.lines)

    @property
    def discount_cents(self) -> int:
        return self.list_total_cents - self.total_cents


def discount_lines(lines: list[Line], *, held: set[tuple[str, str]]) -> Quote:
    """Apply the discounts to new lines, given the (zip, category slug) pairs already held.

    Volume: by the number of distinct zips held once these are added. Additional category:
    a line whose zip already has one of the contractor's categories (held, or earlier in
    these lines) is a second category there.
    """
    zips = {zip_code for zip_code, _ in held} | {line.zip_code for line in lines}
    seen_zips = {zip_code for zip_code, _ in held}
    for line in lines:
        apply_discounts(line, zips_held=len(zips), first_in_zip=line.zip_code not in seen_zips)
        seen_zips.add(line.zip_code)
    return Quote(
        lines=lines, zips_held_after=len(zips), volume_percent=volume_discount_percent(len(zips))
    )


def apply_discounts(line: Line, *, zips_held: int, first_in_zip: bool) -> Line:
    """The two discounts of one (zip, category), at subscribing and at each renewal: the
    volume step reached by the distinct zips held with it, and the additional-category
    discount for every category of a zip but the first one held there."""
    line.volume_percent = volume_discount_percent(zips_held)
    line.extra_category_percent = (
        0 if first_in_zip else settings.TERRITORY_EXTRA_CATEGORY_DISCOUNT_PERCENT
    )
    return line

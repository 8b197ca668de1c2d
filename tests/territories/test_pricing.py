"""The territory price, computed by hand for each case (defaults: 5% of the expected
monthly job value, at least 1 lead a month, floor $29, rounded half up to the dollar)."""

import pytest

from territories import pricing
from territories.pricing import Figures, Line


@pytest.mark.parametrize(
    ("figures", "expected_cents", "why"),
    [
        (Figures(0, 45_000), 2_900, "1 lead × $450 × 5% = $22.50, below the $29 floor"),
        (Figures(24, 120_000), 12_000, "2 leads × $1,200 × 5% = $120"),
        (Figures(18, 100_000, 150), 11_300, "1.5 × $1,000 × 5% × 150% = $112.50 → $113"),
        (Figures(6, 80_000), 4_000, "0.5 leads counts as the minimum 1: 1 × $800 × 5% = $40"),
        (Figures(120, 45_000, 50), 11_300, "10 × $450 × 5% × 50% = $112.50 → $113"),
        (Figures(120, 45_000, 50, override_cents=9_900), 9_900, "ops' price wins"),
        (Figures(0, 45_000, override_cents=500), 500, "an override may go below the floor"),
    ],
)
def test_monthly_fee(figures, expected_cents, why):
    assert pricing.monthly_fee_cents(figures) == expected_cents, why


def test_the_formula_says_how_the_fee_was_computed():
    assert pricing.fee_formula(Figures(24, 120_000)) == (
        "2.0 expected leads a month × $1,200.00 average job × 5% = $120.00, rounded to the dollar."
    )
    assert pricing.fee_formula(Figures(18, 100_000, 150)).startswith(
        "1.5 expected leads a month × $1,000.00 average job × 5% × demand 150% = $113.00"
    )
    assert "at least the $29.00 minimum" in pricing.fee_formula(Figures(0, 45_000))
    assert "set by Fairlead" in pricing.fee_formula(Figures(0, 45_000, override_cents=9_900))


def test_the_floor_and_rate_are_settings(settings):
    settings.TERRITORY_FEE_FLOOR_CENTS = 1_000
    settings.TERRITORY_FEE_PERCENT = 10
    assert pricing.monthly_fee_cents(Figures(0, 45_000)) == 4_500  # 1 × $450 × 10%


@pytest.mark.parametrize(
    ("zips", "percent"), [(1, 0), (4, 0), (5, 10), (9, 10), (10, 15), (40, 15)]
)
def test_volume_discount_steps(zips, percent):
    assert pricing.volume_discount_percent(zips) == percent


@pytest.mark.parametrize(
    ("list_price", "volume", "extra", "fee"),
    [
        (10_000, 0, 0, 10_000),
        (10_000, 10, 0, 9_000),
        (10_000, 10, 20, 7_200),  # $100 − 10% = $90, − 20% = $72
        (2_900, 15, 0, 2_465),  # $29 − 15% = $24.65
        (2_999, 15, 20, 2_039),  # 2999 × .85 = 2549.15 × .8 = 2039.32 → $20.39
    ],
)
def test_discounts_apply_one_after_the_other(list_price, volume, extra, fee):
    line = Line("78701", "", "Plumbing", list_price, "", volume, extra)
    assert line.fee_cents == fee
    assert line.discount_cents == list_price - fee


def test_a_second_category_in_a_zip_is_discounted_and_zips_count_for_volume():
    lines = [Line(code, "", "Plumbing", 10_000, "") for code in ["78701", "78702"]]
    quote = pricing.discount_lines(lines, held={("78701", "roofing")})
    assert quote.zips_held_after == 2 and quote.volume_percent == 0
    assert [line.extra_category_percent for line in quote.lines] == [20, 0]
    assert quote.total_cents == 8_000 + 10_000
    assert quote.discount_cents == 2_000


def test_five_zips_at_once_earn_the_volume_discount_on_each():
    lines = [Line(f"7870{i}", "", "Plumbing", 10_000, "") for i in range(1, 6)]
    quote = pricing.discount_lines(lines, held=set())
    assert quote.volume_percent == 10
    assert quote.total_cents == 5 * 9_000
    held = {(f"7870{i}", "plumbing") for i in range(1, 5)}  # 4 held + 1 new = 5 zips
    quote = pricing.discount_lines([Line("78705", "", "HVAC", 10_000, "")], held=held)
    assert quote.volume_percent == 10 and quote.total_cents == 9_000


def test_the_lead_fee_is_per_category_with_a_default(settings):
    settings.TERRITORY_LEAD_FEE_CENTS = {"default": 1_500, "roofing": 4_000}
    assert pricing.lead_fee_cents("roofing") == 4_000
    assert pricing.lead_fee_cents("plumbing") == 1_500

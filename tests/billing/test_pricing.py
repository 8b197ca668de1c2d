import pytest

from billing.pricing import lead_price_cents, rate_label


@pytest.mark.parametrize(
    ("estimated_value_cents", "price_cents"),
    [
        (45_000, 450),  # $450 job -> $4.50
        (950_000, 9_500),  # $9,500 roof -> $95.00
        (12_345, 123),  # 123.45 -> 123 (down)
        (12_350, 124),  # 123.50 -> 124 (half up)
        (12_349, 123),
        (50, 1),  # 0.5 cent -> 1 cent
        (49, 0),
        (0, 0),
        (99_999_999, 1_000_000),
    ],
)
def test_price_is_one_percent_rounded_half_up_to_the_cent(estimated_value_cents, price_cents):
    assert lead_price_cents(estimated_value_cents) == price_cents
    assert isinstance(lead_price_cents(estimated_value_cents), int)


def test_negative_values_are_refused():
    with pytest.raises(ValueError):
        lead_price_cents(-1)


def test_the_rate_reads_as_people_write_it():
    assert rate_label() == "1%"

"""The server-side SVG chart: axis labels a person can read."""

from types import SimpleNamespace

import pytest

from insights.charts import Series, money_label, month_chart

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def rows(first_month: int, year: int, count: int):
    out = []
    for index in range(count):
        month = (first_month - 1 + index) % 12
        label = f"{MONTHS[month]} {year + (first_month - 1 + index) // 12}"
        out.append(SimpleNamespace(label=label, metrics=SimpleNamespace(net=index * 100)))
    return out


def years(chart):
    return [(label["month"], label["year"]) for label in chart.x_labels if label["year"]]


@pytest.mark.parametrize(
    ("first_month", "year", "count", "expected"),
    [
        (12, 2025, 12, [("Jan", "2026")]),  # not "2025" and "2026" on top of each other
        (11, 2025, 13, [("Nov", "2025"), ("Jan", "2026")]),
        (3, 2026, 6, [("Mar", "2026")]),
        (1, 2026, 1, [("Jan", "2026")]),
    ],
)
def test_the_year_is_under_the_first_month_and_each_january(first_month, year, count, expected):
    chart = month_chart(
        rows(first_month, year, count),
        bars=[Series(attr="net", label="Net", css="net")],
        lines=[],
        title="t",
    )
    assert years(chart) == expected


@pytest.mark.parametrize(
    ("cents", "label"),
    [(0, "$0"), (25_000, "$250"), (150_000, "$1.5k"), (1_200_000, "$12k")],
)
def test_money_labels_are_short(cents, label):
    assert money_label(cents) == label

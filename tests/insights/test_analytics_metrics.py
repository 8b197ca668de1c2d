"""Every analytics metric on the hand-checked dataset of analytics_dataset.py (the table and
the arithmetic are written there; each expected number repeats its working here)."""

from datetime import UTC, date, datetime

import pytest

from credits.services import rebuild_analytics
from insights.analytics import (
    Period,
    contractor_analytics,
    median_int,
    per_unit_cents,
    period_errors,
    preset_dates,
    ratio_bp,
)

from .analytics_dataset import build

pytestmark = pytest.mark.django_db

JAN_FEB = Period(date(2026, 1, 1), date(2026, 3, 1), "America/Los_Angeles")


@pytest.fixture
def data(contractor, other_contractor, clock):
    build(contractor, clock, other=other_contractor)
    return contractor_analytics(contractor, JAN_FEB)


def rows(data, group):
    return {row.key: row for row in data.groups[group]}


def test_totals(data):
    t = data.totals
    assert t.leads == 6  # P1..P6; P7 is Mar 1 00:30 in LA, Bob's lead is not Alice's
    assert t.offers_seen == 10  # 6 accepted + declined + expired + withdrawn + pending
    assert t.offers_accepted == 6
    assert t.acceptance_rate_bp == 7_500  # 6 / (6 + 1 declined + 1 expired) = 75.00 %
    assert t.spend_cents == 37_000  # 4,500 + 12,000 + 5,000 + 8,000 + 4,500 + 3,000
    assert t.credits_cents == 7_500  # P3 5,000 − 5,000 reversed + P5 4,500 + P6 3,000
    assert t.net_cost_cents == 29_500  # 37,000 − 7,500
    assert t.contacted == 5  # P5 has no attempt
    assert t.median_response_seconds == 1_200  # 300, 600, [1200], 1800, 3600
    assert t.appointments == 3  # P1 won, P2 appointment, P4 won
    assert t.wins == 2
    assert t.won_revenue_cents == 2_100_000  # 600,000 + 1,500,000
    assert t.cost_per_appointment_cents == 9_833  # 29,500 / 3 = 9,833.33
    assert t.cost_per_win_cents == 14_750  # 29,500 / 2
    assert t.return_on_spend_bp == 711_864  # 2,100,000 / 29,500 = 71.1864×


def test_connection_types_clicks_and_fees(data):
    assert data.connections == {
        "marketplace": 4,  # P1 P2 P5 P6
        "territory": 1,  # P3
        "profile": 1,  # P4
        "call": 0,  # no call rang Alice
        "phone_click": 3,  # the Mar 2 click is outside
        "website_click": 1,  # Bob's click is Bob's
    }
    assert data.fees_cents == {"subscription": 20_000, "membership": 9_900}
    assert data.fixed_fees_cents == 29_900


def test_by_source(data):
    by = rows(data, "source")
    assert list(by) == ["marketplace", "marketplace:google", "territory", "profile"]
    google = by["marketplace:google"]  # P1 "Google" and P5 "google" are one source
    assert google.label == "Marketplace · google"
    assert google.metrics.as_dict() == {
        "offers_seen": 2,
        "offers_accepted": 2,
        "acceptance_rate_bp": 10_000,
        "leads": 2,
        "spend_cents": 9_000,  # 4,500 + 4,500
        "credits_cents": 4_500,  # P5 proactive
        "net_cost_cents": 4_500,
        "contacted": 1,
        "median_response_seconds": 300,
        "appointments": 1,
        "wins": 1,
        "won_revenue_cents": 600_000,
        "cost_per_appointment_cents": 4_500,
        "cost_per_win_cents": 4_500,
        "return_on_spend_bp": 1_333_333,  # 600,000 / 4,500 = 133.33×
    }
    plain = by["marketplace"].metrics  # P2, P6 and the four other offers
    assert by["marketplace"].label == "Marketplace"
    assert (plain.offers_seen, plain.offers_accepted, plain.acceptance_rate_bp) == (6, 2, 5_000)
    assert (plain.leads, plain.spend_cents, plain.credits_cents) == (2, 15_000, 3_000)
    assert plain.net_cost_cents == 12_000
    assert plain.median_response_seconds == 1_500  # (1200 + 1800) / 2
    assert (plain.appointments, plain.wins, plain.won_revenue_cents) == (1, 0, 0)
    assert plain.cost_per_appointment_cents == 12_000
    assert plain.cost_per_win_cents is None  # no win: no cost per win, not a division by 0
    assert plain.return_on_spend_bp == 0
    territory = by["territory"].metrics  # P3: credited then reversed
    assert (territory.spend_cents, territory.credits_cents, territory.net_cost_cents) == (
        5_000,
        0,
        5_000,
    )
    assert territory.cost_per_appointment_cents is None
    profile = by["profile"].metrics  # P4
    assert profile.return_on_spend_bp == 1_875_000  # 1,500,000 / 8,000 = 187.5×
    assert by["profile"].label == "Profile lead"


def test_by_city(data):
    by = rows(data, "city")
    assert list(by) == ["Austin, TX", "San Diego, CA"]  # most won revenue first
    austin = by["Austin, TX"].metrics  # P3, P4, P5 + O10 withdrawn, O11 pending
    assert austin.as_dict() == {
        "offers_seen": 5,
        "offers_accepted": 3,
        "acceptance_rate_bp": 10_000,  # 3 / 3 answered
        "leads": 3,
        "spend_cents": 17_500,  # 5,000 + 8,000 + 4,500
        "credits_cents": 4_500,
        "net_cost_cents": 13_000,
        "contacted": 2,
        "median_response_seconds": 2_100,  # (600 + 3600) / 2
        "appointments": 1,
        "wins": 1,
        "won_revenue_cents": 1_500_000,
        "cost_per_appointment_cents": 13_000,
        "cost_per_win_cents": 13_000,
        "return_on_spend_bp": 1_153_846,  # 1,500,000 / 13,000 = 115.3846×
    }
    san_diego = by["San Diego, CA"].metrics  # P1, P2, P6 + O8 declined, O9 expired
    assert (san_diego.leads, san_diego.spend_cents, san_diego.credits_cents) == (3, 19_500, 3_000)
    assert san_diego.net_cost_cents == 16_500
    assert (san_diego.appointments, san_diego.wins) == (2, 1)
    assert san_diego.cost_per_appointment_cents == 8_250  # 16,500 / 2
    assert san_diego.cost_per_win_cents == 16_500
    assert san_diego.return_on_spend_bp == 363_636  # 600,000 / 16,500 = 36.3636×
    assert san_diego.acceptance_rate_bp == 6_000  # 3 / 5
    assert san_diego.median_response_seconds == 1_200  # 300, [1200], 1800
    assert data.best("city").label == "Austin, TX"


def test_by_category(data):
    by = rows(data, "category")
    assert list(by) == ["roofing", "plumbing"]
    plumbing = by["plumbing"].metrics  # P1, P3, P5, P6 + O8 declined, O10 withdrawn
    assert (plumbing.leads, plumbing.spend_cents, plumbing.credits_cents) == (4, 17_000, 7_500)
    assert plumbing.net_cost_cents == 9_500
    assert plumbing.acceptance_rate_bp == 8_000  # 4 / 5
    assert plumbing.median_response_seconds == 1_800  # 300, [1800], 3600
    assert plumbing.cost_per_appointment_cents == 9_500
    assert plumbing.return_on_spend_bp == 631_579  # 600,000 / 9,500 = 63.1579×
    roofing = by["roofing"].metrics  # P2, P4 + O9 expired, O11 pending
    assert (roofing.leads, roofing.spend_cents, roofing.net_cost_cents) == (2, 20_000, 20_000)
    assert roofing.acceptance_rate_bp == 6_667  # 2 / 3 = 66.67 %
    assert roofing.median_response_seconds == 900  # (600 + 1200) / 2
    assert roofing.cost_per_appointment_cents == 10_000  # 20,000 / 2
    assert roofing.cost_per_win_cents == 20_000
    assert roofing.return_on_spend_bp == 750_000  # 75×
    assert by["roofing"].label == "Roofing"
    assert data.best("category").label == "Roofing"


def test_by_month_in_the_contractors_time_zone(data):
    by = rows(data, "month")
    assert list(by) == ["2026-01", "2026-02"]
    january = by["2026-01"].metrics  # P1, P2 + O8, O9
    assert (january.leads, january.spend_cents, january.net_cost_cents) == (2, 16_500, 16_500)
    assert january.acceptance_rate_bp == 5_000  # 2 / 4
    assert january.won_revenue_cents == 600_000
    february = by["2026-02"].metrics  # P3..P6 (P6 on Feb 28 23:30 in LA) + O10, O11
    assert (february.leads, february.spend_cents, february.credits_cents) == (4, 20_500, 7_500)
    assert february.net_cost_cents == 13_000
    assert february.offers_seen == 6
    assert february.acceptance_rate_bp == 10_000  # 4 / 4
    assert february.median_response_seconds == 1_800  # 600, [1800], 3600
    assert by["2026-02"].label == "Feb 2026"


def test_every_month_of_the_period_has_a_row_even_without_data(contractor, clock):
    build(contractor, clock)
    data = contractor_analytics(
        contractor, Period(date(2025, 11, 15), date(2026, 3, 1), "America/Los_Angeles")
    )
    assert [row.key for row in data.groups["month"]] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert data.groups["month"][0].metrics.is_empty


def test_in_utc_p6_moves_to_march(contractor, clock):
    build(contractor, clock)
    contractor.timezone = "UTC"
    contractor.save(update_fields=["timezone"])
    rebuild_analytics(contractor)  # the nightly run puts the days in the new zone
    data = contractor_analytics(contractor, Period(date(2026, 1, 1), date(2026, 3, 1), "UTC"))
    assert data.totals.leads == 5  # P6 was delivered on Mar 1 UTC


def test_an_empty_period_is_empty(contractor):
    data = contractor_analytics(
        contractor, Period(date(2026, 1, 1), date(2026, 2, 1), "America/Los_Angeles")
    )
    assert data.is_empty
    assert data.totals.cost_per_appointment_cents is None
    assert data.totals.return_on_spend_bp is None
    assert data.totals.median_response_seconds is None
    assert data.best("city") is None


def test_number_helpers_round_half_up_without_floats():
    assert ratio_bp(2, 3) == 6_667 and ratio_bp(1, 3) == 3_333 and ratio_bp(1, 8) == 1_250
    assert ratio_bp(5, 0) is None
    assert per_unit_cents(29_500, 3) == 9_833 and per_unit_cents(5, 2) == 3
    assert per_unit_cents(-5, 2) == -3 and per_unit_cents(10, 0) is None
    assert median_int([]) is None and median_int([7]) == 7 and median_int([1, 4]) == 2
    assert isinstance(ratio_bp(2, 3), int) and isinstance(per_unit_cents(29_500, 3), int)


def test_presets_and_period_rules():
    today = date(2026, 3, 2)
    assert preset_dates("last_30_days", today=today) == (date(2026, 2, 1), date(2026, 3, 3))
    assert preset_dates("this_month", today=today) == (date(2026, 3, 1), date(2026, 3, 3))
    assert preset_dates("last_month", today=today) == (date(2026, 2, 1), date(2026, 3, 1))
    assert preset_dates("this_year", today=today) == (date(2026, 1, 1), date(2026, 3, 3))
    assert preset_dates("last_12_months", today=today) == (date(2025, 4, 1), date(2026, 3, 3))
    assert preset_dates("last_month", today=date(2026, 1, 15)) == (
        date(2025, 12, 1),
        date(2026, 1, 1),
    )
    assert period_errors(date(2026, 1, 1), date(2026, 3, 1), today=today) == {}
    assert "end" in period_errors(date(2026, 3, 1), date(2026, 3, 1), today=today)
    assert "start" in period_errors(date(2026, 3, 5), date(2026, 4, 1), today=today)
    assert "start" in period_errors(date(1999, 12, 31), date(2000, 2, 1), today=today)
    assert "three years" in period_errors(date(2020, 1, 1), date(2026, 3, 1), today=today)["end"]


def test_a_booked_job_lost_afterwards_still_counts_its_appointment(contractor, clock):
    from leads.services import record_outcome
    from tests.factories import PurchaseFactory, fund

    fund(contractor, 10_000)
    clock.move_to(datetime(2026, 1, 15, 18, 0, tzinfo=UTC))
    purchase = PurchaseFactory(contractor=contractor, price_cents=1_000)
    record_outcome(purchase, outcome="appointment")
    booked_at = purchase.appointment_booked_at
    record_outcome(purchase, outcome="lost", lost_reason="Hired a cousin.")
    record_outcome(purchase, outcome="won", final_value_cents=50_000)  # came back after all
    purchase.refresh_from_db()
    assert purchase.appointment_booked_at == booked_at  # the first booking is kept
    totals = contractor_analytics(contractor, JAN_FEB).totals
    assert (totals.appointments, totals.wins) == (1, 1)
    assert totals.cost_per_appointment_cents == 1_000

"""The credit policy, rule by rule, with a controllable clock (seed 003)."""

from datetime import UTC, datetime, timedelta

import pytest

from credits import policy
from credits.policy import Attempt

# Delivered Monday 2026-03-02 at 10:00 in Los Angeles (18:00 UTC).
DELIVERED = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
LA = "America/Los_Angeles"


def at(days=0, hours=0, minutes=0):
    return DELIVERED + timedelta(days=days, hours=hours, minutes=minutes)


FULL_SCHEDULE = [
    Attempt("call", at(minutes=10), False),
    Attempt("call", at(hours=4), False),
    Attempt("call", at(days=1, hours=1), False),
    Attempt("call", at(days=2, hours=1), False),
    Attempt("text", at(days=2, hours=2), False),
]


def decline(reason="non_working_phone", notes="Number says disconnected.", filed=None, attempts=()):
    return policy.instant_decline(
        reason=reason,
        notes=notes,
        filed_at=filed or at(hours=1),
        delivered_at=DELIVERED,
        attempts=list(attempts),
        time_zone=LA,
    )


def test_every_reason_of_the_design_is_in_the_policy():
    assert [r.slug for r in policy.REASONS] == [
        "incorrect_contact",
        "non_working_phone",
        "wrong_category",
        "wrong_location",
        "duplicate",
        "test_or_solicitation",
        "looking_for_work",
        "not_authorized",
        "already_hired",
        "did_not_request",
        "misleading_ad",
        "do_not_call",
        "fraudulent",
        "non_contact",
    ]
    assert [r.slug for r in policy.REASONS if r.partial] == ["wrong_category"]
    assert all(r.label and r.help for r in policy.REASONS)


@pytest.mark.parametrize("reason", [r.slug for r in policy.REASONS if r.slug != "non_contact"])
def test_each_reason_with_notes_in_the_window_goes_to_review(reason):
    assert decline(reason=reason) == ""


@pytest.mark.parametrize(
    ("filed", "declined"),
    [
        (at(days=5), False),  # exactly 5 days after delivery: still in time
        (at(days=5, minutes=1), True),
        (at(days=30), True),
    ],
)
def test_the_five_day_window(filed, declined):
    assert bool(decline(filed=filed)) is declined
    if declined:
        assert "within 5 days" in decline(filed=filed)


@pytest.mark.parametrize("notes", ["", "   "])
def test_no_notes_is_declined(notes):
    assert "notes" in decline(notes=notes)


def test_an_unknown_reason_is_declined():
    assert "not on the credit policy" in decline(reason="did_not_win_job")


def test_non_contact_with_the_full_schedule_goes_to_review():
    assert decline(reason="non_contact", filed=at(days=2, hours=3), attempts=FULL_SCHEDULE) == ""


@pytest.mark.parametrize(
    ("drop", "missing"),
    [
        (0, "within 15 minutes"),
        (1, "second call on the day of delivery"),
        (2, "day 2"),
        (3, "day 3"),
        (4, "email or text"),
    ],
)
def test_non_contact_names_each_missing_step(drop, missing):
    attempts = [a for i, a in enumerate(FULL_SCHEDULE) if i != drop]
    message = decline(reason="non_contact", filed=at(days=2, hours=3), attempts=attempts)
    assert missing in message


def test_non_contact_filed_before_the_schedule_can_be_complete_is_declined():
    message = decline(reason="non_contact", filed=at(hours=5), attempts=FULL_SCHEDULE[:2])
    assert "day 2" in message and "day 3" in message


def test_the_first_call_must_be_within_15_minutes():
    late = [Attempt("call", at(minutes=16), False)] + FULL_SCHEDULE[1:]
    assert "within 15 minutes" in decline(reason="non_contact", filed=at(days=3), attempts=late)


def test_days_are_the_contractors_local_days():
    # Delivered 23:50 in Los Angeles (07:50 UTC next day). A call at 00:05 local is day 2,
    # though it is the same UTC day as delivery.
    delivered = datetime(2026, 3, 3, 7, 50, tzinfo=UTC)
    attempts = [
        Attempt("call", delivered + timedelta(minutes=5), False),  # 23:55, day 1
        Attempt("call", delivered + timedelta(minutes=15), False),  # 00:05, day 2
    ]
    missing = policy.non_contact_shortfall(attempts, delivered_at=delivered, time_zone=LA)
    assert "a second call on the day of delivery" in missing
    assert "a call on day 2" not in missing
    # In New York (02:55 and 03:05) both calls fall on the day of delivery.
    missing_ny = policy.non_contact_shortfall(
        attempts, delivered_at=delivered, time_zone="America/New_York"
    )
    assert "a second call on the day of delivery" not in missing_ny
    assert "a call on day 2" in missing_ny


def test_reaching_the_homeowner_rules_out_non_contact():
    reached = FULL_SCHEDULE + [Attempt("call", at(days=2, hours=5), True)]
    assert "reached the homeowner" in decline(
        reason="non_contact", filed=at(days=3), attempts=reached
    )


@pytest.mark.parametrize(
    ("paid", "corrected", "credit"),
    [(9_500, 450, 9_050), (450, 9_500, 0), (450, 450, 0), (1_200, 300, 900)],
)
def test_partial_credit_is_the_price_difference(paid, corrected, credit):
    assert policy.partial_credit_cents(paid_cents=paid, corrected_price_cents=corrected) == credit

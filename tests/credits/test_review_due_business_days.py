"""The 2-business-day review target counts the contractor's own business days: weekends
and US federal holidays (observed days included) are skipped, in the contractor's zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from credits import policy
from credits import services as credit_services
from leads import services as lead_services
from tests.factories import ContractorFactory, UserFactory, fund
from tests.leads.test_accept import make_offer

LA = ZoneInfo("America/Los_Angeles")
CHICAGO = ZoneInfo("America/Chicago")


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        # Wednesday before Thanksgiving 2026: Thursday is a holiday, Friday counts, the
        # weekend does not: due Monday.
        (local(LA, 2026, 11, 25, 10, 0), local(LA, 2026, 11, 30, 10, 0)),
        # July 4th 2026 is a Saturday, observed Friday July 3: filed Thursday, due Tuesday.
        (local(LA, 2026, 7, 2, 9, 30), local(LA, 2026, 7, 7, 9, 30)),
        # Christmas 2027 is a Saturday, observed Friday Dec 24: filed that Friday, due Tuesday.
        (local(LA, 2027, 12, 24, 11, 0), local(LA, 2027, 12, 28, 11, 0)),
        # New Year's Day 2028 is a Saturday, observed Friday Dec 31 2027: filed Thursday Dec
        # 30, due Tuesday Jan 4.
        (local(LA, 2027, 12, 30, 16, 0), local(LA, 2028, 1, 4, 16, 0)),
        # Martin Luther King Jr. Day 2026 (Monday Jan 19): filed Friday, due Wednesday.
        (local(CHICAGO, 2026, 1, 16, 8, 0), local(CHICAGO, 2026, 1, 21, 8, 0)),
        # An ordinary week: Monday -> Wednesday, Thursday -> Monday, Saturday -> Tuesday.
        (local(LA, 2026, 3, 2, 9, 0), local(LA, 2026, 3, 4, 9, 0)),
        (local(LA, 2026, 3, 12, 9, 0), local(LA, 2026, 3, 16, 9, 0)),
        (local(LA, 2026, 3, 14, 9, 0), local(LA, 2026, 3, 17, 9, 0)),
    ],
)
def test_review_is_due_two_business_days_later_skipping_federal_holidays(filed, due):
    zone = filed.tzinfo.key
    assert policy.review_due_by(filed.astimezone(UTC), time_zone=zone) == due


def test_business_days_are_the_contractors_local_days():
    # Friday 6 PM in Los Angeles is already Saturday in UTC. The LA pro's Friday was the
    # day of filing: Monday and Tuesday are the two business days, due Tuesday 6 PM local.
    filed = local(LA, 2026, 2, 27, 18, 0)
    due = policy.review_due_by(filed.astimezone(UTC), time_zone="America/Los_Angeles")
    assert due == local(LA, 2026, 3, 3, 18, 0)
    # Counted on UTC days it would be Tuesday 02:00 UTC, Monday evening in Los Angeles.
    assert due.astimezone(LA).date().isoformat() == "2026-03-03"


def test_the_due_time_keeps_the_local_time_of_day_across_a_dst_change():
    # Filed Friday March 6 2026 at 10 AM PST; clocks spring forward Sunday March 8.
    filed = local(LA, 2026, 3, 6, 10, 0)
    due = policy.review_due_by(filed.astimezone(UTC), time_zone="America/Los_Angeles")
    assert due.astimezone(LA).strftime("%a %H:%M %Z") == "Tue 10:00 PDT"
    assert due - filed == timedelta(days=4, hours=-1)  # one hour was skipped
    # And back in November (Sunday Nov 1 2026 falls back).
    filed = local(LA, 2026, 10, 30, 10, 0)
    due = policy.review_due_by(filed.astimezone(UTC), time_zone="America/Los_Angeles")
    assert due.astimezone(LA).strftime("%a %b %d %H:%M %Z") == "Tue Nov 03 10:00 PST"


@pytest.mark.django_db
def test_a_claim_filed_before_thanksgiving_is_due_the_monday_after(plumbing, clock):
    pro = ContractorFactory(timezone="America/Los_Angeles")
    clock.move_to(local(LA, 2026, 11, 24, 9, 0), tick=False)
    purchase = lead_services.accept_offer(make_offer(contractor=fund(pro)), contractor=pro)
    clock.move_to(local(LA, 2026, 11, 25, 15, 0), tick=False)
    claim = credit_services.file_claim(
        purchase, contractor=pro, reason="non_working_phone", notes="Disconnected."
    )
    claim.refresh_from_db()
    assert claim.due_by == local(LA, 2026, 11, 30, 15, 0)


@pytest.mark.django_db
def test_an_appeal_is_due_two_local_business_days_later(plumbing, clock):
    pro = ContractorFactory(timezone="America/Chicago")
    reviewer = UserFactory(is_staff=True)
    clock.move_to(local(CHICAGO, 2026, 12, 21, 9, 0), tick=False)
    purchase = lead_services.accept_offer(make_offer(contractor=fund(pro)), contractor=pro)
    claim = credit_services.file_claim(
        purchase, contractor=pro, reason="already_hired", notes="They said so."
    )
    credit_services.deny_claim(claim, by=reviewer, reason="notes_insufficient")
    # Appealed Thursday Dec 24 at 5 PM: Christmas Friday, then the weekend.
    clock.move_to(local(CHICAGO, 2026, 12, 24, 17, 0), tick=False)
    credit_services.appeal_claim(claim, contractor=pro, notes="Hired on Dec 1, before us.")
    claim.refresh_from_db()
    assert claim.due_by == local(CHICAGO, 2026, 12, 29, 17, 0)

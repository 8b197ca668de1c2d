"""Who is rung depends on the pro's own clock: quiet hours in their zone, across midnight
and across the spring DST change (Sunday March 8, 2026 in the US)."""

from datetime import UTC, datetime, time

import pytest
from django.test import Client

from .conftest import LINE, screen
from .phone import Phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def night_owl(elite):
    """Austin pro, quiet from 9 pm to 7 am Central."""
    elite.timezone = "America/Chicago"
    elite.quiet_hours_start, elite.quiet_hours_end = time(21, 0), time(7, 0)
    elite.save()
    return elite


CASES = [
    # (UTC moment, rung?) — Central is UTC-6 before the change, UTC-5 after.
    (datetime(2026, 3, 3, 2, 59, tzinfo=UTC), True),  # 8:59 pm CST
    (datetime(2026, 3, 3, 3, 0, tzinfo=UTC), False),  # 9:00 pm CST
    (datetime(2026, 3, 3, 6, 30, tzinfo=UTC), False),  # 12:30 am CST, past midnight
    (datetime(2026, 3, 8, 11, 59, tzinfo=UTC), False),  # 6:59 am CDT, the DST morning
    (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), True),  # 7:00 am CDT
    (datetime(2026, 3, 8, 12, 30, tzinfo=UTC), True),  # 7:30 am CDT (6:30 by the old offset)
]


@pytest.mark.parametrize("moment,rung", CASES, ids=[f"{m:%m-%d %H:%M}Z" for m, _ in CASES])
def test_a_pro_is_rung_only_outside_their_local_quiet_hours(
    line, night_owl, time_machine, moment, rung
):
    time_machine.move_to(moment, tick=False)
    answer = screen(Phone(Client(), to=LINE))
    assert (answer.dialled == "+15125550002") is rung

"""Ops reports count days in the viewer's own zone (the staff user's), shown on the page."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from insights.reports import ops_report
from tests.factories import LeadFactory, UserFactory
from tests.pages import says_utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening_lead(time_machine):
    # Sunday Feb 15 2026 at 8 PM in Los Angeles, 11 PM in New York: Monday Feb 16 in UTC.
    time_machine.move_to(datetime(2026, 2, 16, 4, 0, tzinfo=UTC), tick=False)
    return LeadFactory()


@pytest.mark.parametrize(
    ("zone", "received"),
    [("America/Los_Angeles", 1), ("America/New_York", 1), ("UTC", 0)],
)
def test_a_day_is_the_viewers_day(evening_lead, zone, received):
    report = ops_report(
        date(2026, 2, 9), date(2026, 2, 16), granularity="day", place="state", time_zone=zone
    )
    assert report.totals.leads.received == received


def test_the_report_page_names_the_viewers_zone_and_shows_no_utc(
    client, evening_lead, staff_groups, time_machine
):
    finance = UserFactory(is_staff=True, timezone="America/Los_Angeles")
    finance.groups.add(Group.objects.get(name="finance"))
    client.force_login(finance)
    time_machine.move_to(datetime(2026, 2, 20, 18, 0, tzinfo=UTC), tick=False)
    response = client.get(
        reverse("insights:ops-reports"),
        {"from": "2026-02-09", "through": "2026-02-15", "granularity": "day"},
    )
    assert response.status_code == 200
    assert response.context["report"].totals.leads.received == 1
    page = response.content.decode()
    assert "days in America/Los_Angeles" in page
    assert not says_utc(page)

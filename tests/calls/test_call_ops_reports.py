"""The ops report's calls: volume, answer rate and qualified rate by place, service and line,
missed calls and voicemails, on the viewer's days. Austin's calls go through the real
webhooks; San Diego's are made by the factories.

The viewer reads the report in Chicago: Sunday Mar 8 2026 runs from 06:00 UTC (midnight
CST) to 05:00 UTC on Mar 9 (midnight CDT, after the spring change).

 call  line           when (UTC)   what happened                                 service
 1     Austin ads     Mar 8 15:00  Alice (territory) takes it, 75 s: qualified   Plumbing
 2     Austin ads     Mar 8 15:30  Alice takes it, 40 s: short                   Plumbing
 3     Austin ads     Mar 8 16:00  Alice, then the elite pro, do not answer      Plumbing
 4     Austin ads     Mar 8 16:30  no pro does electrical: nobody rung           Electrical
 5     Austin ads     Mar 8 17:00  hangs up at the menu: missed                  —
 6     Austin ads     Mar 8 17:30  two wrong keys, then a voicemail              —
 7     San Diego ads  Mar 8 16:00  a marketplace pro takes it, 90 s: qualified   Plumbing
 8     San Diego ads  Mar 9 04:30  hangs up at the menu (Sun 11:30 PM CDT)       —
 9     San Diego ads  Mar 8 05:30  voicemail (Sat 11:30 PM CST: not Sunday)      —

Sunday in Chicago, calls 1-8: put through to a pro 1, 2, 3, 7 (4 of 8); answered 1, 2, 7 →
answer rate 3/4 = 75%; qualified 1, 7 of 3 → 66.7%; talk (75 + 40 + 90) / 3 = 68.3 → 68 s;
missed 5, 8; voicemail 6; fees $15.00 + $4.50 = $19.50. Calls without a zip (5, 6, 8) are
placed at their line's metro zip: TX 6 calls, CA 2. In UTC, Sunday has 1-7 and 9 instead.
"""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from calls.models import Call
from insights.reports import ops_report
from marketplace.models import ZipCode
from tests.factories import CallFactory, CallLegFactory, TrackingNumberFactory, UserFactory

from .conftest import LINE, screen
from .phone import Phone, TwiML

pytestmark = pytest.mark.django_db

URL = reverse("insights:ops-reports")
CHICAGO = "America/Chicago"
SUNDAY = {"from": "2026-03-08", "through": "2026-03-08", "granularity": "day"}


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def report(place="state", zone=CHICAGO):
    return ops_report(
        date(2026, 3, 8), date(2026, 3, 9), granularity="day", place=place, time_zone=zone
    )


def austin_call(client, clock, when, n: int, steps):
    clock.move_to(when)
    phone = Phone(client, to=LINE, caller=f"+1512555{2000 + n:04d}", sid=f"CA{n:02d}{'0' * 30}")
    steps(phone)
    phone.hang_up(60)
    return Call.objects.get(call_sid__startswith=phone.sid[:32])


def takes(seconds):
    def steps(phone):
        dial = screen(phone)
        assert phone.pro_presses(phone.pro_answers(dial), "1").bridges
        phone.dial_ends(dial, "completed", seconds)

    return steps


def nobody_answers(phone):
    first = screen(phone)
    second = TwiML(phone.dial_ends(first, "no-answer"))
    assert second.dialled == "+15125550002"
    phone.dial_ends(second, "no-answer")


def electrical(phone):
    screen(phone, service="1")


def hangs_up_at_the_menu(phone):
    phone.ring()


def voicemail(phone):
    menu = phone.ring()
    assert phone.press(phone.press(menu, "9"), "9").find("Record") is not None


@pytest.fixture
def calls(client, clock, metro_zips, line, holder, elite):
    made = [
        austin_call(client, clock, at(8, 15), 1, takes(75)),
        austin_call(client, clock, at(8, 15, 30), 2, takes(40)),
        austin_call(client, clock, at(8, 16), 3, nobody_answers),
        austin_call(client, clock, at(8, 16, 30), 4, electrical),
        austin_call(client, clock, at(8, 17), 5, hangs_up_at_the_menu),
        austin_call(client, clock, at(8, 17, 30), 6, voicemail),
    ]
    san_diego = TrackingNumberFactory(
        number="+16195550100", label="San Diego ads", area_zip=ZipCode.objects.get(code="92101")
    )
    clock.move_to(at(8, 16))
    taken = CallFactory(
        tracking_number=san_diego,
        connected=True,
        zip_code=ZipCode.objects.get(code="92103"),
        bridged_seconds=90,
        qualified=True,
        fee_cents=450,
    )
    CallLegFactory(call=taken, taken=True, price_cents=450)
    made.append(taken)
    clock.move_to(at(9, 4, 30))
    made.append(CallFactory(tracking_number=san_diego))
    clock.move_to(at(8, 5, 30))
    made.append(CallFactory(tracking_number=san_diego, outcome="voicemail", voicemail=True))
    clock.move_to(at(10, 15))
    return made


def counts(c):
    return {
        "calls": c.calls,
        "rang": c.rang,
        "answered": c.answered,
        "qualified": c.qualified,
        "missed": c.missed,
        "voicemails": c.voicemails,
        "fees_cents": c.fees_cents,
    }


def test_the_calls_ended_as_the_table_says(calls):
    assert [c.outcome for c in calls] == [
        "connected",
        "connected",
        "no_pro",
        "no_pro",
        "missed",
        "voicemail",
        "connected",
        "missed",
        "voicemail",
    ]
    assert [c.legs.count() for c in calls[:4]] == [1, 1, 2, 0]
    assert [(c.qualified, c.fee_cents) for c in calls[:2]] == [(True, 1_500), (False, 0)]


def test_totals_on_the_viewers_day(calls):
    c = report().calls
    assert counts(c) == {
        "calls": 8,
        "rang": 4,  # 1, 2, 3, 7
        "answered": 3,  # 1, 2, 7
        "qualified": 2,  # 1, 7
        "missed": 2,  # 5, 8
        "voicemails": 1,  # 6
        "fees_cents": 1_950,  # 1,500 + 450
    }
    assert (c.answer_rate_bp, c.qualified_rate_bp, c.average_talk_seconds) == (7_500, 6_667, 68)


def test_the_day_is_the_viewers_across_the_dst_change(calls):
    in_utc = report(zone="UTC").calls  # 1-7 and 9: call 8 is Monday, 9 is Sunday
    assert (in_utc.calls, in_utc.missed, in_utc.voicemails) == (8, 1, 2)
    assert report(zone="America/Los_Angeles").calls.calls == 8  # 1-8: 9 is Saturday 9:30 PM


def test_by_state_metro_service_and_line(calls):
    by_state = {c.label: counts(c) for c in report().call_groups["place"]}
    assert by_state == {
        "TX": {"calls": 6, "rang": 3, "answered": 2, "qualified": 1, "missed": 1,
               "voicemails": 1, "fees_cents": 1_500},
        "CA": {"calls": 2, "rang": 1, "answered": 1, "qualified": 1, "missed": 1,
               "voicemails": 0, "fees_cents": 450},
    }  # fmt: skip
    groups = report(place="metro").call_groups
    austin, san_diego = groups["place"]
    assert (austin.label, austin.calls, austin.answer_rate_bp) == ("Austin, TX", 6, 6_667)
    assert (san_diego.label, san_diego.calls, san_diego.qualified_rate_bp) == (
        "San Diego, CA",  # 92103 and the line's 92101: one metro
        2,
        10_000,
    )
    services = {c.label: (c.calls, c.rang, c.answered) for c in groups["category"]}
    assert services == {
        "Plumbing": (4, 4, 3),
        "Not chosen (hung up first)": (3, 0, 0),
        "Electrical": (1, 0, 0),
    }
    lines = {c.label: (c.calls, c.missed, c.voicemails) for c in groups["line"]}
    assert lines == {
        "Austin ads · +15125550100": (6, 1, 1),
        "San Diego ads · +16195550100": (2, 1, 0),
    }


@pytest.fixture
def finance(staff_groups):
    user = UserFactory(email="fin@fairlead.example", is_staff=True, timezone=CHICAGO)
    user.groups.add(Group.objects.get(name="finance"))
    return user


def test_finance_sees_the_calls_and_their_csv(client, finance, calls):
    client.force_login(finance)
    page = client.get(URL, SUNDAY).content.decode()
    section = page[page.index('<h2 id="calls">') : page.index("<h2>Credits by reason</h2>")]
    for text in ["Calls by state", "Calls by service", "Calls by line", "75%", "66.7%", "1:08"]:
        assert text in section, text
    assert "$19.50" in section and "Austin ads · +15125550100" in section
    rows = list(
        csv.reader(
            io.StringIO(client.get(URL, {**SUNDAY, "format": "csv", "table": "calls_by_line"}).text)
        )
    )
    assert rows[0] == [
        "line",
        "calls",
        "rang_a_pro",
        "answered",
        "answer_rate_pct",
        "qualified",
        "qualified_rate_pct",
        "average_talk_seconds",
        "missed_in_screening",
        "voicemails",
        "call_fees_usd",
    ]
    assert rows[1] == [
        "Austin ads · +15125550100",
        "6",
        "3",
        "2",
        "66.67",
        "1",
        "50.00",
        "58",
        "1",
        "1",
        "15.00",
    ]
    assert rows[-1] == ["All", "8", "4", "3", "75.00", "2", "66.67", "68", "2", "1", "19.50"]
    place = client.get(
        URL, {**SUNDAY, "place": "metro", "format": "csv", "table": "calls_by_place"}
    )
    assert place.text.startswith("metro,calls,")


def test_screeners_may_not_see_the_calls(client, staff_groups, calls):
    screener = UserFactory(email="screen@fairlead.example", is_staff=True)
    screener.groups.add(Group.objects.get(name="screeners"))
    client.force_login(screener)
    assert client.get(URL, SUNDAY).status_code == 403
    assert client.get(URL, {**SUNDAY, "format": "csv", "table": "calls_by_line"}).status_code == 403


@pytest.mark.parametrize("count", [1, 20])
def test_the_report_makes_the_same_queries_for_1_or_20_calls(
    client, finance, clock, metro_zips, count, django_assert_num_queries
):
    clock.move_to(at(8, 16))
    line = TrackingNumberFactory(area_zip=ZipCode.objects.get(code="78701"))
    for i in range(count):
        call = CallFactory(tracking_number=line, connected=bool(i % 2), fee_cents=0)
        if i % 2:
            CallLegFactory(call=call, taken=True)
    client.force_login(finance)
    # session, user, permissions (user's and groups'); leads, revenue by place, calls by
    # place, by service and by line, the metros (2), revenue by day, claims filed, credit
    # entries, purchases by contractor, overdue claims, unserved demand (no credit here:
    # no claim reasons or contractor names to read)
    with django_assert_num_queries(17):
        response = client.get(URL, {**SUNDAY, "place": "metro"})
    assert response.context["report"].calls.calls == count

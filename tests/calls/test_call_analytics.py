"""A pro's analytics count their live calls, placed through the real webhooks: received,
answered, missed, qualified, talk time, call fees, and what a booked job costs with the
call fees in it, on the pro's own days across midnight and the spring DST change.

Alice holds the Austin plumbing territory (a $15.00 call fee) and lives in Chicago. Her
day of Sunday Mar 8 2026 runs from 06:00 UTC (midnight CST) to 05:00 UTC on Mar 9
(midnight CDT: clocks went forward at 2 AM). Seven callers ring her:

 call  rings (UTC)     her time            what happened                        in Mar 8?
 A     Mar 8 05:50     Sat 11:50 PM CST    she takes it, 75 s: qualified, $15    no
 B     Mar 8 06:10     Sun 12:10 AM CST    she takes it, 75 s: qualified, $15    yes
 C     Mar 8 15:00     Sun  9:00 AM CDT    she takes it, 40 s: short, $0         yes
 D     Mar 8 16:00     Sun 10:00 AM CDT    busy; the elite pro takes it, 50 s    yes (missed)
 E     Mar 8 17:00     Sun 11:00 AM CDT    she passes; the caller hangs up       yes (missed)
 F     Mar 9 04:30     Sun 11:30 PM CDT    she takes it, 120 s: qualified, $15   yes
 G     Mar 9 05:30     Mon 12:30 AM CDT    she takes it, 90 s: qualified, $15    no (23:30 if
                                           the period ignored DST)
She also buys a form lead P on Mar 8 18:00 UTC for $45.00 and books it; B is booked, F won.

Mar 8: received 5, answered 3 (B C F), missed 2 (D busy, E passed), qualified 2 (B F):
answer rate 3/5 = 60%, qualified 2/3 = 66.7%; talk (75 + 40 + 120) / 3 = 78.3 → 78 s;
call fees 1,500 + 1,500 = 3,000. Leads 4 (B C F P): spend 1,500 + 0 + 1,500 + 4,500 =
7,500; booked 3 (B, F won, P) → 2,500 per booked job; won 1 → 7,500. The "Live call"
source: 3 leads, 3,000, booked 2 → 1,500; won 1 → 3,000.
"""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from calls.models import Call, CallLeg
from insights.analytics import Period, contractor_analytics
from leads.models import Purchase
from leads.services import record_outcome
from tests.factories import (
    CallFactory,
    CallLegFactory,
    PurchaseFactory,
    TrackingNumberFactory,
    ZipCodeFactory,
)

from .conftest import LINE, screen
from .phone import Phone, TwiML

pytestmark = pytest.mark.django_db

CHICAGO = "America/Chicago"
MAR_8 = Period(date(2026, 3, 8), date(2026, 3, 9), CHICAGO)
HOLDER, ELITE = "+15125550001", "+15125550002"


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def place_call(client, clock, when, caller, *, holder_does, seconds=0, elite_talks=None):
    """A caller rings the Austin line at `when` and asks for plumbing in 78701 this week."""
    clock.move_to(when)
    # A sid that differs in its first 32 characters: calls.services keeps only 32 of
    # Twilio's 34 (see the report), and new_sid() counts in the last two.
    phone = Phone(client, to=LINE, caller=caller, sid=f"CA{caller[-4:]}{'0' * 28}")
    dial = screen(phone)
    assert dial.dialled == HOLDER
    if holder_does == "busy":
        dial = TwiML(phone.dial_ends(dial, "busy"))
    else:
        whisper = phone.pro_answers(dial)
        if holder_does == "take":
            assert phone.pro_presses(whisper, "1").bridges
            phone.dial_ends(dial, "completed", seconds)
        else:  # passes: the next pro is rung
            phone.pro_presses(whisper, "2")
            dial = TwiML(phone.dial_ends(dial, "completed"))
    if elite_talks is not None:
        assert dial.dialled == ELITE
        whisper = phone.pro_answers(dial)
        assert phone.pro_presses(whisper, "1").bridges
        phone.dial_ends(dial, "completed", elite_talks)
    phone.hang_up(seconds + 30)
    return Call.objects.get(call_sid__startswith=phone.sid[:32])


@pytest.fixture
def calls(client, clock, line, holder, elite):
    holder.timezone = CHICAGO
    holder.save(update_fields=["timezone"])
    made = {}
    for name, when, does, seconds, elite_talks in [
        ("A", at(8, 5, 50), "take", 75, None),
        ("B", at(8, 6, 10), "take", 75, None),
        ("C", at(8, 15), "take", 40, None),
        ("D", at(8, 16), "busy", 0, 50),
        ("E", at(8, 17), "pass", 0, None),
        ("F", at(9, 4, 30), "take", 120, None),
        ("G", at(9, 5, 30), "take", 90, None),
    ]:
        caller = f"+1512555{1000 + len(made):04d}"  # one caller each: no duplicates
        made[name] = place_call(
            client, clock, when, caller, holder_does=does, seconds=seconds, elite_talks=elite_talks
        )
    record_outcome(Purchase.objects.get(lead=made["B"].lead), outcome="appointment")
    record_outcome(
        Purchase.objects.get(lead=made["F"].lead), outcome="won", final_value_cents=300_000
    )
    clock.move_to(at(8, 18))
    PurchaseFactory(contractor=holder, price_cents=4_500, outcome="appointment")
    clock.move_to(at(10, 15))
    return made


def test_the_flow_left_the_calls_as_the_table_says(calls, holder, elite):
    # Every call rang Alice first (place_call checks it): a pro who bought one caller's
    # lead is still rung for the next caller, though no caller has an email address.
    legs = CallLeg.objects.filter(contractor=holder).order_by("created_at")
    assert [leg.status for leg in legs] == ["taken"] * 3 + ["busy", "declined"] + ["taken"] * 2
    assert [c.fee_cents for c in calls.values()] == [1_500, 1_500, 0, 0, 0, 1_500, 1_500]
    theirs = CallLeg.objects.filter(contractor=elite).order_by("created_at")
    assert list(theirs.values_list("status", flat=True)) == [
        "taken",
        "canceled",
    ]


def test_a_taken_calls_offer_carries_its_leads_keys(calls, holder):
    legs = CallLeg.objects.filter(contractor=holder, offer__isnull=False)
    offers = [leg.offer for leg in legs.select_related("offer__lead")]
    assert len(offers) == 5  # A B C F G
    for offer in offers:
        lead = offer.lead
        assert (offer.category_id, offer.zip_code_id, offer.utm_source) == (
            lead.category_id,
            lead.zip_code_id,
            lead.utm_source,
        )


def test_a_pros_calls_on_their_own_day(calls, holder):
    data = contractor_analytics(holder, MAR_8)
    c = data.calls
    assert (c.received, c.answered, c.missed, c.qualified) == (5, 3, 2, 2)
    assert c.answer_rate_bp == 6_000  # 3 / 5
    assert c.qualified_rate_bp == 6_667  # 2 / 3
    assert (c.talked, c.talk_seconds, c.average_talk_seconds) == (3, 235, 78)  # 78.3 s
    assert c.fees_cents == 3_000  # B and F; C was short, A and G are other days
    assert data.connections["call"] == 5
    assert data.connections["territory"] == 0  # a call taken is counted as a call
    assert data.connections["marketplace"] == 1  # the form lead P


def test_cost_per_booked_job_includes_the_call_fees(calls, holder):
    data = contractor_analytics(holder, MAR_8)
    t = data.totals
    assert (t.leads, t.spend_cents, t.net_cost_cents) == (4, 7_500, 7_500)  # B C F P
    assert (t.appointments, t.wins) == (3, 1)  # B, F won, P
    assert t.cost_per_appointment_cents == 2_500  # 7,500 / 3
    assert t.cost_per_win_cents == 7_500
    assert (t.offers_seen, t.acceptance_rate_bp) == (1, 10_000)  # P's; calls are apart
    source = {row.key: row for row in data.groups["source"]}
    assert list(source) == ["marketplace", "call"]
    assert source["call"].label == "Live call"
    live = source["call"].metrics
    assert (live.leads, live.spend_cents, live.appointments, live.wins) == (3, 3_000, 2, 1)
    assert live.cost_per_appointment_cents == 1_500  # 3,000 / 2
    assert live.return_on_spend_bp == 1_000_000  # 300,000 / 3,000 = 100×
    assert data.calls.leads is live
    assert data.calls.as_dict()["cost_per_appointment_cents"] == 1_500


def test_midnight_and_the_dst_change_are_the_pros_own(calls, holder, elite):
    saturday = contractor_analytics(holder, Period(date(2026, 3, 7), date(2026, 3, 8), CHICAGO))
    assert (saturday.calls.received, saturday.calls.qualified) == (1, 1)  # A, 11:50 PM CST
    assert saturday.calls.fees_cents == saturday.totals.spend_cents == 1_500
    monday = contractor_analytics(holder, Period(date(2026, 3, 9), date(2026, 3, 10), CHICAGO))
    assert (monday.calls.received, monday.calls.talk_seconds) == (1, 90)  # G, 12:30 AM CDT
    # The elite pro (Los Angeles) answered D for 50 s, not charged, and missed E.
    theirs = contractor_analytics(
        elite, Period(date(2026, 3, 8), date(2026, 3, 9), "America/Los_Angeles")
    ).calls
    assert (theirs.received, theirs.answered, theirs.missed, theirs.qualified) == (2, 1, 1, 0)
    assert (theirs.average_talk_seconds, theirs.fees_cents, theirs.leads.spend_cents) == (50, 0, 0)


def test_the_page_csv_and_api_show_the_calls(calls, holder, client):
    client.force_login(holder.user)
    page = client.get(
        reverse("insights:analytics"), {"from": "2026-03-08", "through": "2026-03-08"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('id="calls-title"') : html.index('id="trend-title"')]
    for text in [
        '<th scope="row">Rang you</th><td class="num">5</td>',
        '<th scope="row">Answered</th><td class="num">3</td>',
        '<th scope="row">Missed</th><td class="num">2</td>',
        '<th scope="row">Qualified</th><td class="num">2</td>',
        "60%",
        "66.7%",
        "1:18",
        "$30.00",
        "$15.00",
    ]:
        assert text in section, text
    assert '<th scope="row">Live call</th><td class="num">5</td>' in html  # connections
    assert "talked 60 seconds or more" in html  # the definition names the threshold

    csv = client.get(
        reverse("insights:analytics"),
        {"from": "2026-03-08", "through": "2026-03-08", "format": "csv", "table": "calls"},
    ).content.decode()
    assert "received,5\r\n" in csv and "answer_rate_pct,60.00\r\n" in csv
    assert "call_fees_usd,30.00\r\n" in csv and "cost_per_booked_call_lead_usd,15.00\r\n" in csv

    body = client.get("/api/v1/analytics/", {"from": "2026-03-08", "to": "2026-03-09"}).json()
    assert body["timezone"] == CHICAGO
    assert body["totals"]["connections"]["call"] == 5
    assert body["totals"]["calls"] == {
        "received": 5,
        "answered": 3,
        "missed": 2,
        "qualified": 2,
        "answer_rate_bp": 6_000,
        "qualified_rate_bp": 6_667,
        "average_talk_seconds": 78,
        "fees_cents": 3_000,
        "leads": 3,
        "net_cost_cents": 3_000,
        "appointments": 2,
        "cost_per_appointment_cents": 1_500,
        "wins": 1,
        "cost_per_win_cents": 3_000,
    }
    assert body["totals"]["cost_per_appointment_cents"] == 2_500


def test_a_pro_without_calls_is_told_so(contractor_client, contractor, clock):
    clock.move_to(at(8, 18))
    PurchaseFactory(contractor=contractor, price_cents=4_500)
    html = contractor_client.get(
        reverse("insights:analytics"), {"from": "2026-03-08", "through": "2026-03-08"}
    ).content.decode()
    assert "No call rang you in this period." in html


# --- Query counts: the same for 1 call or 20 ---------------------------------------------------


def calls_for(pro, count: int, *, when):
    """`count` calls that rang the pro: every other one taken and qualified, the rest missed."""
    austin = ZipCodeFactory(code="78701", city="Austin", state="TX", timezone=CHICAGO)
    number = TrackingNumberFactory(area_zip=austin)
    for i in range(count):
        if i % 2:
            missed = CallFactory(tracking_number=number, outcome="no_pro")
            CallLegFactory(contractor=pro, call=missed, status="busy")
            continue
        call = CallFactory(
            tracking_number=number,
            connected=True,
            started_at=when,
            bridged_seconds=75,
            qualified=True,
            fee_cents=1_500,
        )
        CallLegFactory(call=call, contractor=pro, route="territory", price_cents=1_500, taken=True)
    assert CallLeg.objects.filter(contractor=pro).count() == count


@pytest.mark.parametrize("count", [1, 20])
def test_the_page_and_api_make_the_same_queries_for_1_or_20_calls(
    contractor_client, contractor_api, contractor, clock, count, django_assert_num_queries
):
    clock.move_to(at(8, 18))
    calls_for(contractor, count, when=at(8, 18))
    today = {"from": "2026-03-08", "through": "2026-03-08"}
    # session, user, contractor; rollup cells, response counts, service names, offers
    # (one GROUP BY), clicks, calls, fees
    with django_assert_num_queries(10):
        response = contractor_client.get(reverse("insights:analytics"), today)
    assert response.context["analytics"].calls.received == count
    with django_assert_num_queries(10):
        contractor_client.get(
            reverse("insights:analytics"), {**today, "format": "csv", "table": "calls"}
        )
    # token and user instead of session and user; the month rows name no service
    with django_assert_num_queries(8):
        body = contractor_api.get("/api/v1/analytics/", {"from": "2026-03-08"}).json()
    assert body["totals"]["calls"]["answered"] == (count + 1) // 2
    assert body["totals"]["calls"]["fees_cents"] == 1_500 * ((count + 1) // 2)

"""The ops report: who may open it, and every number on a small hand-checked dataset.

Period [Mon 2026-02-02, Mon 2026-02-16) in UTC, weeks from Monday. Prices in cents.

 lead  created (UTC)   place          first offer  sold after  route        price  buyer
 L0    Feb 01 23:59    San Diego, CA  —            Feb 02 00:05 marketplace 2,000  Alice
 L1    Feb 02 10:00    San Diego, CA  +2 min       +10 min     marketplace  4,500  Alice
 L2    Feb 03 12:00    San Diego, CA  +4 min       +30 min     territory    6,000  Alice
 L3    Feb 04 09:00    Austin, TX     +6 min       expired unsold
 L4    Feb 09 15:00    Austin, TX     —            rejected
 L5    Feb 10 08:00    Dallas, TX     +8 min       +60 min     profile      3,000  Bob
 L6    Feb 11 20:00    Austin, TX     +1 min       still open, no buyer
 L7    Feb 16 00:30    San Diego, CA  (after the period)       marketplace  9,999  Bob

Leads received L1..L6 = 6; rejected 1 (L4); sold 3 (L1 L2 L5); expired unsold 1 (L3);
fill rate 3 / (3 + 1) = 75%. To first offer 60, 120, [240], 360, 480 s → 4 min; to first
acceptance 600, [1800], 3600 s → 30 min.
Week of Feb 2 (L1 L2 L3): fill 2/3 = 66.7%, offer median 240 s, sale median (600+1800)/2 =
1200 s. Week of Feb 9 (L4 L5 L6): fill 1/1 = 100%, offer median (60+480)/2 = 270 s.

Ledger in the period (cash basis): 1% purchases L0 2,000 + L1 4,500 + L5 3,000 = 9,500;
per-lead territory fee L2 6,000; subscription 20,000 (Feb 5, Alice); membership 9,900
(Feb 12, Bob); gross 45,400. Credits: claim on L1 +4,500 (Feb 6); claim on L5 +3,000
(Feb 12) reversed −3,000 (Feb 13); L2 found invalid by Fairlead +6,000 (Feb 14): 10,500.
Net 34,900. Lead revenue 15,500; credit rate 10,500 / 15,500 = 67.74%.
Week of Feb 2: 1% 6,500, per-lead 6,000, subscription 20,000, gross 32,500, credits 4,500,
net 28,000. Week of Feb 9: 1% 3,000, membership 9,900, gross 12,900, credits 6,000, net 6,900.

Claims filed in the period: L0 incorrect contact, pending since Feb 3, due Feb 5 (overdue);
L1 non-working phone approved; L2 already hired, denied; L5 non-contact declined at once
(Feb 10), then L5 wrong location approved and reversed.
By contractor: Alice bought 3 (12,500), 3 claims, 1 approved, credited 4,500 + 6,000 =
10,500 → claim rate 3 claimed leads / 3 = 100%, credit rate 84%. Bob bought 1 in the
period (3,000), 2 claims (one declined at once), 1 approved, credited 0 → claim rate 1
claimed lead / 1 = 100% (a re-filed claim is not a second claimed lead), credit rate 0%.
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from billing import services as billing
from credits import services as credit_services
from credits.models import CreditClaim
from insights.reports import ops_report
from tests.factories import (
    ContractorFactory,
    LeadFactory,
    OfferFactory,
    PurchaseFactory,
    UserFactory,
    ZipCodeFactory,
    fund,
)

pytestmark = pytest.mark.django_db

URL = reverse("insights:ops-reports")
PERIOD = {"from": "2026-02-02", "through": "2026-02-15", "granularity": "week"}


def at(day, hour=0, minute=0):
    return datetime(2026, 2, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def finance(staff_groups):
    # The data below is laid out on UTC days: this finance user reads the admin in UTC.
    user = UserFactory(email="fin@fairlead.example", is_staff=True, timezone="UTC")
    user.groups.add(Group.objects.get(name="finance"))
    return user


@pytest.fixture
def data(contractor, other_contractor, clock, staff_groups):
    alice, bob = contractor, other_contractor
    staff = UserFactory(email="reviewer@fairlead.example", is_staff=True, is_superuser=True)
    san_diego = ZipCodeFactory(
        code="92101", city="San Diego", state="CA", latitude=32.7190, longitude=-117.1627
    )
    austin = ZipCodeFactory(
        code="78701", city="Austin", state="TX", latitude=30.2713, longitude=-97.7426
    )
    dallas = ZipCodeFactory(
        code="75201", city="Dallas", state="TX", latitude=32.7904, longitude=-96.8044
    )
    clock.move_to(at(1))
    fund(alice, 100_000)
    fund(bob, 100_000)
    carol = ContractorFactory(business_name="Carol Co")  # the first offer of each lead

    def lead(created, zip_code, *, status="filled", offer_after=None):
        clock.move_to(created)
        made = LeadFactory(zip_code=zip_code, status=status)
        if offer_after is not None:
            OfferFactory(
                lead=made,
                contractor=carol,
                status="expired",
                offered_at=created + timedelta(minutes=offer_after),
            )
        return made

    def sell(made, when, buyer, route, price):
        clock.move_to(when)
        offer = OfferFactory(
            lead=made, contractor=buyer, route=route, status="accepted", price_cents=price
        )
        return PurchaseFactory(lead=made, contractor=buyer, offer=offer, price_cents=price)

    def claim(purchase, filed, reason, *, status="pending", due=None):
        return CreditClaim.objects.create(
            purchase=purchase,
            reason=reason,
            notes="What happened.",
            status=status,
            filed_at=filed,
            due_by=due or filed + timedelta(days=2),
        )

    p0 = sell(lead(datetime(2026, 2, 1, 23, 59, tzinfo=UTC), san_diego), at(2, 0, 5), alice,
              "marketplace", 2_000)  # fmt: skip
    l1 = lead(at(2, 10), san_diego, offer_after=2)
    p1 = sell(l1, at(2, 10, 10), alice, "marketplace", 4_500)
    l2 = lead(at(3, 12), san_diego, offer_after=4)
    p2 = sell(l2, at(3, 12, 30), alice, "territory", 6_000)
    lead(at(4, 9), austin, status="expired", offer_after=6)
    lead(at(9, 15), austin, status="rejected")
    l5 = lead(at(10, 8), dallas, offer_after=8)
    p5 = sell(l5, at(10, 9), bob, "profile", 3_000)
    lead(at(11, 20), austin, status="open", offer_after=1)
    sell(lead(at(16, 0, 30), san_diego), at(16, 0, 40), bob, "marketplace", 9_999)

    claim(p0, at(3), "incorrect_contact", due=at(5))  # overdue
    clock.move_to(at(5))
    billing.post_entry(
        billing.account_for(alice), kind="subscription", amount_cents=-20_000, memo="78701"
    )
    clock.move_to(at(6))
    credit_services.approve_claim(claim(p1, at(5), "non_working_phone"), by=staff)
    clock.move_to(at(5, 12))
    credit_services.deny_claim(
        claim(p2, at(4), "already_hired"), by=staff, reason="notes_insufficient"
    )
    claim(p5, at(10, 9, 30), "non_contact", status="declined")
    clock.move_to(at(12))
    location = claim(p5, at(11), "wrong_location")
    credit_services.approve_claim(location, by=staff)
    billing.post_entry(billing.account_for(bob), kind="membership", amount_cents=-9_900, memo="Pro")
    clock.move_to(at(13))
    credit_services.reverse_credit(location, by=staff)
    clock.move_to(at(14))
    credit_services.credit_lead_proactively(l2, by=staff, reason="duplicate")
    clock.move_to(at(16, 12))
    return ops_report(
        datetime(2026, 2, 2).date(),
        datetime(2026, 2, 16).date(),
        granularity="week",
        place="state",
        time_zone="UTC",
    )


def test_lead_volume_fill_rate_and_speed(data):
    t = data.totals.leads
    assert (t.received, t.rejected, t.sold, t.expired) == (6, 1, 3, 1)
    assert t.fill_rate_bp == 7_500  # 3 / (3 sold + 1 expired unsold)
    assert t.median_to_offer_seconds == 240  # 60, 120, [240], 360, 480
    assert t.median_to_sale_seconds == 1_800  # 600, [1800], 3600
    first, second = data.buckets
    assert (first.label, second.label) == ("Week of Feb 2, 2026", "Week of Feb 9, 2026")
    assert (first.leads.received, first.leads.fill_rate_bp) == (3, 6_667)  # 2 / 3
    assert first.leads.median_to_offer_seconds == 240
    assert first.leads.median_to_sale_seconds == 1_200  # (600 + 1800) / 2
    assert (second.leads.received, second.leads.rejected, second.leads.fill_rate_bp) == (
        3,
        1,
        10_000,
    )
    assert second.leads.median_to_offer_seconds == 270  # (60 + 480) / 2


def test_revenue_by_stream_with_credits_apart(data):
    r = data.totals.revenue
    assert r.one_percent_cents == 9_500  # L0 2,000 (sold in the period) + L1 4,500 + L5 3,000
    assert r.territory_per_lead_cents == 6_000
    assert r.subscriptions_cents == 20_000
    assert r.memberships_cents == 9_900
    assert r.gross_cents == 45_400
    assert r.credits_cents == 10_500  # 4,500 + 3,000 − 3,000 + 6,000
    assert r.net_cents == 34_900
    assert r.credit_rate_bp == 6_774  # 10,500 / 15,500
    first, second = (b.revenue for b in data.buckets)
    assert (first.one_percent_cents, first.gross_cents, first.credits_cents) == (
        6_500,
        32_500,
        4_500,
    )
    assert first.net_cents == 28_000
    assert (second.gross_cents, second.credits_cents, second.net_cents) == (12_900, 6_000, 6_900)


def test_by_state_and_by_metro(data):
    by_state = {b.key: b for b in data.places}
    assert list(by_state) == ["TX", "CA"]  # most leads first
    assert (by_state["TX"].leads.received, by_state["TX"].leads.fill_rate_bp) == (4, 5_000)
    assert by_state["TX"].revenue.lead_revenue_cents == 3_000
    assert (by_state["CA"].leads.received, by_state["CA"].leads.fill_rate_bp) == (2, 10_000)
    assert by_state["CA"].revenue.lead_revenue_cents == 12_500  # L0 + L1 1%, L2 per-lead
    metro = ops_report(data.start, data.end, granularity="month", place="metro", time_zone="UTC")
    by_metro = {b.label: b.leads for b in metro.places}
    assert by_metro["Austin, TX"].received == 3 and by_metro["Austin, TX"].fill_rate_bp == 0
    assert by_metro["Dallas, TX"].fill_rate_bp == 10_000
    assert {b.key for b in metro.places} == {"austin", "dallas", "san-diego"}
    revenue = {b.key: b.revenue.lead_revenue_cents for b in metro.places}
    assert revenue["san-diego"] == by_state["CA"].revenue.lead_revenue_cents
    assert [b.label for b in metro.buckets] == ["Feb 2026"]


def test_credits_by_reason_and_by_contractor_and_overdue_claims(data):
    reasons = {r.reason: r for r in data.reasons}
    assert set(reasons) == {
        "incorrect_contact",
        "non_working_phone",
        "already_hired",
        "non_contact",
        "wrong_location",
        "proactive",
    }
    phone = reasons["non_working_phone"]
    assert (phone.filed, phone.approved, phone.credited_cents) == (1, 1, 4_500)
    assert phone.approval_rate_bp == 10_000
    assert phone.share_of_lead_revenue_bp == 2_903  # 4,500 / 15,500
    assert reasons["wrong_location"].credited_cents == 0  # approved, then reversed
    assert reasons["already_hired"].approval_rate_bp == 0  # denied
    assert (reasons["non_contact"].declined, reasons["non_contact"].approval_rate_bp) == (1, None)
    assert reasons["incorrect_contact"].pending == 1
    assert reasons["proactive"].credited_cents == 6_000
    assert reasons["proactive"].share_of_lead_revenue_bp == 3_871  # 6,000 / 15,500
    alice, bob = data.contractors
    assert (alice.label, alice.purchases, alice.spend_cents) == ("Alice Plumbing", 3, 12_500)
    assert (alice.claims, alice.approved, alice.credited_cents) == (3, 1, 10_500)
    assert (alice.claim_rate_bp, alice.credit_rate_bp) == (10_000, 8_400)
    assert (bob.purchases, bob.claims, bob.credited_cents) == (1, 2, 0)
    assert (bob.claim_rate_bp, bob.credit_rate_bp) == (10_000, 0)
    assert data.overdue_count == 1
    assert data.overdue[0].reason == "incorrect_contact"


# --- The page --------------------------------------------------------------------------------


def test_finance_sees_the_report_and_its_csv(client, finance, data, django_assert_num_queries):
    client.force_login(finance)
    # session, user; the user's and the groups' permissions (read once, for the access
    # check and the admin's navigation); leads, revenue, revenue by place, claims filed,
    # credit entries, their claims, purchases, contractor names, overdue claims, calls by
    # place, by service and by line
    with django_assert_num_queries(17):  # the unserved-demand table is one query
        response = client.get(URL, PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Week of Feb 2, 2026" in page
    for figure in ["75%", "4 min", "30 min", "$454.00", "$105.00", "$349.00", "67.7%"]:
        assert figure in page
    assert "Found invalid by Fairlead (no claim)" in page and "Alice Plumbing" in page
    assert "Overdue claims (1)" in page
    rows = list(
        csv.reader(
            io.StringIO(client.get(URL, {**PERIOD, "format": "csv", "table": "revenue"}).text)
        )
    )
    assert rows[0][:3] == ["week", "one_percent_usd", "territory_per_lead_usd"]
    assert rows[-1] == [
        "All",
        "95.00",
        "60.00",
        "200.00",
        "99.00",
        "454.00",
        "105.00",
        "349.00",
        "67.74",
    ]
    for table in ["leads", "places", "reasons", "contractors", "overdue", "calls_by_line"]:
        response = client.get(URL, {**PERIOD, "format": "csv", "table": table})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert client.get(URL, {**PERIOD, "format": "csv", "table": "x"}).status_code == 400


def test_the_admin_index_links_to_the_report_for_finance_only(client, finance, staff_groups):
    client.force_login(finance)
    assert URL in client.get(reverse("admin:index")).content.decode()
    screener = UserFactory(email="screen@fairlead.example", is_staff=True)
    screener.groups.add(Group.objects.get(name="screeners"))
    client.force_login(screener)
    assert URL not in client.get(reverse("admin:index")).content.decode()


def test_superusers_see_it_too(client, clock):
    client.force_login(UserFactory(email="root@fairlead.example", is_staff=True, is_superuser=True))
    response = client.get(URL)
    assert response.status_code == 200
    assert "No leads in this period." in response.content.decode()


def test_screeners_and_credit_reviewers_get_403(client, staff_groups, clock):
    for group in ["screeners", "credit reviewers"]:
        user = UserFactory(email=f"{group.split()[0]}@fairlead.example", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.get(URL, {"format": "csv", "table": "revenue"}).status_code == 403


def test_contractors_and_visitors_are_sent_to_the_admin_login(client, contractor):
    assert "/admin/login/" in client.get(URL)["Location"]
    client.force_login(contractor.user)
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "Enter a date as YYYY-MM-DD"),
        ({"from": "2025-01-01", "through": "2025-12-31", "granularity": "day"}, "Pick weeks"),
        ({"granularity": "hour"}, "Pick day, week or month"),
        ({"place": "planet"}, "Pick state or metro"),
        ({"from": "2026-02-10", "through": "2026-02-01"}, "must end on or after"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(client, finance, clock, params, message):
    client.force_login(finance)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_reports_follow_the_permission_not_a_group_name(client, staff_groups, clock):
    from django.contrib.auth.models import Permission

    auditor = UserFactory(email="auditor@fairlead.example", is_staff=True)
    client.force_login(auditor)
    assert client.get(URL).status_code == 403
    auditor.user_permissions.add(Permission.objects.get(codename="view_ops_reports"))
    assert client.get(URL).status_code == 200

"""The contractor's analytics page: numbers, chart, CSV, empty state, validation, privacy,
and a query count that does not grow with the number of leads."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from billing import services as billing
from billing.models import Entry
from credits.services import rebuild_analytics
from leads.models import ContactAttempt, Lead, Offer, Purchase
from tests.factories import LeadFactory, ServiceCategoryFactory, ZipCodeFactory

from .analytics_dataset import build

pytestmark = pytest.mark.django_db

URL = reverse("insights:analytics")
JAN_FEB = {"from": "2026-01-01", "through": "2026-02-28"}


@pytest.fixture
def alice(contractor_client, contractor, other_contractor, clock):
    build(contractor, clock, other=other_contractor)
    return contractor_client


def table(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_page_answers_what_a_booked_job_costs_and_where_the_money_is(alice):
    response = alice.get(URL, JAN_FEB)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jan 1, 2026 – Feb 28, 2026" in page
    assert "$98.33" in page  # a booked appointment: $295.00 / 3
    assert "$147.50" in page  # a won job: $295.00 / 2
    assert "$21,000.00" in page and "71.2×" in page  # won revenue, return on net cost
    assert "Your best city: <strong>Austin, TX</strong>" in page
    assert "Your best service: <strong>Roofing</strong>" in page
    assert "Marketplace · google" in page and "Profile lead" in page
    assert "75%" in page  # acceptance rate 6 / 8
    assert "20 min" in page  # median response time
    assert "$299.00" in page  # territory subscription + membership, apart
    assert page.count('role="img"') == 2 and "<title>What your leads cost, by month" in page
    assert 'class="bar s-revenue"' in page and 'class="point s-appt"' in page
    for name in ["source", "city", "category", "month", "connections"]:
        assert f"format=csv&amp;table={name}" in page
    assert "How these numbers are counted" in page


def test_a_preset_fills_in_the_dates(alice):
    response = alice.get(URL, {"preset": "this_year"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2026-01-01"' in page and 'value="2026-03-02"' in page
    assert 'href="?preset=this_year" aria-current="true"' in page


def test_without_parameters_it_shows_the_last_30_days(alice):
    page = alice.get(URL).content.decode()
    assert "Feb 1, 2026 – Mar 2, 2026" in page  # today is Mar 2 in Los Angeles


@pytest.mark.parametrize(
    ("name", "expected_row"),
    [
        (
            "city",
            # Austin: P3 P4 P5 + O10 withdrawn, O11 pending
            ["Austin, TX", "3", "5", "3", "100.00", "175.00", "45.00", "130.00", "2", "2100"]
            + ["1", "130.00", "1", "15000.00", "130.00", "115.3846"],
        ),
        (
            "source",
            ["Marketplace · google", "2", "2", "2", "100.00", "90.00", "45.00", "45.00", "1"]
            + ["300", "1", "45.00", "1", "6000.00", "45.00", "133.3333"],
        ),
        (
            "category",
            ["Roofing", "2", "4", "2", "66.67", "200.00", "0.00", "200.00", "2", "900", "2"]
            + ["100.00", "1", "15000.00", "200.00", "75.0000"],
        ),
        (
            "month",
            ["Jan 2026", "2", "4", "2", "50.00", "165.00", "0.00", "165.00", "2", "750", "2"]
            + ["82.50", "1", "6000.00", "165.00", "36.3636"],
        ),
    ],
)
def test_every_table_exports_as_csv(alice, name, expected_row):
    response = alice.get(URL, {**JAN_FEB, "format": "csv", "table": name})
    assert response.status_code == 200
    assert f"fairlead-{name}-2026-01-01-to-2026-02-28.csv" in response["Content-Disposition"]
    rows = table(response)
    assert rows[0][:4] == [name, "leads", "offers_seen", "offers_accepted"]
    assert expected_row in rows
    assert rows[-1][:2] == ["All", "6"] and rows[-1][-1] == "71.1864"


def test_connections_export_counts_clicks(alice):
    rows = table(alice.get(URL, {**JAN_FEB, "format": "csv", "table": "connections"}))
    assert rows == [
        ["connection_type", "count"],
        ["Marketplace", "4"],
        ["Exclusive territory", "1"],
        ["Profile lead", "1"],
        ["Live call", "0"],
        ["Phone click", "3"],
        ["Website click", "1"],
    ]


def test_an_empty_period_says_so_and_how_to_fill_it(contractor_client, clock):
    response = contractor_client.get(URL, {"preset": "last_month"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing in this period yet." in page
    assert 'role="img"' not in page  # no empty chart


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "March 1"}, "Enter a date as YYYY-MM-DD"),
        ({"through": "2026-13-45"}, "Enter a date as YYYY-MM-DD"),
        ({"from": "2026-02-10", "through": "2026-02-01"}, "must end on or after"),
        ({"from": "2026-04-01", "through": "2026-04-30"}, "starts in the future"),
        ({"from": "2020-01-01", "through": "2026-02-01"}, "at most three years"),
        ({"from": "1999-12-31"}, "Pick a date from 2000 to 2100"),
        ({"through": "9999-12-31"}, "Pick a date from 2000 to 2100"),
        ({"preset": "forever"}, "Pick one of the listed periods"),
    ],
)
def test_bad_periods_get_a_message_next_to_the_field_never_a_500(
    contractor_client, clock, params, message
):
    response = contractor_client.get(URL, params)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Fix the dates above to see your numbers." in page
    csv_response = contractor_client.get(URL, {**params, "format": "csv", "table": "city"})
    assert csv_response.status_code == 400 and message in csv_response.content.decode()


def test_an_unknown_csv_table_is_a_400(contractor_client, clock):
    response = contractor_client.get(URL, {"format": "csv", "table": "planets"})
    assert response.status_code == 400
    assert b"Pick one of: source, city, category, month, connections, calls" in response.content


def test_another_contractor_sees_none_of_it(alice, client, other_contractor):
    client.force_login(other_contractor.user)
    page = client.get(URL, JAN_FEB).content.decode()
    assert "$77.77" in page  # Bob's own lead
    for alices in ["Austin", "Roofing", "$98.33", "$21,000.00", "$299.00"]:
        assert alices not in page
    rows = table(client.get(URL, {**JAN_FEB, "format": "csv", "table": "city"}))
    assert [row[0] for row in rows] == ["city", "San Diego, CA", "All"]
    assert rows[1][1] == "1"


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Bounded queries -------------------------------------------------------------------------


def bulk_leads(contractor, count: int, *, start: datetime) -> None:
    """`count` bought leads over two months, fast: bulk inserts, with offers, ledger
    debits, a contact attempt on every other one, outcomes of every kind and credits."""
    plumbing = ServiceCategoryFactory(name="Plumbing", slug="plumbing")
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    zips = [
        ZipCodeFactory(code="92101", city="San Diego", state="CA"),
        ZipCodeFactory(code="78701", city="Austin", state="TX"),
    ]
    template = LeadFactory.build(zip_code=zips[0], category=plumbing)
    account = billing.account_for(contractor)
    leads, moments = [], []
    for i in range(count):
        at = start + timedelta(hours=i * 1400 // max(count, 1))
        moments.append(at)
        lead = Lead(
            **{
                f.attname: getattr(template, f.attname)
                for f in Lead._meta.concrete_fields
                if not f.primary_key
            }
        )
        lead.reference = f"FL-B{i:06d}"
        lead.status_token = f"bulk-{i:06d}-{'y' * 32}"
        lead.status = Lead.Status.FILLED
        lead.zip_code = zips[i % 2]
        lead.category = plumbing if i % 3 else roofing
        lead.utm_source = ["", "google", "facebook"][i % 3]
        leads.append(lead)
    Lead.objects.bulk_create(leads)
    offers = Offer.objects.bulk_create(
        Offer(
            lead=lead,
            contractor=contractor,
            status=Offer.Status.ACCEPTED,
            route=["marketplace", "territory", "profile"][i % 3],
            price_cents=450,
            offered_at=at,
            expires_at=at + timedelta(hours=1),
            category=lead.category,
            zip_code=lead.zip_code,
            utm_source=lead.utm_source,
        )
        for i, (lead, at) in enumerate(zip(leads, moments, strict=True))
    )
    entries = Entry.objects.bulk_create(
        Entry(
            account=account,
            kind=Entry.Kind.LEAD_PURCHASE,
            amount_cents=-450,
            balance_after_cents=0,
            memo="bulk",
        )
        for _ in leads
    )
    outcomes = ["new", "contacted", "appointment", "won", "lost"]
    purchases = Purchase.objects.bulk_create(
        Purchase(
            lead=lead,
            contractor=contractor,
            offer=offer,
            entry=entry,
            price_cents=450,
            outcome=outcomes[i % 5],
            final_value_cents=100_000 if outcomes[i % 5] == "won" else None,
        )
        for i, (lead, offer, entry) in enumerate(zip(leads, offers, entries, strict=True))
    )
    for purchase, at in zip(purchases, moments, strict=True):
        purchase.created_at = at
    Purchase.objects.bulk_update(purchases, ["created_at"])
    ContactAttempt.objects.bulk_create(
        ContactAttempt(
            purchase=p, channel="call", result="reached", attempted_at=at + timedelta(minutes=9)
        )
        for p, at in list(zip(purchases, moments, strict=True))[::2]
    )
    Entry.objects.bulk_create(
        Entry(
            account=account,
            kind=Entry.Kind.CREDIT,
            amount_cents=450,
            balance_after_cents=0,
            memo="bulk credit",
            idempotency_key=f"proactive-credit:{p.pk}",
        )
        for p in purchases[::10]
    )
    rebuild_analytics(contractor)  # bulk rows skip the events: the nightly run counts them


@pytest.mark.parametrize("count", [10, 1_000])
def test_the_page_makes_the_same_queries_for_10_or_1000_leads(
    contractor_client, contractor, clock, count, django_assert_num_queries
):
    bulk_leads(contractor, count, start=datetime(2026, 1, 1, 18, tzinfo=UTC))
    assert Purchase.objects.filter(contractor=contractor).count() == count
    # session, user, contractor; rollup cells, response counts, offers (one GROUP BY),
    # services, zips, clicks, calls, fees
    with django_assert_num_queries(11):
        response = contractor_client.get(URL, {"preset": "this_year"})
    assert response.status_code == 200
    assert f"{count} lead" in response.content.decode()
    with django_assert_num_queries(11):
        assert contractor_client.get(URL, {"format": "csv", "table": "city"}).status_code == 200

"""GET /api/v1/analytics/: the page's numbers as JSON, paginated, own numbers only."""

from datetime import UTC, datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

from .analytics_dataset import build
from .test_analytics_page import bulk_leads

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/"
JAN_FEB = {"from": "2026-01-01", "to": "2026-03-01"}  # `to` is not included


@pytest.fixture
def alice(contractor_api, contractor, other_contractor, clock):
    build(contractor, clock, other=other_contractor)
    return contractor_api


def test_totals_and_rows_by_city(alice):
    response = alice.get(URL, {**JAN_FEB, "group_by": "city"})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["timezone"]) == (
        "2026-01-01",
        "2026-03-01",
        "America/Los_Angeles",
    )
    assert body["group_by"] == "city" and body["count"] == 2 and body["next"] is None
    totals = body["totals"]
    assert totals["leads"] == 6 and totals["net_cost_cents"] == 29_500  # 37,000 − 7,500
    assert totals["cost_per_appointment_cents"] == 9_833  # 29,500 / 3
    assert totals["cost_per_win_cents"] == 14_750  # 29,500 / 2
    assert totals["return_on_spend_bp"] == 711_864  # 2,100,000 / 29,500
    assert totals["acceptance_rate_bp"] == 7_500  # 6 / 8
    assert totals["median_response_seconds"] == 1_200
    assert totals["connections"] == {
        "marketplace": 4,
        "territory": 1,
        "profile": 1,
        "call": 0,
        "phone_click": 3,
        "website_click": 1,
    }
    assert (totals["subscription_fees_cents"], totals["membership_fees_cents"]) == (20_000, 9_900)
    austin = body["results"][0]
    assert (austin["key"], austin["label"]) == ("Austin, TX", "Austin, TX")
    assert austin["net_cost_cents"] == 13_000  # 17,500 − 4,500
    assert austin["return_on_spend_bp"] == 1_153_846  # 1,500,000 / 13,000
    assert austin["median_response_seconds"] == 2_100  # (600 + 3600) / 2


@pytest.mark.parametrize(
    ("group_by", "keys"),
    [
        ("source", ["marketplace", "marketplace:google", "territory", "profile"]),
        ("category", ["roofing", "plumbing"]),
        ("month", ["2026-01", "2026-02"]),
    ],
)
def test_every_grouping(alice, group_by, keys):
    body = alice.get(URL, {**JAN_FEB, "group_by": group_by}).json()
    assert [row["key"] for row in body["results"]] == keys


def test_month_rows_are_paginated_like_every_list(alice):
    body = alice.get(URL, {"from": "2024-01-01", "to": "2026-03-01"}).json()  # 26 months
    assert body["group_by"] == "month" and body["count"] == 26
    assert len(body["results"]) == 25 and "page=2" in body["next"]
    second = alice.get(body["next"]).json()
    assert [row["key"] for row in second["results"]] == ["2026-02"]
    assert second["totals"]["leads"] == 6  # the totals come with every page
    assert alice.get(URL, {"page": 9}).status_code == 404


def test_without_parameters_the_last_30_days_by_month(alice):
    body = alice.get(URL).json()
    assert (body["from"], body["to"], body["group_by"]) == ("2026-02-01", "2026-03-03", "month")


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "01/02/2026"}, "from", "Enter a date as YYYY-MM-DD"),
        ({"to": "2026-02-30"}, "to", "Enter a date as YYYY-MM-DD"),
        ({"from": "2026-02-01", "to": "2026-02-01"}, "to", "must end on or after"),
        ({"from": "2026-05-01"}, "from", "starts in the future"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to", "at most three years"),
        ({"to": "9999-12-31"}, "to", "Pick a date from 2000 to 2100"),
        ({"from": "0001-01-01"}, "from", "Pick a date from 2000 to 2100"),
        ({"group_by": "zip"}, "group_by", "Group by one of"),
    ],
)
def test_bad_parameters_are_400_by_field(contractor_api, clock, params, field, message):
    response = contractor_api.get(URL, params)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_another_contractor_gets_only_their_own_numbers(alice, other_contractor):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=other_contractor.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = client.get(URL, {**JAN_FEB, "group_by": "city"}).json()
    assert body["totals"]["leads"] == 1 and body["totals"]["spend_cents"] == 7_777
    assert [row["key"] for row in body["results"]] == ["San Diego, CA"]
    assert body["totals"]["connections"]["website_click"] == 1


def test_anonymous_is_401_and_staff_without_a_profile_403(api_client, clock):
    assert api_client.get(URL).status_code == 401
    api_client.force_authenticate(UserFactory(email="ops@fairlead.example", is_staff=True))
    response = api_client.get(URL)
    assert response.status_code == 403
    assert response.json() == {"non_field_errors": ["This account has no contractor profile."]}


@pytest.mark.parametrize("count", [10, 1_000])
def test_the_same_queries_for_10_or_1000_leads(
    contractor_api, contractor, clock, count, django_assert_num_queries
):
    bulk_leads(contractor, count, start=datetime(2026, 1, 1, 18, tzinfo=UTC))
    # token and user, contractor; rollup cells, response counts, offers (one GROUP BY),
    # clicks, calls, fees (the source rows name no service or zip)
    with django_assert_num_queries(8):
        response = contractor_api.get(URL, {"from": "2026-01-01", "group_by": "source"})
    assert response.status_code == 200 and response.json()["totals"]["leads"] == count

"""The leads page pages by keyset (marketplace/keyset.py): Older and Newer walk every
purchase once, in order, and a deep page costs the queries of the first."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from leads.models import Purchase
from tests.factories import PurchaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(contractor, clock):
    for n in range(45):
        PurchaseFactory(contractor=contractor)
        clock.shift(timedelta(minutes=1 if n % 10 else 0))  # some share a created_at
    return list(Purchase.objects.filter(contractor=contractor).order_by("-created_at", "-pk"))


def _link(page: str, name: str) -> str | None:
    found = re.search(rf'href="(\?{name}=[^"]+)"', page)
    return found and found.group(1).replace("&amp;", "&")


def test_older_and_newer_walk_every_purchase_once_in_order(
    contractor_client, history, django_assert_num_queries
):
    url, seen, pages = reverse("leads:leads"), [], []
    query = ""
    while True:
        response = contractor_client.get(url + query)
        pages.append(query)
        seen += [p.pk for p in response.context["page"]]
        query = _link(response.content.decode(), "older")
        if not query:
            break
    assert seen == [p.pk for p in history] and len(pages) == 3
    newer = _link(contractor_client.get(url + pages[-1]).content.decode(), "newer")
    back = contractor_client.get(url + newer)
    assert [p.pk for p in back.context["page"]] == [p.pk for p in history[20:40]]


def test_a_deep_page_costs_the_queries_of_the_first(
    contractor_client, history, django_assert_num_queries
):
    first = contractor_client.get(reverse("leads:leads"))
    deep = _link(first.content.decode(), "older")
    with django_assert_num_queries(4):
        contractor_client.get(reverse("leads:leads"))
    with django_assert_num_queries(4):
        contractor_client.get(reverse("leads:leads") + deep)


def test_an_unreadable_cursor_shows_the_first_page(contractor_client, history):
    response = contractor_client.get(reverse("leads:leads"), {"older": "yesterday_x"})
    assert [p.pk for p in response.context["page"]] == [p.pk for p in history[:20]]


@pytest.mark.parametrize(
    "cursor",
    [
        {"older": "0001-01-01T00:00:00+14:00_1"},  # before year 1 in UTC
        {"newer": "9999-12-31T23:59:59-12:00_1"},  # after year 9999 in UTC
        {"older": "2026-03-02T14:00:00+00:00_" + "9" * 30},  # an id no column holds
    ],
)
def test_a_cursor_out_of_range_shows_the_first_page(contractor_client, history, cursor):
    response = contractor_client.get(reverse("leads:leads"), cursor)
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == [p.pk for p in history[:20]]

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

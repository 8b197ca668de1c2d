"""LateRowPaginator (marketplace/pagination.py) pages exactly as Django's Paginator does,
ties in the order included; only the query behind a deep page differs."""

from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.urls import reverse

from leads import queries
from marketplace.pagination import LateRowPaginator
from tests.factories import PurchaseFactory

pytestmark = pytest.mark.django_db


def test_every_page_holds_the_rows_a_plain_paginator_gives(contractor, clock):
    for n in range(23):
        PurchaseFactory(contractor=contractor)
        clock.shift(timedelta(minutes=n % 2))  # pairs share a created_at
    rows = queries.purchases_for(contractor).order_by("-created_at", "-pk")
    plain, late = Paginator(rows, 5), LateRowPaginator(rows, 5)
    assert late.num_pages == plain.num_pages == 5
    for number in plain.page_range:
        assert [p.pk for p in late.page(number)] == [p.pk for p in plain.page(number)]


def test_the_api_leads_list_pages_deep_with_its_count(contractor_api, contractor, clock):
    for _ in range(30):
        PurchaseFactory(contractor=contractor)
        clock.shift(timedelta(minutes=1))
    body = contractor_api.get(reverse("api:leads"), {"page": 2}).json()
    assert body["count"] == 30 and len(body["results"]) == 5 and body["next"] is None

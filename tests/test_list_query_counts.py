"""Every dashboard list page and every API list costs the same number of queries with one
row as with twenty (a page's worth): no query per row. The counts are pinned, so a new
query on a list is a decision, not an accident."""

import pytest
from django.urls import reverse

from billing.services import account_for
from calls.models import Call, TrackingNumber
from marketplace.models import Notification, ServiceCategory, ZipCode
from tests.factories import (
    CreditClaimFactory,
    EntryFactory,
    NotificationFactory,
    OfferFactory,
    PurchaseFactory,
    ServiceCategoryFactory,
    TerritorySubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def _offers(contractor, n):
    OfferFactory.create_batch(n, contractor=contractor)


def _purchases(contractor, n):
    PurchaseFactory.create_batch(n, contractor=contractor)


def _claims(contractor, n):
    CreditClaimFactory.create_batch(n, purchase__contractor=contractor)


def _entries(contractor, n):
    EntryFactory.create_batch(n, account=account_for(contractor))


def _subscriptions(contractor, n):
    for code in list(ZipCode.objects.order_by("code").values_list("code", flat=True)[:n]):
        TerritorySubscriptionFactory(contractor=contractor, zip_code_id=code)


def _inbox(contractor, n):
    NotificationFactory.create_batch(n, user=contractor.user, channel=Notification.Channel.IN_APP)


def _calls(contractor, n):
    """Call leads the contractor bought, each with a recorded voicemail (rows only)."""
    line = TrackingNumber.objects.create(number="+15125550100", purpose="service_line", label="x")
    for purchase in PurchaseFactory.create_batch(n, contractor=contractor):
        Call.objects.create(
            call_sid=f"CA{purchase.pk:032d}",
            tracking_number=line,
            from_number=purchase.lead.phone,
            lead=purchase.lead,
            voicemail=True,
            recording_url=f"sim:{purchase.pk}",
            started_at=purchase.created_at,
        )


def _categories(contractor, n):
    ServiceCategoryFactory.create_batch(n - 1)  # `plumbing` is the first


# (URL name, rows maker, queries at 1 row and at 20)
DASHBOARD = [
    ("leads:offers", _offers, 6),
    ("leads:leads", _purchases, 4),  # keyset pages: no COUNT
    ("credits:credits", _claims, 5),
    ("territories:territories", _subscriptions, 16),
    ("billing:home", _entries, 8),
    ("marketplace:notifications", _inbox, 5),  # keyset pages: no COUNT
]
API = [
    ("api:offers", _offers, 4),
    ("api:leads", _purchases, 5),
    ("api:credit-claims", _claims, 4),
    ("api:territory-subscriptions", _subscriptions, 4),
    ("api:ledger", _entries, 4),
    ("api:categories", _categories, 3),
    ("api:calls", _calls, 4),
]


def _count(client, url, make, contractor, n, django_assert_num_queries, expected):
    make(contractor, n)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize(("name", "make", "expected"), DASHBOARD, ids=[d[0] for d in DASHBOARD])
def test_a_dashboard_list_costs_the_same_at_one_and_twenty_rows(
    contractor_client, contractor, metro_zips, name, make, expected, rows, django_assert_num_queries
):
    _count(
        contractor_client,
        reverse(name),
        make,
        contractor,
        rows,
        django_assert_num_queries,
        expected,
    )


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize(("name", "make", "expected"), API, ids=[a[0] for a in API])
def test_an_api_list_costs_the_same_at_one_and_twenty_rows(
    contractor_api, contractor, metro_zips, name, make, expected, rows, django_assert_num_queries
):
    _count(
        contractor_api, reverse(name), make, contractor, rows, django_assert_num_queries, expected
    )


@pytest.mark.parametrize("zips", [1, 20])
def test_territory_prices_for_every_service_cost_the_same_for_one_zip_and_twenty(
    contractor_api, metro_zips, zips, django_assert_num_queries
):
    """`GET territories/?zip=` without a category prices every active service: once a query
    per service and zip, now the same few queries whatever their number."""
    ServiceCategoryFactory.create_batch(9)
    services = ServiceCategory.objects.filter(active=True).count()
    codes = list(
        ZipCode.objects.filter(kind=ZipCode.Kind.STANDARD)
        .order_by("code")
        .values_list("code", flat=True)[:zips]
    )
    with django_assert_num_queries(9):
        response = contractor_api.get(reverse("api:territories"), {"zip": ",".join(codes)})
    assert response.status_code == 200
    assert response.json()["count"] == services * zips

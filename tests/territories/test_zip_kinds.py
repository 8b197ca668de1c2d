"""Territories are sold where homes are: the search never offers PO-box, single-organisation
(UNIQUE) or military zip codes, and an order naming one is refused."""

import pytest
from django.urls import reverse

from marketplace.models import ZipCode
from territories.models import TerritorySubscription

pytestmark = pytest.mark.django_db

PAGE = reverse("territories:territories")
TERRITORIES = reverse("api:territories")
SUBSCRIPTIONS = reverse("api:territory-subscriptions")
NOT_HOMES = [ZipCode.Kind.PO_BOX, ZipCode.Kind.UNIQUE, ZipCode.Kind.MILITARY]


@pytest.fixture
def page_client(client, funded):
    client.force_login(funded.user)
    return client


def shown_zips(html: str) -> set[str]:
    import re

    return set(re.findall(r'id="zip-(\d{5})"', html))


@pytest.mark.parametrize(
    "search",
    [
        {"metro": "san-diego"},
        {"q": "92101", "radius": 5},
        {"q": "San Diego, CA"},
        {"q": "Austin"},
    ],
)
def test_the_search_shows_only_zips_where_homes_are(page_client, metro_zips, search):
    html = page_client.get(PAGE, {"category": "plumbing", **search}).content.decode()
    shown = shown_zips(html)
    assert shown, html
    kinds = set(ZipCode.objects.filter(code__in=shown).values_list("kind", flat=True))
    assert kinds == {ZipCode.Kind.STANDARD}
    # The catalog has such zips right there: they were left out, not missing.
    if "q" in search and "San Diego" in search["q"]:
        assert ZipCode.objects.filter(city="San Diego", kind__in=NOT_HOMES).count() > 10
        assert "92112" not in shown and "92101" in shown


def test_a_search_around_a_po_box_zip_shows_its_neighbours(page_client, metro_zips):
    assert ZipCode.objects.get(code="92112").kind == ZipCode.Kind.PO_BOX
    html = page_client.get(PAGE, {"category": "plumbing", "q": "92112", "radius": 5}).content
    shown = shown_zips(html.decode())
    assert "92112" not in shown and "92101" in shown


def test_the_api_leaves_them_out_and_says_so_when_nothing_is_left(
    contractor_api, funded, metro_zips
):
    response = contractor_api.get(TERRITORIES, {"zip": "92101,92112", "category": "plumbing"})
    assert response.status_code == 200
    assert [row["zip_code"] for row in response.json()["results"]] == ["92101"]
    response = contractor_api.get(TERRITORIES, {"zip": "92112", "category": "plumbing"})
    assert response.status_code == 400
    assert response.json() == {
        "zip": ["92112 is a PO box zip code: territories cover zip codes where homes are."]
    }


def test_an_order_for_a_po_box_zip_is_refused_and_charges_nothing(
    contractor_api, funded, metro_zips
):
    response = contractor_api.post(
        SUBSCRIPTIONS, {"zip_codes": ["92101", "92112"], "category": "plumbing"}, format="json"
    )
    assert response.status_code == 400
    assert "92112 is a PO box zip code" in response.json()["zip_codes"][0]
    assert not TerritorySubscription.objects.exists()
    funded.account.refresh_from_db()
    assert funded.account.balance_cents == 100_000

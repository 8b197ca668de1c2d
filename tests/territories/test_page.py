"""The territory page: search, availability colours, price with discounts, subscribe, cancel."""

import pytest
from django.urls import reverse

from marketplace.models import ServiceCategory
from territories import services
from territories.models import TerritorySubscription
from tests.factories import ContractorFactory, fund
from tests.territories.conftest import served

pytestmark = pytest.mark.django_db

PAGE = reverse("territories:territories")


@pytest.fixture
def page_client(client, funded):
    client.force_login(funded.user)
    return client


def test_the_page_opens_on_the_pros_base_zip_with_every_figure(page_client, austin, funded):
    funded.base_zip_id = "78701"
    funded.save()
    response = page_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have no exclusive territory yet" in html
    assert 'id="zip-78701"' in html and 'id="territory-map"' in html
    assert "Every service free" in html and "$29.00" in html
    assert "vendor/leaflet/leaflet.js" in html and "https://" not in html.split("<body")[0]


def test_search_by_city_metro_and_bad_input(page_client, austin):
    html = page_client.get(PAGE, {"category": "plumbing", "q": "Austin, TX"}).content.decode()
    assert 'id="zip-78701"' in html and 'id="zip-78702"' in html
    html = page_client.get(PAGE, {"category": "plumbing", "q": "99999"}).content.decode()
    assert "99999 is not a US zip code we know." in html
    html = page_client.get(PAGE, {"category": "plumbing", "q": "Atlantis"}).content.decode()
    assert "No zip codes found for “Atlantis”" in html
    html = page_client.get(PAGE, {"category": "nope", "q": "78701"}).content.decode()
    assert "Pick a service from the list." in html
    html = page_client.get(PAGE, {"category": "plumbing", "metro": "austin"}).content.decode()
    assert 'id="zip-78701"' in html and "zip codes for Plumbing" in html
    html = page_client.get(
        PAGE, {"category": "plumbing", "metro": "austin", "q": "78701"}
    ).content.decode()
    assert "not both" in html


def test_colours_follow_what_others_hold(page_client, austin, plumbing):
    active = ServiceCategory.objects.filter(active=True)
    other = fund(ContractorFactory(service_zips=served(), categories=list(active)), 10_000_000)
    services.subscribe(other, zip_codes=[austin[0]], category=plumbing)
    for category in active:
        if category != plumbing:
            services.subscribe(other, zip_codes=[austin[1]], category=category)
    services.subscribe(other, zip_codes=[austin[1]], category=plumbing)
    html = page_client.get(PAGE, {"category": "plumbing", "q": "78701", "radius": 5}).content
    html = html.decode()
    row = lambda code: html.split(f'id="zip-{code}"')[0].rsplit("<tr", 1)[1]  # noqa: E731
    assert 'class="avail-partial' in row("78701")
    assert 'class="avail-taken' in row("78702")
    assert 'class="avail-free' in row("78703")
    assert html.split('id="zip-78701"')[1].lstrip().startswith("disabled")  # plumbing taken
    assert not html.split('id="zip-78703"')[1].lstrip().startswith("disabled")


def test_the_quote_shows_each_figure_and_the_discount(page_client, austin):
    response = page_client.post(
        reverse("territories:territory-quote"),
        {"category": "plumbing", "zip_codes": [z.code for z in austin]},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("at least the $29.00 minimum") == 5
    assert "10% for 5 zips" in html
    assert "$130.50" in html  # 5 × ($29 − 10%)
    assert 'name="expected_total_cents" value="13050"' in html
    assert "the first month in full" in html and "$15.00 for each qualified lead" in html


def test_the_quote_explains_bad_picks(page_client, austin):
    response = page_client.post(
        reverse("territories:territory-quote"),
        {"category": "plumbing", "zip_codes": ["00000"]},
        HTTP_HX_REQUEST="true",
    )
    assert "Unknown zip code: 00000." in response.content.decode()
    response = page_client.post(
        reverse("territories:territory-quote"), {"category": "plumbing"}, HTTP_HX_REQUEST="true"
    )
    assert "Pick at least one zip code." in response.content.decode()


def test_subscribing_from_the_page_then_cancelling(page_client, funded, austin):
    response = page_client.post(
        reverse("territories:territory-subscribe"),
        {"category": "plumbing", "zip_codes": ["78701", "78702"], "expected_total_cents": 5800},
        follow=True,
    )
    html = response.content.decode()
    assert "You now hold 2 territories. We charged $58.00" in html
    assert "Renews Apr" in html or "Renews" in html
    sub = TerritorySubscription.objects.get(zip_code_id="78701")
    html = page_client.post(
        reverse("territories:territory-cancel", args=[sub.pk]), follow=True
    ).content.decode()
    assert "is not charged again" in html and "Keep it" in html
    sub.refresh_from_db()
    assert sub.cancel_at_period_end
    page_client.post(reverse("territories:territory-resume", args=[sub.pk]))
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end


def test_a_taken_pair_or_a_moved_price_is_explained_without_charging(page_client, funded, austin):
    other = fund(ContractorFactory(service_zips=served()))
    services.subscribe(other, zip_codes=[austin[0]], category=austin and funded.categories.get())
    response = page_client.post(
        reverse("territories:territory-subscribe"),
        {"category": "plumbing", "zip_codes": ["78701"], "expected_total_cents": 2900},
    )
    assert response.status_code == 409
    assert "already taken in 78701" in response.content.decode()
    response = page_client.post(
        reverse("territories:territory-subscribe"),
        {"category": "plumbing", "zip_codes": ["78702"], "expected_total_cents": 100},
    )
    assert response.status_code == 409
    assert "The price is now $29.00 a month" in response.content.decode()
    assert not TerritorySubscription.objects.filter(contractor=funded).exists()


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_costs_the_same_queries_for_a_few_zips_or_a_whole_metro(
    page_client, austin, plumbing, django_assert_num_queries
):
    other = fund(ContractorFactory(service_zips=served()), 1_000_000)
    services.subscribe(other, zip_codes=austin, category=plumbing)

    def count(params):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = page_client.get(PAGE, params)
        assert response.status_code == 200
        return len(queries), response.context["rows"]

    few, few_rows = count({"category": "plumbing", "q": "78701", "radius": 1})
    many, many_rows = count({"category": "plumbing", "metro": "san-diego"})
    assert len(few_rows) < 20 and len(many_rows) > 50  # 57 San Diego zips where homes are
    assert few == many
    with django_assert_num_queries(few):
        page_client.get(PAGE, {"category": "plumbing", "metro": "austin"})
    assert few <= 16


def test_after_subscribing_the_page_shows_the_same_search(page_client, funded, austin):
    response = page_client.post(
        reverse("territories:territory-subscribe"),
        {
            "category": "plumbing",
            "zip_codes": ["78701"],
            "q": "78701",
            "radius": "10",
            "metro": "",
            "next": "https://evil.example/",  # ignored: never a URL the request names
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("territories:territories") + "?category=plumbing&q=78701&radius=10"
    )
    html = page_client.get(response["Location"]).content.decode()
    assert "Austin, TX" in html  # the table names the state: there is a San Diego in Texas


def test_the_map_shows_money_as_the_table_does(page_client, austin, funded, plumbing):
    import json
    import re

    from territories.models import PriceOverride

    PriceOverride.objects.create(
        zip_code=austin[0], category=plumbing, monthly_fee_cents=120_000, reason="test"
    )
    html = page_client.get(PAGE, {"category": "plumbing", "q": "78701"}).content.decode()
    data = re.search(r'id="territory-data"[^>]*>(.*?)</script>', html, re.S).group(1)
    fees = {row["code"]: row["fee"] for row in json.loads(data)}
    assert fees["78701"] == "$1,200.00" and "$1,200.00" in html


def test_the_price_box_states_terms_from_the_settings(page_client, austin, funded, settings):
    settings.TERRITORY_MIN_MONTHLY_LEADS = 2
    settings.TERRITORY_VOLUME_DISCOUNTS = {"3": 5, "8": 12}
    html = page_client.get(PAGE, {"category": "plumbing", "q": "78701"}).content.decode()
    assert "priced as 2 leads a month" in html
    assert "5% off every zip when you hold 3 or more; 12% off every zip when you hold 8" in html
    response = page_client.post(
        reverse("territories:territory-quote"),
        {"category": "plumbing", "zip_codes": ["78701"]},
        HTTP_HX_REQUEST="true",
    )
    assert (
        "marketplace leads cost 1% of their estimated job value instead"
        in response.content.decode()
    )

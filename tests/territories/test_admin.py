"""Ops run territories from the admin: lists with filters, overrides, demand, metros."""

import pytest
from django.urls import reverse

from territories import services
from territories.models import PriceOverride
from tests.factories import ContractorFactory, UserFactory, fund
from tests.territories.conftest import served

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(client, staff_groups):
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    client.force_login(user)
    return client, user


@pytest.fixture
def taken(clock, austin, plumbing):
    pro = fund(ContractorFactory(service_zips=served(), business_name="Capitol Plumbing"))
    return services.subscribe(pro, zip_codes=austin[:2], category=plumbing)


def test_finance_sees_subscriptions_filtered_by_metro_and_status(finance_client, taken):
    client, _ = finance_client
    url = reverse("admin:territories_territorysubscription_changelist")
    html = client.get(url, {"metro": "austin"}).content.decode()
    assert "Capitol Plumbing" in html and "78702" in html
    html = client.get(url, {"metro": "san-diego"}).content.decode()
    assert "Capitol Plumbing" not in html
    html = client.get(url, {"status__exact": "suspended"}).content.decode()
    assert "Capitol Plumbing" not in html
    assert "Pairs taken per metro" in client.get(url).content.decode()


def test_pairs_taken_per_metro(finance_client, taken):
    client, _ = finance_client
    html = client.get(reverse("admin:territories_metros")).content.decode()
    austin_row = html.split("Austin, TX")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in austin_row.split("<td>")[1:]]
    assert cells[2] == "2"  # taken
    assert cells[4] == "1"  # holders


def test_a_price_override_records_who_set_it_and_changes_the_quote(
    finance_client, austin, plumbing, contractor
):
    client, user = finance_client
    response = client.post(
        reverse("admin:territories_priceoverride_add"),
        {
            "zip_code": "78701",
            "category": plumbing.pk,
            "monthly_fee_cents": 9_900,
            "reason": "Downtown demand",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PriceOverride.objects.get().set_by == user
    quote = services.quote(contractor, zip_codes=austin[:1], category=plumbing)
    assert quote.total_cents == 9_900


def test_a_demand_index_per_state_raises_prices_and_a_zip_beats_it(
    finance_client, austin, plumbing, contractor, settings
):
    settings.TERRITORY_FEE_FLOOR_CENTS = 100
    client, _ = finance_client
    add = reverse("admin:territories_demandindex_add")
    assert client.post(add, {"state": "TX", "percent": 200, "note": "boom"}).status_code == 302
    assert client.post(add, {"zip_code": "78701", "percent": 50}).status_code == 302
    both = client.post(add, {"zip_code": "78702", "state": "TX", "percent": 50})
    assert "not both" in both.content.decode()
    quote = services.quote(contractor, zip_codes=austin[:2], category=plumbing)
    # 1 lead × $450 × 5% = $22.50: × 50% = $11.25 → $11; × 200% = $45.
    assert [line.list_price_cents for line in quote.lines] == [1_100, 4_500]


def test_a_screener_may_look_but_not_price(client, staff_groups, taken):
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="screeners"))
    client.force_login(user)
    assert (
        client.get(reverse("admin:territories_territorysubscription_changelist")).status_code == 200
    )
    assert client.get(reverse("admin:territories_priceoverride_add")).status_code == 403


def test_a_zip_belongs_to_the_metro_whose_circle_it_is_in(db):
    from territories.metros import metros_of
    from tests.factories import ZipCodeFactory

    ZipCodeFactory(code="78701", latitude=30.2713, longitude=-97.7426)  # Austin's center
    ZipCodeFactory(code="78745", latitude=30.2070, longitude=-97.7957)  # south Austin, 5 mi
    ZipCodeFactory(code="75201", latitude=32.7904, longitude=-96.8044)  # Dallas's center
    ZipCodeFactory(code="79901", latitude=31.7587, longitude=-106.4869)  # El Paso: none
    found = metros_of(["78701", "78745", "75201", "79901", "00000"])
    assert {code: m.slug for code, m in found.items()} == {
        "78701": "austin",
        "78745": "austin",
        "75201": "dallas",
    }


def test_no_two_metros_overlap_so_a_zip_is_in_one_at_most():
    """zip_codes_in() (the page, the admin) and metros_of() (the ops report) agree only
    while the circles are apart: a new metro must keep it so."""
    import zipcodes

    from marketplace.queries import great_circle_miles
    from territories.metros import METROS

    def center(metro):
        (row,) = zipcodes.matching(metro.center_zip)
        return float(row["lat"]), float(row["long"])

    for i, one in enumerate(METROS):
        for other in METROS[i + 1 :]:
            apart = great_circle_miles(*center(one), *center(other))
            assert apart > one.radius_miles + other.radius_miles, (one.slug, other.slug)

"""What a contractor still lacks to receive leads, each with a sentence and where to fix it."""

import pytest
from django.urls import reverse

from billing.pricing import lead_price_cents
from billing.queries import readiness
from marketplace.models import ServiceArea
from tests.factories import ContractorFactory, ServiceCategoryFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def pro(metro_zips, plumbing):
    """Onboarded, serving plumbing in 92101, with no money yet."""
    contractor = ContractorFactory(base_zip_id="92101", categories=[plumbing])
    ServiceArea.objects.create(contractor=contractor, zip_code_id="92101")
    return contractor


def codes(contractor) -> list[str]:
    return [item.code for item in readiness(contractor)]


def test_a_new_pro_with_no_money_is_told_to_add_funds(pro, plumbing):
    (item,) = readiness(pro)
    assert item.code == "funds"
    assert item.title == "Add funds"
    assert item.url == reverse("billing:home") + "#add-funds"
    price = lead_price_cents(plumbing.typical_job_value_cents)
    assert f"a typical Plumbing lead costs ${price // 100}.{price % 100:02d}" in item.sentence
    assert "$0.00" in item.sentence


def test_funds_are_enough_from_the_price_of_the_cheapest_typical_lead_of_their_services(
    pro, plumbing
):
    cheap = ServiceCategoryFactory(name="Odd jobs", slug="odd-jobs", typical_job_value_cents=20_000)
    pro.categories.add(cheap)
    cheapest = lead_price_cents(cheap.typical_job_value_cents)
    assert cheapest < lead_price_cents(plumbing.typical_job_value_cents)
    fund(pro, cheapest - 1)
    assert codes(pro) == ["funds"]
    assert "a typical Odd jobs lead costs" in readiness(pro)[0].sentence
    fund(pro, 1)
    assert codes(pro) == []


def test_no_service_area_no_services_paused_and_deactivated_are_each_missing(pro, plumbing):
    fund(pro)
    pro.service_areas.all().delete()
    pro.categories.clear()
    pro.is_paused = True
    pro.is_active = False
    pro.save()
    items = {item.code: item for item in readiness(pro)}
    assert set(items) == {"deactivated", "paused", "categories", "service_area"}
    assert items["service_area"].url == reverse("marketplace:settings")
    assert items["categories"].url == reverse("marketplace:settings")
    assert items["paused"].url == reverse("marketplace:settings")
    assert items["deactivated"].url == ""  # nothing to click: support reactivates
    assert "Contact Fairlead support" in items["deactivated"].sentence


def test_a_star_score_below_the_threshold_is_missing_and_an_unrated_pro_passes(pro, settings):
    fund(pro)
    settings.STAR_SCORE_THRESHOLD = 80
    pro.star_score = None
    assert codes(pro) == []
    pro.star_score = 80
    assert codes(pro) == []
    pro.star_score = 79
    (item,) = readiness(pro)
    assert item.code == "star_score"
    assert "79%" in item.sentence and "80%" in item.sentence


def test_readiness_costs_three_queries(pro, django_assert_num_queries):
    with django_assert_num_queries(3):  # balance, services' typical values, service area
        readiness(pro)


def test_a_balance_below_zero_is_explained_on_the_overview(contractor, client):
    from billing import services

    services.post_entry(
        services.account_for(contractor),
        kind="adjustment",
        amount_cents=-1_250,
        memo="test",
        reason="a reversed credit",
    )
    client.force_login(contractor.user)
    page = client.get(reverse("leads:home")).content.decode()
    assert "you owe $12.50" in page
    assert "Buying and new offers are paused" in page

"""A contractor picks three zips on the territory map, sees the volume discount, subscribes,
and another contractor then sees those zips taken."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.models import ZipCode
from territories import services
from territories.models import TerritorySubscription
from tests.browser.test_credit_claim import log_in
from tests.factories import ContractorFactory, ServiceCategoryFactory, UserFactory, fund
from tests.territories.conftest import served

pytestmark = pytest.mark.django_db(transaction=True)


def test_pick_three_zips_on_the_map_see_the_discount_subscribe_and_others_see_them_taken(
    live_server, page, metro_zips, plumbing, artifacts
):
    ServiceCategoryFactory(name="Roofing", slug="roofing")  # so plumbing alone is "some"
    pro = fund(
        ContractorFactory(
            service_zips=served(),
            user=UserFactory(email="tess@capitol.example"),
            business_name="Capitol Plumbing",
            base_zip_id="78701",
        ),
        100_000,
    )
    # Two zips held already: three more make five, which earns 10% off each.
    services.subscribe(
        pro, zip_codes=list(ZipCode.objects.filter(code__in=["78745", "78746"])), category=plumbing
    )
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "tess@capitol.example")
    page.goto(f"{live_server.url}/dashboard/territories/?category=plumbing&q=78701&radius=5")
    markers = page.locator("path.leaflet-interactive[data-zip]")
    expect(markers.first).to_be_visible()
    # The state outlines, drawn from the vendored us-atlas file.
    outlines = page.locator("#territory-map .leaflet-overlay-pane path:not([data-zip])")
    expect(outlines.first).to_be_attached()
    for code in ["78701", "78702", "78703"]:
        page.locator(f'path.leaflet-interactive[data-zip="{code}"]').click(force=True)
        expect(page.locator(f"#zip-{code}")).to_be_checked()
    quote = page.locator("#quote")
    expect(quote).to_contain_text("10% for 5 zips")
    expect(page.locator("#quote-total")).to_have_text("$78.30")  # 3 × ($29 − 10%)
    page.screenshot(path=str(artifacts / "territory-map.png"), full_page=True)
    page.get_by_role("button", name=re.compile(r"Subscribe for \$78\.30 a month")).click()
    expect(page.locator(".message-success")).to_contain_text("You now hold 3 territories")
    assert TerritorySubscription.objects.filter(contractor=pro, status="active").count() == 5

    other = fund(
        ContractorFactory(service_zips=served(), user=UserFactory(email="omar@rival.example"))
    )
    page.context.clear_cookies()
    log_in(page, live_server.url, "omar@rival.example")
    page.goto(f"{live_server.url}/dashboard/territories/?category=plumbing&q=78701&radius=5")
    for code in ["78701", "78702", "78703"]:
        expect(page.locator(f"#zip-{code}")).to_be_disabled()
        row = page.locator("tr", has=page.locator(f"#zip-{code}"))
        expect(row).to_contain_text("Some services taken")  # plumbing taken, roofing free
        expect(row).to_contain_text("Taken")
    fill = page.locator('path.leaflet-interactive[data-zip="78701"]').get_attribute("fill")
    assert fill == "#f2a900"  # yellow on the map too
    page.screenshot(path=str(artifacts / "territory-map-other.png"), full_page=True)
    assert other.territory_subscriptions.count() == 0

"""A contractor opens Analytics on a phone: the month chart draws its bars and points, the
tables scroll sideways rather than breaking the page, and the CSV link downloads."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from time_machine import escape_hatch

from tests.factories import PASSWORD
from tests.insights.analytics_dataset import build

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_month_chart_renders_bars_and_points_on_a_phone(
    live_server, page, contractor, other_contractor, clock, artifacts
):
    build(contractor, clock, other=other_contractor)
    # The data is in January and February 2026; from here on, the server runs in real time
    # like the browser (session cookies expire by the browser's clock).
    clock.move_to(datetime.fromtimestamp(escape_hatch.time.time(), UTC), tick=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(contractor.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Analytics").click()
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("Through").fill("2026-02-28")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_text("Your best city:")).to_contain_text("Austin, TX")
    charts = page.locator("figure.chart svg[role=img]")
    expect(charts).to_have_count(2)
    cost, earned = charts.nth(0), charts.nth(1)
    expect(cost).to_have_attribute(
        "aria-label",
        "What your leads cost, by month. Net cost, Cost per booked appointment, Cost per won "
        "job by month, Jan 2026 to Feb 2026. The table beside it has the numbers.",
    )
    # A net-cost bar per month, and a point per month for what a booked appointment
    # ($82.50, $130.00) and a won job ($165.00, $130.00) cost, joined by a line each.
    expect(cost.locator("rect.bar")).to_have_count(2)
    expect(cost.locator("circle.point")).to_have_count(4)
    expect(cost.locator("polyline.line")).to_have_count(2)
    # Won revenue on its own scale: $6,000 in January, $15,000 in February.
    revenue = earned.locator("rect.s-revenue")
    expect(revenue).to_have_count(2)
    heights = [revenue.nth(i).bounding_box()["height"] for i in range(2)]
    assert 0 < heights[0] < heights[1]
    for i in range(2):
        box = cost.locator("rect.bar").nth(i).bounding_box()
        assert box["height"] >= 1 and box["width"] >= 2
    assert charts.nth(0).bounding_box()["width"] <= 390
    # The wide tables scroll inside their box; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "analytics.png"), full_page=True)

    with page.expect_download() as download:
        page.locator("a[href*='table=city']").click()
    assert download.value.suggested_filename == "fairlead-city-2026-01-01-to-2026-02-28.csv"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(charts).to_have_count(2)
    page.screenshot(path=str(artifacts / "analytics-desktop.png"), full_page=True)

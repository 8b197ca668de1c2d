"""A contractor opens Analytics on a phone: the month chart draws its bars and points, the
tables scroll sideways rather than breaking the page, and the CSV link downloads."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from time_machine import escape_hatch

from leads.services import record_outcome
from tests.factories import PASSWORD, CallFactory, CallLegFactory
from tests.insights.analytics_dataset import build

from .test_credit_claim import log_in

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


@pytest.mark.parametrize("width", [390, 1280])
def test_live_calls_read_on_a_phone_and_a_desktop(live_server, page, contractor, artifacts, width):
    """Four calls rang the pro today: three answered (75 s and 90 s qualified at $15.00,
    40 s short), one busy; the 90 s one is booked."""
    for seconds, fee in [(75, 1_500), (90, 1_500), (40, 0)]:
        call = CallFactory(
            connected=True, bridged_seconds=seconds, qualified=fee > 0, fee_cents=fee
        )
        leg = CallLegFactory(call=call, contractor=contractor, taken=True, price_cents=1_500)
        if seconds == 90:
            record_outcome(leg.offer.purchase, outcome="appointment")
    CallLegFactory(contractor=contractor, status="busy")
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, contractor.user.email)
    page.get_by_role("link", name="Analytics").click()

    calls = page.locator("section", has=page.get_by_role("heading", name="Live calls"))
    for figure, count in [
        ("Rang you", "4"),
        ("Answered", "3"),
        ("Missed", "1"),
        ("Qualified", "2"),
    ]:
        expect(calls.get_by_role("row", name=figure)).to_contain_text(count)
    expect(calls).to_contain_text("75%")  # 3 answered of 4
    expect(calls).to_contain_text("66.7%")  # 2 qualified of 3
    expect(calls).to_contain_text("1:08")  # (75 + 90 + 40) / 3 s
    expect(calls).to_contain_text("$30.00 (qualified calls only")
    expect(calls).to_contain_text("$30.00 ($30.00 net ÷ 1 booked)")
    connections = page.locator("table", has_text="Connection type")
    expect(connections.get_by_role("row", name="Live call")).to_contain_text("4")
    expect(page.get_by_role("row", name="Live call").last).to_contain_text("$30.00")  # by source
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"analytics-calls-{width}.png"), full_page=True)

"""On a phone every dashboard section is in sight and a tap away: no item runs off-screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_credit_claim import log_in
from tests.factories import ContractorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECTIONS = [
    ("Overview", "/dashboard/"),
    ("Offers", "/dashboard/offers/"),
    ("Leads", "/dashboard/leads/"),
    ("Territories", "/dashboard/territories/"),
    ("Billing", "/dashboard/billing/"),
    ("Credits", "/dashboard/credits/"),
    ("Analytics", "/dashboard/analytics/"),
    ("Settings", "/dashboard/settings/"),
    ("Notifications", "/dashboard/notifications/"),  # the bell
]


@pytest.mark.parametrize("width", [390, 1280])
def test_every_dashboard_section_is_on_screen_and_opens(
    live_server, page, plumbing, artifacts, width
):
    ContractorFactory(user=UserFactory(email="maria@rivera.example"))
    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "maria@rivera.example")
    page.goto(live_server.url + "/dashboard/")
    nav = page.get_by_role("navigation", name="Dashboard")
    page.screenshot(path=str(artifacts / f"dashboard-nav-{width}.png"))
    # Nothing on the page is wider than the phone: no sideways scrolling hides anything.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for name, path in SECTIONS:
        link = nav.get_by_role("link", name=name, exact=True)
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
        assert box["height"] >= 24, (name, box)  # a thumb can hit it
        link.click()
        expect(page).to_have_url(live_server.url + path)
        nav = page.get_by_role("navigation", name="Dashboard")
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_attribute(
            "aria-current", "page"
        )


@pytest.mark.parametrize("width", [390, 1280])
def test_log_out_reads_as_the_header_links_beside_it(live_server, page, plumbing, width):
    """Log out is a form's button (it posts): it takes the header's type, not a button's."""
    ContractorFactory(user=UserFactory(email="maria@rivera.example"))
    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "maria@rivera.example")
    page.goto(live_server.url + "/dashboard/")
    header = page.locator(".site-header")
    size = "el => getComputedStyle(el).fontSize"
    dashboard = header.get_by_role("link", name="Dashboard", exact=True).evaluate(size)
    assert header.get_by_role("button", name="Log out").evaluate(size) == dashboard

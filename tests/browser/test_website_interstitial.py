"""A homeowner clicks a pro's Website on the profile, reads where they are going, goes back
to the profile, then continues to the pro's own site (served here by a route Playwright
answers, so the test never leaves the machine), at phone and desktop widths."""

import pytest
from playwright.sync_api import expect

from marketplace.models import ProfileClick, ZipCode
from tests.factories import ContractorFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough to overflow a phone's width unless the page wraps it.
WEBSITE = "https://harborplumbing.example/services/water-heaters/tankless-installation-and-repair"
WIDTHS = [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")]


@pytest.fixture
def pro(metro_zips, plumbing):
    return ContractorFactory(
        business_name="Harbor Plumbing",
        slug="harbor-plumbing",
        base_zip=ZipCode.objects.get(code="92101"),
        website=WEBSITE,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_homeowner_sees_the_destination_and_continues_to_it(
    live_server, page, pro, artifacts, width
):
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    reached = []

    def pro_site(route):
        reached.append((route.request.url, route.request.headers.get("referer")))
        route.fulfill(status=200, content_type="text/html", body="<h1>Harbor's own site</h1>")

    page.route("https://harborplumbing.example/**", pro_site)
    page.goto(f"{live_server.url}/pros/harbor-plumbing/")
    page.get_by_role("button", name="Website").click()

    expect(
        page.get_by_role("heading", name="You are leaving Fairlead for harborplumbing.example")
    ).to_be_visible()
    expect(page.get_by_text(WEBSITE, exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"website-interstitial-{width}.png"), full_page=True)
    assert ProfileClick.objects.filter(kind="website").count() == 1

    page.get_by_role("button", name="Back to Harbor Plumbing on Fairlead").click()
    expect(page.get_by_role("heading", name="Harbor Plumbing")).to_be_visible()

    page.get_by_role("button", name="Website").click()
    continue_link = page.get_by_role("button", name="Continue to harborplumbing.example")
    expect(continue_link).to_have_attribute("rel", "noopener noreferrer nofollow ugc")
    continue_link.click()
    expect(page.get_by_role("heading", name="Harbor's own site")).to_be_visible()
    assert reached[0][0] == WEBSITE
    assert reached[0][1] is None  # no Fairlead page is sent as the referrer

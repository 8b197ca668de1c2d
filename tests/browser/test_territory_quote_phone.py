"""The price of the zips picked reads on a phone: what you pay for each zip and in total is on
screen, not behind a sideways scroll."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_credit_claim import log_in
from tests.factories import ContractorFactory, UserFactory, fund

pytestmark = pytest.mark.django_db(transaction=True)


def on_screen(locator, width):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [390, 1280])
def test_you_pay_is_on_screen_for_each_zip_and_the_total(
    live_server, page, metro_zips, plumbing, artifacts, width
):
    fund(ContractorFactory(user=UserFactory(email="tess@capitol.example"), base_zip_id="78701"))
    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "tess@capitol.example")
    page.goto(f"{live_server.url}/dashboard/territories/?category=plumbing&q=78701&radius=5")
    for code in ["78701", "78702"]:
        page.locator(f"#zip-{code}").check()
    quote = page.locator("#quote")
    expect(quote.locator("tbody tr")).to_have_count(2)
    expect(page.locator("#quote-total")).to_have_text("$58.00")
    quote.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"territory-quote-{width}.png"), full_page=True)
    for row in quote.locator("tbody tr").all():
        pay = row.locator("td").last
        expect(pay).to_contain_text("$29.00")
        assert on_screen(pay, width), pay.bounding_box()
        # Named beside the amount on a phone; by the column's header on a wide screen.
        label = row.get_by_text("You pay") if width < 600 else quote.get_by_role("columnheader")
        label = label.filter(has_text="You pay")
        expect(label).to_be_visible()
        assert on_screen(label, width), label.bounding_box()
    assert on_screen(page.locator("#quote-total"), width)


@pytest.mark.parametrize("width", [390, 1280])
def test_each_zips_monthly_price_is_on_screen_in_the_table(
    live_server, page, metro_zips, plumbing, artifacts, width
):
    fund(ContractorFactory(user=UserFactory(email="tess@capitol.example"), base_zip_id="78701"))
    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "tess@capitol.example")
    page.goto(f"{live_server.url}/dashboard/territories/?category=plumbing&q=78701&radius=5")
    row = page.locator("tr", has=page.locator("#zip-78701"))
    price = row.locator("td.price")
    price.scroll_into_view_if_needed()
    expect(price).to_contain_text("$29.00")
    assert on_screen(price, width), price.bounding_box()
    assert on_screen(row.locator("td.avail"), width)
    page.screenshot(path=str(artifacts / f"territory-table-{width}.png"))

"""A contractor picks a month of the statement and downloads that month as CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from playwright.sync_api import expect

from billing import services
from tests.browser.test_credit_claim import log_in
from tests.factories import ContractorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_downloaded_csv_is_the_month_picked(live_server, page, plumbing, artifacts, width):
    pro = ContractorFactory(user=UserFactory(email="maria@rivera.example"))
    account = services.account_for(pro)
    with time_machine.travel(datetime(2026, 2, 10, 12, 0, tzinfo=UTC), tick=False):
        services.post_entry(account, kind="top_up", amount_cents=10_000, memo="February top-up")
    with time_machine.travel(datetime(2026, 3, 5, 9, 30, tzinfo=UTC), tick=False):
        services.post_entry(account, kind="top_up", amount_cents=2_500, memo="March top-up")

    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "maria@rivera.example")
    page.goto(live_server.url + "/dashboard/billing/")
    page.get_by_label("Month").select_option(label="February 2026")
    expect(page.locator("#statement-rows")).not_to_contain_text("March top-up")
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/dashboard/billing/statement.csv?month=2026-02"
    )
    page.screenshot(path=str(artifacts / f"statement-month-{width}.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "fairlead-statement-2026-02.csv"
    rows = list(csv.reader(io.StringIO(open(download.value.path()).read())))
    assert [row[2] for row in rows[1:]] == ["February top-up"]

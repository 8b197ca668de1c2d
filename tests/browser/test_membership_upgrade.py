"""Upgrading a tier: the first tap shows what is charged today and what renews when; only
Confirm charges, and the balance moves by exactly the amount shown."""

import re

import pytest
from playwright.sync_api import expect

from billing.models import Entry
from tests.browser.test_credit_claim import log_in
from tests.factories import ContractorFactory, UserFactory, fund

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_upgrade_asks_with_the_amount_and_the_renewal_then_charges_exactly_that(
    live_server, page, plumbing, artifacts, width
):
    pro = fund(ContractorFactory(user=UserFactory(email="maria@rivera.example")), 50_000)
    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "maria@rivera.example")
    page.goto(live_server.url + "/dashboard/billing/")
    expect(page.locator("#balance")).to_have_text("$500.00")

    page.get_by_role("button", name=re.compile(r"Upgrade now: \$149\.00 today")).click()
    expect(page.get_by_role("heading", name="Upgrade to Elite?")).to_be_visible()
    expect(page.get_by_text("$149.00 today")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Renews on \w{3} \d{1,2}, \d{4} at \$149\.00 a month"))
    ).to_be_visible()
    page.screenshot(path=str(artifacts / f"upgrade-confirm-{width}.png"), full_page=True)
    pro.refresh_from_db()
    assert pro.tier == "base"  # the first tap charged nothing
    assert not Entry.objects.filter(kind=Entry.Kind.MEMBERSHIP).exists()

    page.get_by_role("button", name="Confirm: pay $149.00").click()
    expect(page.locator(".message-success")).to_contain_text("We charged $149.00")
    expect(page.locator("#balance")).to_have_text("$351.00")
    page.screenshot(path=str(artifacts / f"upgrade-done-{width}.png"), full_page=True)
    pro.refresh_from_db()
    pro.account.refresh_from_db()
    assert pro.tier == "elite"
    assert pro.account.balance_cents == 50_000 - 14_900
    charges = Entry.objects.filter(kind=Entry.Kind.MEMBERSHIP).values_list(
        "amount_cents", flat=True
    )
    assert list(charges) == [-14_900]

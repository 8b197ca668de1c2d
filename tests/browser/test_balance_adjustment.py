"""Finance adds $25.00 to a balance in the admin by typing "25"."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from billing.services import account_for
from tests.factories import UserFactory, fund

from .test_credit_claim import log_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def staff_member(email: str, group: str):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_finance_types_25_and_the_balance_goes_up_by_25_dollars(
    live_server, page, artifacts, staff_groups, contractor, screen
):
    account = account_for(fund(contractor, 50_000))
    staff_member("finance@fairlead.example", "finance")

    page.set_viewport_size(WIDTHS[screen])
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "finance@fairlead.example", admin=True)
    page.goto(f"{live_server.url}/admin/billing/entry/add/")
    page.locator("#id_account").fill(str(account.pk))
    page.get_by_label("Amount ($)").fill("25")
    page.get_by_label("Reason").fill("Goodwill: the lead's phone never worked.")
    page.screenshot(path=str(artifacts / f"adjustment-form-{screen}.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("ul.messagelist li.success")).to_contain_text("was added successfully")
    page.goto(f"{live_server.url}/admin/billing/account/{account.pk}/change/")
    expect(page.get_by_text("$525.00")).to_be_visible()
    page.screenshot(path=str(artifacts / f"adjustment-balance-{screen}.png"), full_page=True)
    account.refresh_from_db()
    assert account.balance_cents == 52_500

"""Ops' call forms in the admin, posted from a browser: finance adds a service line (a menu
of services, refused without one), a screener changes the number a pro's calls ring."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from calls.models import CallSettings, TrackingNumber
from tests.factories import ContractorFactory, ServiceCategoryFactory, UserFactory

from .test_credit_claim import log_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def staff_member(email: str, group: str):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_finance_adds_a_service_line_with_its_menu(
    live_server, page, artifacts, staff_groups, metro_zips, plumbing, screen
):
    ServiceCategoryFactory(name="Electrical", slug="electrical")
    staff_member("finance@fairlead.example", "finance")

    page.set_viewport_size(WIDTHS[screen])
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "finance@fairlead.example", admin=True)
    page.goto(f"{live_server.url}/admin/calls/trackingnumber/add/")
    page.get_by_label("Number").fill("(512) 555-0142")
    page.get_by_label("Purpose").select_option("service_line")
    page.get_by_label("Label").fill("Austin radio")
    page.locator("#id_area_zip").fill("78701")
    page.get_by_role("button", name="Save", exact=True).click()
    # No service chosen: refused, with the reason next to the field, nothing saved.
    expect(page.locator(".errorlist")).to_contain_text("at least one service")
    assert not TrackingNumber.objects.exists()

    page.get_by_label("Plumbing").check()
    page.get_by_label("Electrical").check()
    page.screenshot(path=str(artifacts / f"tracking-number-form-{screen}.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("ul.messagelist li.success")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("+15125550142")
    number = TrackingNumber.objects.get()
    assert (number.number, number.area_zip_id, number.categories.count()) == (
        "+15125550142",
        "78701",
        2,
    )


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_screener_changes_the_number_a_pros_calls_ring(
    live_server, page, artifacts, staff_groups, plumbing, screen
):
    pro = ContractorFactory(business_name="Capitol Plumbing")
    row = CallSettings.objects.create(
        contractor=pro, enabled=True, ring_number="+15125550001", verified_number="+15125550001"
    )
    staff_member("screener@fairlead.example", "screeners")

    page.set_viewport_size(WIDTHS[screen])
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "screener@fairlead.example", admin=True)
    page.goto(f"{live_server.url}/admin/calls/callsettings/{row.pk}/change/")
    page.get_by_label("Ring number").fill("(512) 555-0177")
    page.screenshot(path=str(artifacts / f"call-settings-form-{screen}.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("ul.messagelist li.success")).to_contain_text("was changed successfully")
    row.refresh_from_db()
    # The new number rings nobody until the pro proves it theirs with the test call.
    assert (row.ring_number, row.enabled, row.verified) == ("+15125550177", True, False)

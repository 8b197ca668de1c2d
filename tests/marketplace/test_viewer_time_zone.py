"""Pages show times in the viewer's zone, with its abbreviation, never in UTC: a
contractor's own zone, a staff member's own zone in the admin, and on a homeowner's
private pages the zone of their zip code. The API stays in UTC."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.models import Lead
from marketplace.models import User
from tests.factories import (
    ContractorFactory,
    LeadFactory,
    PurchaseFactory,
    UserFactory,
    ZipCodeFactory,
    fund,
)
from tests.leads.test_accept import make_offer
from tests.pages import says_utc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/Los_Angeles", "Mar 2, 2026, 6:00 AM PST"),
        ("America/Chicago", "Mar 2, 2026, 8:00 AM CST"),
    ],
)
def test_a_contractor_reads_times_in_their_own_zone(client, plumbing, clock, zone, shown):
    pro = ContractorFactory(timezone=zone)
    purchase = services.accept_offer(make_offer(contractor=fund(pro)), contractor=pro)  # 14:00 UTC
    client.force_login(pro.user)
    page = client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert shown in page
    assert not says_utc(page)
    leads = client.get(reverse("leads:leads")).content.decode()
    assert shown.replace(", 2026", "") in leads and not says_utc(leads)


def test_the_zone_does_not_leak_past_the_request(contractor_client, contractor, clock):
    contractor_client.get(reverse("marketplace:notifications"))
    assert timezone.get_current_timezone_name() == "UTC"


def test_every_dashboard_page_is_free_of_utc(client, plumbing, clock):
    pro = ContractorFactory(timezone="America/Los_Angeles")
    purchase = services.accept_offer(make_offer(contractor=fund(pro)), contractor=pro)
    client.force_login(pro.user)
    for url in [
        reverse("leads:home"),
        reverse("leads:offers"),
        reverse("leads:leads"),
        reverse("leads:lead", args=[purchase.pk]),
        reverse("credits:file-claim", args=[purchase.pk]),
        reverse("credits:credits"),
        reverse("marketplace:notifications"),
        reverse("billing:home"),
        reverse("insights:analytics"),
    ]:
        page = client.get(url).content.decode()
        assert not says_utc(page), url


@pytest.mark.parametrize(
    ("zip_zone", "shown"),
    [
        ("America/Chicago", "Mar 2, 2026, 8:00 AM CST"),
        ("America/Denver", "Mar 2, 2026, 7:00 AM MST"),
        ("", "Mar 2, 2026, 9:00 AM EST"),  # a zip without a zone: New York's
    ],
)
def test_the_homeowner_status_page_is_in_the_zips_zone(client, clock, zip_zone, shown):
    lead = LeadFactory(status=Lead.Status.OPEN, zip_code=ZipCodeFactory(timezone=zip_zone))
    page = client.get(reverse("leads:status", args=[lead.status_token])).content.decode()
    assert f"sent {shown}" in page
    assert not says_utc(page)


def test_a_logged_in_pro_sees_a_homeowners_page_in_the_homeowners_zone(client, plumbing, clock):
    austin = ZipCodeFactory(timezone="America/Chicago")
    purchase = PurchaseFactory(lead__zip_code=austin)  # 14:00 UTC
    pro = ContractorFactory(timezone="America/Los_Angeles")
    client.force_login(pro.user)
    page = client.get(reverse("leads:status", args=[purchase.lead.status_token])).content.decode()
    assert "accepted Mar 2, 8:00 AM CST" in page


def test_staff_read_the_admin_in_their_own_zone(client, clock):
    ops = UserFactory(is_staff=True, is_superuser=True, timezone="America/Denver")
    client.force_login(ops)
    page = client.get(reverse("admin:marketplace_user_change", args=[ops.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "timezone" in form.fields
    # date_joined is 14:00 UTC: 7:00 AM in Denver.
    assert 'value="07:00:00"' in page.content.decode()


def test_staff_set_their_zone_under_personal_info_and_a_bad_one_is_refused(client, clock):
    ops = UserFactory(is_staff=True, is_superuser=True)
    assert ops.timezone == "America/New_York"
    client.force_login(ops)
    url = reverse("admin:marketplace_user_change", args=[ops.pk])
    fieldsets = dict(client.get(url).context["adminform"].fieldsets)
    assert "timezone" in fieldsets["Personal info"]["fields"]
    form = {
        "email": ops.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-03-02",
        "date_joined_1": "09:00:00",
    }
    response = client.post(url, {**form, "timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "not a time zone we know" in str(response.context["adminform"].form.errors)
    response = client.post(url, {**form, "timezone": "America/Chicago"})
    assert response.status_code == 302
    ops.refresh_from_db()
    assert ops.timezone == "America/Chicago"
    assert User.objects.get(pk=ops.pk).date_joined == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_the_api_keeps_utc_for_a_session_in_another_zone(client, plumbing, clock):
    pro = ContractorFactory(timezone="America/Los_Angeles")
    make_offer(contractor=fund(pro))
    client.force_login(pro.user)
    offers = client.get(reverse("api:offers")).json()["results"]
    assert offers[0]["expires_at"] == "2026-03-02T15:00:00Z"

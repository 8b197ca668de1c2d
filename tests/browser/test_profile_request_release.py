"""The pro a homeowner chose cannot take the request: the homeowner opens the link from
the email and sends it to other pros with one tap, on a phone and on a desktop."""

import re

import pytest
from playwright.sync_api import expect

from leads import services
from leads.models import Consent, Lead, Offer
from marketplace.models import Notification, ServiceArea
from tests.factories import ContractorFactory, LeadFactory, fund

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")])
def test_the_homeowner_sends_a_declined_request_to_other_pros_from_the_email(
    live_server, page, settings, metro_zips, plumbing, artifacts, width
):
    settings.SITE_URL = live_server.url
    chosen = fund(ContractorFactory(business_name="Harbor Plumbing"))
    other = fund(ContractorFactory(business_name="Bay Plumbing", tier="elite"))
    for pro in (chosen, other):
        ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    lead = LeadFactory(
        zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN, profile_contractor=chosen
    )
    Consent.objects.create(lead=lead, text="Harbor only.", given_at=lead.created_at)
    services.route(lead.pk)
    services.decline_offer(Offer.objects.get(lead=lead), contractor=chosen)
    email = Notification.objects.get(to=lead.email, template="chosen_pro_unavailable")
    link = re.search(r"https?://\S+/requests/\S+/", email.body).group(0)

    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(link)
    expect(page.get_by_text("Harbor Plumbing can't take your request right now")).to_be_visible()
    page.screenshot(path=str(artifacts / f"release-ask-{width}.png"), full_page=True)
    page.get_by_role("button", name="Send it to other pros").click()

    expect(page.get_by_text("We are sending your request to other local pros")).to_be_visible()
    expect(page.get_by_role("button", name="Send it to other pros")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"release-done-{width}.png"), full_page=True)
    assert Offer.objects.filter(lead=lead, contractor=other, status="pending").exists()
    assert lead.consents.filter(method=Consent.Method.STATUS_PAGE).exists()

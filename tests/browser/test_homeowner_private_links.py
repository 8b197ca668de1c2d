"""A homeowner opens the private links Fairlead emailed them and uses the forms there:
"I didn't make this request" from the confirmation email, and the review from the
invitation. A real browser posts these forms with an Origin header that Django's CSRF
check reads; the test client sends none, so only a browser proves they work."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from leads import services
from leads.models import Lead, Review
from marketplace.models import Notification
from tests.factories import ContractorFactory, LeadFactory, PurchaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")]


def link_in(text: str, path: str) -> str:
    match = re.search(rf"https?://\S+{path}\S+/", text)
    assert match, f"no {path} link in:\n{text}"
    return match.group(0)


@pytest.mark.parametrize("width", WIDTHS)
def test_homeowner_stops_a_request_from_the_link_in_the_confirmation_email(
    live_server, page, settings, metro_zips, plumbing, artifacts, width
):
    settings.SITE_URL = live_server.url
    lead = services.submit_quote_request(
        services.QuoteRequest(
            category=plumbing,
            zip_code=metro_zips.get(code="92101"),
            description="The kitchen sink drain is clogged and water backs up.",
            timeframe="weeks",
            job_size="medium",
            ownership="owner",
            name="Dana Rivera",
            phone="+16195550142",
            email="dana@example.com",
            preferred_contact="phone",
        ),
        submission=services.Submission(consent_text="I agree."),
    )
    confirmation = next(m for m in mail.outbox if m.to == ["dana@example.com"])

    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(link_in(confirmation.body, "/requests/"))
    page.get_by_text("I didn't make this request").click()
    page.get_by_role("button", name="Yes, stop this request").click()

    expect(page.get_by_text("We have stopped this request")).to_be_visible()
    page.screenshot(path=str(artifacts / f"dispute-done-{width}.png"), full_page=True)
    lead.refresh_from_db()
    assert lead.homeowner_disputed_at is not None
    assert lead.status == Lead.Status.REJECTED


@pytest.mark.parametrize("width", WIDTHS)
def test_homeowner_reviews_the_pro_from_the_link_in_the_invitation(
    live_server, page, settings, plumbing, artifacts, width
):
    settings.SITE_URL = live_server.url
    pro = ContractorFactory(business_name="Harbor Plumbing")
    purchase = PurchaseFactory(contractor=pro, lead=LeadFactory(email="sam@example.com"))
    services.invite_review(purchase)
    invitation = Notification.objects.get(to="sam@example.com", template="review_invite")

    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(link_in(invitation.body, "/reviews/"))
    page.get_by_label("4 stars").check()
    page.get_by_label("A few words").fill("On time, fixed the leak, fair price.")
    page.get_by_role("button", name="Publish my review").click()

    expect(page.get_by_text("Thank you! You gave 4 stars.")).to_be_visible()
    page.screenshot(path=str(artifacts / f"review-done-{width}.png"), full_page=True)
    review = Review.objects.get(purchase=purchase)
    assert review.rating == 4
    assert review.text == "On time, fixed the leak, fair price."

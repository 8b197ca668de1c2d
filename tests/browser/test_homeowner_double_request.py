"""A homeowner sends the same request twice: the copy is answered on its page, and only the
first one is confirmed by email."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from leads.models import Lead
from marketplace.models import ServiceArea
from tests.browser.quote_form import fill_quote_form
from tests.factories import ContractorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def send_request(page, url):
    page.goto(url + "/quote/")
    fill_quote_form(page)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="Thank you, Dana Rivera!")).to_be_visible()


@pytest.mark.parametrize(
    ("width", "height", "screen"), [(390, 844, "phone"), (1280, 900, "desktop")]
)
def test_the_same_request_sent_twice_is_confirmed_by_one_email(
    live_server, page, metro_zips, plumbing, artifacts, settings, width, height, screen
):
    settings.INTAKE_MIN_FILL_SECONDS = 0  # a script types faster than any person
    ServiceArea.objects.create(contractor=ContractorFactory(), zip_code_id="92101")
    page.set_viewport_size({"width": width, "height": height})
    page.set_default_timeout(15_000)

    send_request(page, live_server.url)
    expect(page.get_by_text("We are sending a confirmation to")).to_be_visible()
    send_request(page, live_server.url)
    first = Lead.objects.get(status=Lead.Status.OPEN)
    expect(page.get_by_text("did not send this one again")).to_be_visible()
    expect(page.locator(".reference")).to_have_text(first.reference)
    expect(page.get_by_text("We sent no new email for this copy.")).to_be_visible()
    expect(page.get_by_text("We are sending a confirmation to")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"quote-sent-twice-{screen}.png"), full_page=True)

    copy = Lead.objects.get(status=Lead.Status.REJECTED, duplicate_of=first)
    page.get_by_role("link", name="Follow my request").click()
    expect(page.get_by_role("heading", name=f"Your request {copy.reference}")).to_be_visible()
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]
    assert first.reference in mail.outbox[0].subject

"""A pro turns live calls on in Chromium, on a phone and on a desktop: a bad number is
refused next to its field, the test call's code (shown on the page in demo mode, without
Twilio) is typed back, and the page says calls are on. Then a homeowner phones the service
line (the call simulator plays Twilio's side through the real webhooks), the pro takes the
call and talks 75 s, and the pro's Leads page shows the call lead with its length, its fee
and a recording player that plays, through Fairlead."""

import pytest
from playwright.sync_api import expect

from calls.models import CallSettings, TrackingNumber
from calls.simulator import Script, simulate
from marketplace.models import ServiceArea
from tests.factories import PASSWORD, ContractorFactory, ServiceCategoryFactory, UserFactory, fund
from tests.resilience.fake_providers import AUTH_TOKEN, SITE_URL

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")]
LINE = "+15125550100"


@pytest.fixture
def pro(metro_zips, plumbing, settings):
    settings.TWILIO_ACCOUNT_SID = ""  # no Twilio: the demo shows the code
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN  # what the caller's side signs with
    settings.SITE_URL = SITE_URL
    settings.CALL_RECORDING = True
    pro = ContractorFactory(
        user=UserFactory(email="maria@rivera.example"),
        business_name="Rivera Plumbing",
        tier="elite",
        categories=[plumbing],
    )
    ServiceArea.objects.create(contractor=pro, zip_code_id="78701")
    return fund(pro, 50_000)


def log_in(page, url, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill("maria@rivera.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def turn_calls_on(page, url):
    page.goto(url + "/dashboard/settings/")
    page.get_by_role("link", name="Call settings").click()
    expect(page.locator("#call-state")).to_contain_text("Calls are off.")

    page.get_by_label("Take live calls from homeowners").check()
    page.get_by_label("Number to ring").fill("my cell")
    page.get_by_role("button", name="Save call settings").click()
    expect(page.locator("#id_ring_number_error")).to_contain_text("Enter a valid phone number")

    page.get_by_label("Number to ring").fill("512 555 0147")
    page.get_by_role("button", name="Save call settings").click()
    expect(page.get_by_text("no calls will ring until you do")).to_be_visible()
    expect(page.locator("#call-state")).to_have_attribute("data-state", "unverified")

    page.get_by_role("button", name="Call me with a code").click()
    expect(page.locator(".demo-code")).to_contain_text("Demo mode:")
    code = page.locator("[data-demo-code]").inner_text()
    page.get_by_label("The code the call said").fill(code)
    page.get_by_role("button", name="Verify the number").click()
    expect(page.get_by_text("Number verified.")).to_be_visible()
    expect(page.locator("#call-state")).to_contain_text("Calls are on.")
    expect(page.locator("#call-state")).to_contain_text("(512) 555-0147")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pro_turns_calls_on_and_verifies_the_number(live_server, page, pro, artifacts, width):
    log_in(page, live_server.url, width)
    turn_calls_on(page, live_server.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"call-settings-{width}.png"), full_page=True)
    row = CallSettings.objects.get(contractor=pro)
    assert row.takes_calls and row.ring_number == "+15125550147"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pro_takes_a_call_and_plays_its_recording(
    live_server, page, pro, plumbing, artifacts, width
):
    log_in(page, live_server.url, width)
    turn_calls_on(page, live_server.url)

    line = TrackingNumber.objects.create(
        number=LINE, purpose="service_line", label="Austin ads", area_zip_id="78701"
    )
    line.categories.set([plumbing, ServiceCategoryFactory(name="Electrical", slug="electrical")])
    # The call simulator plays Twilio's side through the real webhooks: the caller keys
    # plumbing, 78701 and "within weeks"; the pro answers, presses 1 and talks 75 s.
    call = simulate(
        Script(
            to=LINE,
            answers={"service": ["plumbing"], "zip": ["78701"], "ready": ["2"]},
            pros=["answer"],
            talk_seconds=75,
        )
    ).call
    assert call.legs.get().number == "+15125550147"  # the verified number was rung
    assert call.recording_url.startswith("sim:")  # the player gets a tone of its length

    page.get_by_role("link", name="Leads", exact=True).click()
    card = page.locator("article", has=page.locator(".badge.call"))
    expect(card).to_contain_text("Talked 1:15")
    expect(card).to_contain_text("qualified call · fee $4.50")
    card.get_by_role("link", name="Phone caller").click()
    expect(page.get_by_text("Logged by Fairlead")).to_be_visible()
    player = page.locator("audio.recording")
    expect(player).to_have_attribute("preload", "none")
    seconds = player.evaluate(
        """audio => new Promise((resolve, reject) => {
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
            audio.addEventListener("error", () => reject(audio.error && audio.error.code));
            audio.load();
        })"""
    )
    assert round(seconds) == call.recording_seconds
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"call-lead-{width}.png"), full_page=True)

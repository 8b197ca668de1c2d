"""Someone guesses a pro's password from many addresses: the account locks, the login page
says so, and the owner follows the emailed link to a new password, which unlocks it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from marketplace import logins
from tests.factories import ContractorFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_wrong_passwords_lock_the_account_and_the_emailed_reset_unlocks_it(
    live_server, page, plumbing, artifacts, width
):
    ContractorFactory(user__email="alice@example.com", business_name="Alice Plumbing")
    # Eight guesses already came from other addresses (a botnet); this browser adds its own.
    for n in range(8):
        logins.record_failure(login="alice@example.com", ip=f"198.51.100.{n + 1}")
    page.set_viewport_size({"width": width, "height": 844})
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")

    tries = 0
    while tries < 5:
        page.get_by_label("Email").fill("alice@example.com")
        page.get_by_label("Password").fill(f"guess-{tries}")
        page.get_by_role("button", name="Sign In").click()
        tries += 1
        if page.get_by_role("heading", name="Too many failed log-ins").is_visible():
            break
    assert tries == 2  # the account's tenth failure, whatever the address
    expect(page.locator("#lockout-message")).to_have_text(
        "Too many failed log-ins. Try again in 15 minutes, or reset your password."
    )
    page.screenshot(path=artifacts / f"login_lockout_{width}.png", full_page=True)

    # The owner's email: one, with a link that opens the new-password form.
    [email] = [m for m in mail.outbox if "locked" in m.subject]
    assert "failed to log in to your Fairlead account 10 times" in email.body
    link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+)", email.body).group(1)
    page.goto(live_server.url + link)
    page.get_by_label("New Password:", exact=True).fill("a-brand-new-secret-42")
    page.get_by_label("New Password (again)").fill("a-brand-new-secret-42")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    # Unlocked at once, from this same browser.
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill("a-brand-new-secret-42")
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/dashboard/"))
    page.screenshot(path=artifacts / f"login_after_reset_{width}.png", full_page=True)

"""The pro's call settings page: calls on or off, the number to ring (E.164, clear errors),
a test call that says a code (shown on the page in demo mode, without Twilio), and the
code typed back. The page says which of the three states the pro is in."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from calls.models import CallSettings, TrackingNumber
from tests.calls.phone import ACCOUNT_SID

pytestmark = pytest.mark.django_db

URL = "/dashboard/calls/"


def state(response) -> str:
    return re.search(rb'data-state="(\w+)"', response.content).group(1).decode()


def demo_code(response) -> str:
    return re.search(rb"data-demo-code>(\d{4})<", response.content).group(1).decode()


def turn_on(client, number="(512) 555-0147"):
    return client.post(URL, {"enabled": "on", "ring_number": number}, follow=True)


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_calls_start_off_and_nothing_is_saved_by_looking(contractor_client, contractor):
    response = contractor_client.get(URL)
    assert response.status_code == 200 and state(response) == "off"
    assert b"Calls are off." in response.content
    assert not CallSettings.objects.exists()


def test_the_settings_page_links_here(contractor_client):
    page = contractor_client.get(reverse("marketplace:settings"))
    assert reverse("calls:settings").encode() in page.content


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("my cell", "Enter a valid phone number"),
        ("(512) 000-0000", "This phone number does not exist"),
        ("+44 20 7946 0958", "Enter a US phone number."),
        ("", "Enter the phone number calls should ring."),
    ],
)
def test_a_bad_number_is_refused_next_to_the_field(contractor_client, typed, message):
    response = contractor_client.post(URL, {"enabled": "on", "ring_number": typed})
    assert response.status_code == 200
    error = re.search(rb'id="id_ring_number_error">([^<]*)<', response.content)
    assert error and message in error.group(1).decode()
    assert not CallSettings.objects.filter(enabled=True).exists()


def test_turning_calls_on_keeps_the_number_in_e164_and_rings_nobody_yet(
    contractor_client, contractor
):
    response = turn_on(contractor_client)
    assert b"no calls will ring until you do" in response.content
    assert state(response) == "unverified"
    assert b"(512) 555-0147" in response.content
    row = CallSettings.objects.get(contractor=contractor)
    assert (row.enabled, row.ring_number, row.verified) == (True, "+15125550147", False)


def test_demo_mode_shows_the_code_and_typing_it_back_verifies(
    contractor_client, contractor, settings
):
    settings.TWILIO_ACCOUNT_SID = ""  # no Twilio: a laptop's demo
    turn_on(contractor_client)
    page = contractor_client.post(reverse("calls:send-code"), follow=True)
    assert b"Demo mode:" in page.content and b"no call was placed" in page.content
    code = demo_code(page)

    done = contractor_client.post(reverse("calls:verify"), {"code": code}, follow=True)
    assert b"Number verified." in done.content and state(done) == "on"
    assert b"We ring (512) 555-0147" in done.content
    row = CallSettings.objects.get(contractor=contractor)
    assert row.verified and row.takes_calls and row.verified_number == "+15125550147"
    assert b"data-demo-code" not in contractor_client.get(URL).content


def test_a_wrong_code_is_refused_next_to_its_field(contractor_client, contractor, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    turn_on(contractor_client)
    code = demo_code(contractor_client.post(reverse("calls:send-code"), follow=True))
    wrong = "0000" if code != "0000" else "1111"
    response = contractor_client.post(reverse("calls:verify"), {"code": wrong})
    error = re.search(rb'id="id_code_error">([^<]*)<', response.content)
    assert error and b"not the code the call said" in error.group(1)
    assert not CallSettings.objects.get(contractor=contractor).verified


def test_asking_twice_in_a_minute_is_refused_with_the_reason(contractor_client, clock, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    turn_on(contractor_client)
    contractor_client.post(reverse("calls:send-code"))
    again = contractor_client.post(reverse("calls:send-code"), follow=True)
    assert b"Wait a minute before asking again." in again.content
    clock.shift(timedelta(minutes=2))
    assert b"Demo mode:" in contractor_client.post(reverse("calls:send-code"), follow=True).content


def test_with_twilio_the_code_is_never_shown(contractor_client, settings):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    turn_on(contractor_client)
    # The call is placed by a task after commit (not run inside this test's transaction).
    page = contractor_client.post(reverse("calls:send-code"), follow=True)
    assert b"We are calling your number now" in page.content
    assert b"Demo mode" not in page.content and b"data-demo-code" not in page.content


def test_a_new_number_needs_a_new_code(contractor_client, contractor, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    turn_on(contractor_client)
    code = demo_code(contractor_client.post(reverse("calls:send-code"), follow=True))
    contractor_client.post(reverse("calls:verify"), {"code": code})
    changed = turn_on(contractor_client, "512-555-0148")
    assert state(changed) == "unverified"
    assert b"data-demo-code" not in changed.content  # the old code was for the old number


def test_turning_calls_off_says_so(contractor_client, contractor):
    turn_on(contractor_client)
    response = contractor_client.post(URL, {"ring_number": "(512) 555-0147"}, follow=True)
    assert b"Calls are off." in response.content and state(response) == "off"
    assert CallSettings.objects.get(contractor=contractor).ring_number == "+15125550147"


def test_the_profile_number_is_shown(contractor_client, contractor):
    TrackingNumber.objects.create(
        number="+15125550199", purpose="profile", label="Alice's profile", contractor=contractor
    )
    response = contractor_client.get(URL)
    assert b"Your profile number" in response.content
    assert b"(512) 555-0199" in response.content and b"tel:+15125550199" in response.content


def test_code_and_verify_take_only_posts(contractor_client):
    assert contractor_client.get(reverse("calls:send-code")).status_code == 405
    assert contractor_client.get(reverse("calls:verify")).status_code == 405

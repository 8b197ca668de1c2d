"""The calls API: a pro's call settings (GET/PATCH), the test call and its code, and the
list of their own calls, each with their part in it. Another contractor sees none of it."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from calls.models import CallSettings, TrackingNumber
from leads.models import Purchase
from tests.factories import PurchaseFactory, UserFactory

from .made import missed_then_taken, taken_call, voicemail_on

pytestmark = pytest.mark.django_db

SETTINGS = "/api/v1/call-settings/"


@pytest.fixture(autouse=True)
def _no_twilio(settings):
    settings.TWILIO_ACCOUNT_SID = ""  # a demo: the code comes back in the answer


def api_for(pro) -> APIClient:
    client = APIClient()
    client.force_authenticate(pro.user)
    return client


def test_settings_start_off(contractor_api):
    assert contractor_api.get(SETTINGS).json() == {
        "enabled": False,
        "ring_number": "",
        "verified": False,
        "verified_at": None,
        "takes_calls": False,
        "profile_number": None,
    }


def test_patch_turns_calls_on_with_the_number_in_e164(contractor_api, contractor):
    response = contractor_api.patch(
        SETTINGS, {"enabled": True, "ring_number": "(512) 555-0147"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["ring_number"] == "+15125550147"
    assert response.json()["takes_calls"] is False  # not verified yet
    # A PATCH of one field keeps the other.
    off = contractor_api.patch(SETTINGS, {"enabled": False}, format="json").json()
    assert (off["enabled"], off["ring_number"]) == (False, "+15125550147")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"enabled": True, "ring_number": "my cell"}, "Enter a valid phone number"),
        ({"enabled": True}, "Enter the phone number calls should ring."),
        ({"ring_number": "+44 20 7946 0958"}, "Enter a US phone number."),
    ],
)
def test_a_bad_number_is_a_400_on_ring_number(contractor_api, body, message):
    response = contractor_api.patch(SETTINGS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["ring_number"]
    assert message in response.json()["ring_number"][0]
    assert not CallSettings.objects.filter(enabled=True).exists()


def test_the_code_is_sent_then_confirmed(contractor_api, contractor):
    contractor_api.patch(SETTINGS, {"enabled": True, "ring_number": "5125550147"}, format="json")
    sent = contractor_api.post(f"{SETTINGS}code/")
    assert sent.status_code == 200
    code = sent.json()["demo_code"]
    assert sent.json()["ring_number"] == "+15125550147" and len(code) == 4

    again = contractor_api.post(f"{SETTINGS}code/")
    assert again.status_code == 409 and "Wait a minute" in again.json()["code"][0]

    wrong = contractor_api.post(
        f"{SETTINGS}verify/", {"code": "0000" if code != "0000" else "1111"}, format="json"
    )
    assert wrong.status_code == 409 and list(wrong.json()) == ["code"]

    done = contractor_api.post(f"{SETTINGS}verify/", {"code": code}, format="json")
    assert done.status_code == 200
    assert done.json()["verified"] is True and done.json()["takes_calls"] is True


def test_with_twilio_the_code_is_not_in_the_answer(contractor_api, settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    contractor_api.patch(SETTINGS, {"ring_number": "5125550147"}, format="json")
    assert contractor_api.post(f"{SETTINGS}code/").json()["demo_code"] is None


def test_no_number_no_code(contractor_api):
    response = contractor_api.post(f"{SETTINGS}code/")
    assert response.status_code == 400 and "ring_number" in response.json()


def test_the_profile_number_is_in_the_settings(contractor_api, contractor):
    TrackingNumber.objects.create(
        number="+15125550199", purpose="profile", label="Alice", contractor=contractor
    )
    assert contractor_api.get(SETTINGS).json()["profile_number"] == "+15125550199"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", SETTINGS),
        ("patch", SETTINGS),
        ("post", f"{SETTINGS}code/"),
        ("post", f"{SETTINGS}verify/"),
        ("get", "/api/v1/calls/"),
    ],
)
def test_anonymous_and_staff_without_a_contractor_are_refused(method, url):
    assert getattr(APIClient(), method)(url).status_code == 401
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))
    assert getattr(staff, method)(url).status_code == 403


# --- The pro's calls ------------------------------------------------------------------------


def test_the_pro_who_took_a_qualified_call_sees_it_with_fee_and_recording(phone, holder):
    call = taken_call(phone, seconds=75, recording_seconds=74)
    purchase = Purchase.objects.get(lead=call.lead)
    body = api_for(holder).get("/api/v1/calls/").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["lead"] == call.lead_id and row["reference"] == call.lead.reference
    assert (row["category"], row["zip_code"]) == ("plumbing", "78701")
    assert (row["your_leg"], row["bridged_seconds"], row["qualified"], row["fee_cents"]) == (
        "taken",
        75,
        True,
        1_500,
    )
    assert row["outcome"] == "connected" and row["voicemail"] is False
    assert row["recording_url"] == "http://testserver" + reverse(
        "calls:recording-play", args=[purchase.pk]
    )
    assert row["started_at"].endswith("Z")  # UTC, as every API time


def test_a_pro_rung_who_missed_sees_their_part_only(phone, holder, elite):
    missed_then_taken(phone, seconds=40)
    (missed,) = api_for(holder).get("/api/v1/calls/").json()["results"]
    assert missed["your_leg"] == "no_answer"
    assert (missed["lead"], missed["bridged_seconds"], missed["qualified"]) == (None, None, None)
    assert (missed["fee_cents"], missed["recording_url"]) == (0, None)

    (took,) = api_for(elite).get("/api/v1/calls/").json()["results"]
    assert (took["your_leg"], took["bridged_seconds"], took["qualified"], took["fee_cents"]) == (
        "taken",
        40,
        False,
        0,
    )


def test_another_contractor_sees_no_calls(phone, holder, other_contractor):
    taken_call(phone, seconds=75, recording_seconds=74)
    assert api_for(other_contractor).get("/api/v1/calls/").json()["count"] == 0


def test_calls_filter_by_taken_and_qualified(phone, holder, elite):
    missed_then_taken(phone, seconds=40)
    holder_api, elite_api = api_for(holder), api_for(elite)
    assert holder_api.get("/api/v1/calls/", {"taken": "true"}).json()["count"] == 0
    assert holder_api.get("/api/v1/calls/", {"taken": "false"}).json()["count"] == 1
    assert elite_api.get("/api/v1/calls/", {"qualified": "false"}).json()["count"] == 1
    assert elite_api.get("/api/v1/calls/", {"qualified": "true"}).json()["count"] == 0
    refused = elite_api.get("/api/v1/calls/", {"qualified": "maybe"})
    assert refused.status_code == 400 and "qualified" in refused.json()


@pytest.mark.parametrize("rows", [1, 20])
def test_the_call_list_costs_the_same_at_one_and_twenty_rows(
    contractor, contractor_api, line, rows, django_assert_num_queries
):
    for purchase in PurchaseFactory.create_batch(rows, contractor=contractor):
        voicemail_on(purchase.lead, line=line)
    with django_assert_num_queries(4):
        response = contractor_api.get("/api/v1/calls/")
    assert response.json()["count"] == rows
    assert all(row["recording_url"] for row in response.json()["results"])

"""A contractor logs a contact attempt at the time their own clock showed; the API takes
and gives ISO 8601 with an offset (UTC out), and refuses a time without one."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from leads import services
from leads.models import ContactAttempt
from tests.factories import fund
from tests.leads.test_accept import make_offer
from tests.pages import says_utc

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def purchase(contractor, clock):
    # Bought Monday March 2 2026 at 14:00 UTC: 6:00 AM in Los Angeles.
    return services.accept_offer(make_offer(contractor=fund(contractor)), contractor=contractor)


def post_attempt(client, purchase, when: str):
    return client.post(
        reverse("leads:lead-attempt", args=[purchase.pk]),
        {"channel": "call", "result": "no_answer", "attempted_at": when, "note": ""},
    )


def test_a_san_diego_pro_logs_a_call_at_the_local_time_it_happened(
    contractor_client, purchase, clock
):
    clock.move_to(datetime(2026, 3, 2, 6, 40, tzinfo=LA), tick=False)
    response = post_attempt(contractor_client, purchase, "2026-03-02T06:30")
    assert response.status_code == 302, response.content.decode()
    attempt = ContactAttempt.objects.get(purchase=purchase)
    assert attempt.attempted_at == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def test_the_form_is_prefilled_with_the_pros_local_now_and_says_its_zone(
    contractor_client, purchase, clock
):
    clock.move_to(datetime(2026, 3, 2, 14, 7, tzinfo=UTC), tick=False)
    page = contractor_client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert 'value="2026-03-02T06:07"' in page
    assert "PST" in page
    assert not says_utc(page)


def test_a_call_just_before_local_midnight_keeps_its_local_day(contractor_client, purchase, clock):
    clock.move_to(datetime(2026, 3, 2, 23, 55, tzinfo=LA), tick=False)  # Mar 3 in UTC
    response = post_attempt(contractor_client, purchase, "2026-03-02T23:50")
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get(purchase=purchase)
    assert attempt.attempted_at == datetime(2026, 3, 3, 7, 50, tzinfo=UTC)
    page = contractor_client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert "Mar 2, 11:50 PM PST" in page


def test_a_call_on_the_night_clocks_spring_forward(contractor_client, purchase, clock):
    clock.move_to(datetime(2026, 3, 8, 3, 10, tzinfo=LA), tick=False)  # 03:10 PDT
    assert post_attempt(contractor_client, purchase, "2026-03-08T01:55").status_code == 302
    assert post_attempt(contractor_client, purchase, "2026-03-08T03:05").status_code == 302
    times = list(
        ContactAttempt.objects.filter(purchase=purchase).values_list("attempted_at", flat=True)
    )
    # 1:55 AM PST and 3:05 AM PDT are ten minutes apart.
    assert times[1] - times[0] == timedelta(minutes=10)
    page = contractor_client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert "Mar 8, 1:55 AM PST" in page and "Mar 8, 3:05 AM PDT" in page


def test_a_time_that_does_not_exist_locally_is_refused_next_to_the_field(
    contractor_client, purchase, clock
):
    clock.move_to(datetime(2026, 3, 8, 3, 10, tzinfo=LA), tick=False)
    response = post_attempt(contractor_client, purchase, "2026-03-08T02:30")  # skipped hour
    assert response.status_code == 200
    assert "America/Los_Angeles" in response.context["attempt_form"].errors["attempted_at"][0]
    assert not ContactAttempt.objects.exists()


def test_a_future_local_time_is_refused(contractor_client, purchase, clock):
    clock.move_to(datetime(2026, 3, 2, 6, 40, tzinfo=LA), tick=False)
    response = post_attempt(contractor_client, purchase, "2026-03-02T07:30")
    assert response.status_code == 200
    assert "future" in response.context["attempt_form"].errors["attempted_at"][0]


# --- API ---------------------------------------------------------------------------------------


def api_post(api, purchase, when):
    return api.post(
        reverse("api:contact-attempts", args=[purchase.lead_id]),
        {"channel": "call", "result": "no_answer", "attempted_at": when},
        format="json",
    )


def test_the_api_takes_a_time_with_its_offset_and_answers_in_utc(contractor_api, purchase, clock):
    clock.move_to(datetime(2026, 3, 2, 14, 40, tzinfo=UTC), tick=False)
    response = api_post(contractor_api, purchase, "2026-03-02T06:30:00-08:00")
    assert response.status_code == 201, response.json()
    assert response.json()["attempted_at"] == "2026-03-02T14:30:00Z"
    assert response.json()["logged_late"] is False
    assert ContactAttempt.objects.get().attempted_at == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def test_the_api_refuses_a_time_without_an_offset(contractor_api, purchase, clock):
    clock.move_to(datetime(2026, 3, 2, 14, 40, tzinfo=UTC), tick=False)
    response = api_post(contractor_api, purchase, "2026-03-02T06:30:00")
    assert response.status_code == 400
    assert "offset" in response.json()["attempted_at"][0]
    assert not ContactAttempt.objects.exists()


def test_the_api_stays_in_utc_for_a_logged_in_browser_session(contractor_client, purchase, clock):
    response = contractor_client.get(reverse("api:lead", args=[purchase.lead_id]))
    assert response.status_code == 200
    assert response.json()["created_at"] == "2026-03-02T14:00:00Z"

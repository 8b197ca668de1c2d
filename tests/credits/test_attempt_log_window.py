"""Contact attempts count toward the non-contact schedule only when they were logged
within CONTACT_ATTEMPT_LOG_WINDOW_MINUTES (2 hours) of when they happened. Older entries
are kept and shown as "logged later", never as evidence."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from credits import policy
from credits import services as credit_services
from credits.models import CreditClaim
from credits.policy import Attempt
from leads import services as lead_services
from leads.models import ContactAttempt
from tests.factories import UserFactory, fund
from tests.leads.test_accept import make_offer
from tests.pages import says_utc

LA = "America/Los_Angeles"
# Delivered Monday 2026-03-02 at 10:00 in Los Angeles (18:00 UTC).
DELIVERED = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)

# When each attempt of the full schedule happened, after delivery.
SCHEDULE = [
    (timedelta(minutes=5), "call"),
    (timedelta(hours=3), "call"),
    (timedelta(days=1, hours=1), "call"),
    (timedelta(days=2, hours=1), "call"),
    (timedelta(days=2, hours=2), "email"),
]


def attempts(*, late: set[int] = frozenset(), logged_after=timedelta(minutes=1)):
    """The full schedule; the attempts numbered in `late` logged a day after they happened."""
    return [
        Attempt(
            channel,
            DELIVERED + offset,
            False,
            logged_at=DELIVERED + offset + (timedelta(days=1) if i in late else logged_after),
        )
        for i, (offset, channel) in enumerate(SCHEDULE)
    ]


def test_attempts_logged_in_time_meet_the_schedule():
    assert policy.non_contact_shortfall(attempts(), delivered_at=DELIVERED, time_zone=LA) == []


def test_an_attempt_logged_days_later_does_not_count():
    missing = policy.non_contact_shortfall(attempts(late={3}), delivered_at=DELIVERED, time_zone=LA)
    assert missing == ["a call on day 3"]


@pytest.mark.parametrize(
    ("logged_after", "counted"),
    [
        (timedelta(hours=2), True),  # exactly at the edge of the window
        (timedelta(hours=2, minutes=1), False),
    ],
)
def test_the_window_is_two_hours(logged_after, counted):
    missing = policy.non_contact_shortfall(
        attempts(logged_after=logged_after), delivered_at=DELIVERED, time_zone=LA
    )
    assert (missing == []) is counted


def test_the_window_is_a_setting(settings):
    settings.CONTACT_ATTEMPT_LOG_WINDOW_MINUTES = 24 * 60 + 5
    assert (
        policy.non_contact_shortfall(attempts(late={0, 3}), delivered_at=DELIVERED, time_zone=LA)
        == []
    )


def test_the_decline_says_which_attempts_were_not_counted():
    message = policy.instant_decline(
        reason="non_contact",
        notes="Never answered.",
        filed_at=DELIVERED + timedelta(days=3),
        delivered_at=DELIVERED,
        attempts=attempts(late={0, 3}),
        time_zone=LA,
    )
    assert "a call within 15 minutes of delivery" in message
    assert "a call on day 3" in message
    assert (
        "2 attempts were not counted: they were logged more than 2 hours after they happened."
        in message
    )


def test_a_late_entry_that_reached_the_homeowner_still_rules_out_non_contact():
    reached = Attempt(
        "call", DELIVERED + timedelta(hours=5), True, logged_at=DELIVERED + timedelta(days=2)
    )
    missing = policy.non_contact_shortfall(
        [*attempts(), reached], delivered_at=DELIVERED, time_zone=LA
    )
    assert missing == ["You reached the homeowner, so this is not a non-contact lead."]


# --- Through the service, the pages and the API -------------------------------------------


@pytest.fixture
def purchase(contractor, clock):
    return lead_services.accept_offer(
        make_offer(contractor=fund(contractor)), contractor=contractor
    )


def log_schedule(purchase, clock, *, backdate: set[int] = frozenset()):
    """Log the full schedule; those in `backdate` typed in 3 days after delivery."""
    start = purchase.created_at
    for i, (offset, channel) in enumerate(SCHEDULE):
        when = start + offset
        logged = start + timedelta(days=3) if i in backdate else when + timedelta(minutes=10)
        clock.move_to(logged, tick=False)
        lead_services.log_contact_attempt(
            purchase,
            channel=channel,
            result="no_answer" if channel == "call" else "sent",
            attempted_at=when,
        )
    clock.move_to(start + timedelta(days=3, minutes=5), tick=False)


def test_a_backdated_schedule_cannot_win_a_non_contact_credit(purchase, contractor, clock):
    log_schedule(purchase, clock, backdate={0, 1, 2, 3, 4})
    assert ContactAttempt.objects.filter(purchase=purchase).count() == 5  # all kept
    with pytest.raises(credit_services.ClaimDeclined) as declined:
        credit_services.file_claim(
            purchase, contractor=contractor, reason="non_contact", notes="Never answered."
        )
    assert "5 attempts were not counted" in declined.value.message
    claim = CreditClaim.objects.get(purchase=purchase)
    assert claim.status == CreditClaim.Status.DECLINED


def test_a_schedule_logged_as_it_happened_goes_to_review(purchase, contractor, clock):
    log_schedule(purchase, clock)
    claim = credit_services.file_claim(
        purchase, contractor=contractor, reason="non_contact", notes="Never answered."
    )
    claim.refresh_from_db()
    assert claim.status == CreditClaim.Status.PENDING


def test_the_lead_page_shows_late_entries_as_logged_later(
    purchase, contractor, contractor_client, clock
):
    log_schedule(purchase, clock, backdate={2})
    page = contractor_client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert page.count("logged later") == 1


def test_the_api_marks_late_entries(purchase, contractor, contractor_api, clock):
    log_schedule(purchase, clock, backdate={2})
    response = contractor_api.get(reverse("api:lead", args=[purchase.lead_id]))
    assert response.status_code == 200
    flags = [a["logged_late"] for a in response.json()["attempts"]]
    assert flags == [False, False, True, False, False]


def test_the_reviewer_sees_late_entries_as_logged_later_in_their_own_zone(
    purchase, contractor, clock, client
):
    log_schedule(purchase, clock, backdate={2})
    now = timezone.now()
    claim = CreditClaim.objects.create(
        purchase=purchase,
        reason="non_contact",
        notes="Never answered.",
        filed_at=now,
        due_by=now + timedelta(days=2),
    )
    reviewer = UserFactory(is_staff=True, is_superuser=True, timezone="America/Chicago")
    client.force_login(reviewer)
    page = client.get(reverse("admin:credits_creditclaim_change", args=[claim.pk]))
    evidence = page.content.decode()
    assert evidence.count("logged later") == 1
    # Delivered 14:00 UTC; the first call 5 minutes later: 8:05 AM in Chicago.
    assert "2026-03-02 08:05 CST · Call · No answer" in evidence
    assert not says_utc(evidence)

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from leads import queries, scoring, services
from leads.models import Review
from marketplace.models import Contractor, Notification
from tests.factories import fund

from .test_accept import make_offer

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_a_new_pro_has_a_provisional_score_that_passes_the_threshold(settings):
    parts = scoring.compute(ratings=[], first_attempt_delays=[], now=NOW)
    assert parts.score == round(100 * (0.8 * 0.85 + 0.2 * 1.0)) == 88
    assert parts.score >= settings.STAR_SCORE_THRESHOLD


@pytest.mark.parametrize(
    ("ratings", "delays", "expected"),
    [
        # Three 5-star reviews today: (0.85*3 + 1*3) / 6 = 0.925 -> 80% of it + 20% = 94
        ([5, 5, 5], [], 94),
        # Three 1-star reviews: 0.85*3/6 = 0.425 -> 34 + 20 = 54
        ([1, 1, 1], [], 54),
        # No lead answered within the hour: responsiveness (0 + 3) / (2 + 3) = 0.6 -> 68 + 12
        ([], [timedelta(hours=2), None], 80),
        # One of two answered in time: (1 + 3) / 5 = 0.8 -> 68 + 16 = 84
        ([], [timedelta(minutes=10), timedelta(hours=3)], 84),
        # Twenty slow leads: 3 / 23 -> 68 + 2.6 = 70.6, shown rounded down (and with no
        # review yet it is not stored: no gate before the first review)
        ([], [timedelta(hours=5)] * 20, 70),
    ],
)
def test_score_examples_checked_by_hand(ratings, delays, expected):
    parts = scoring.compute(
        ratings=[(r, NOW) for r in ratings], first_attempt_delays=delays, now=NOW
    )
    assert parts.score == expected


def test_recent_reviews_weigh_more():
    old_bad_new_good = scoring.compute(
        ratings=[(1, NOW - timedelta(days=360)), (5, NOW)], first_attempt_delays=[], now=NOW
    )
    old_good_new_bad = scoring.compute(
        ratings=[(5, NOW - timedelta(days=360)), (1, NOW)], first_attempt_delays=[], now=NOW
    )
    assert old_bad_new_good.score > old_good_new_bad.score


@pytest.fixture
def bought(contractor, clock):
    fund(contractor)
    return services.accept_offer(make_offer(contractor=contractor), contractor=contractor)


def test_a_won_job_invites_the_homeowner_once_and_one_review_per_purchase(
    client, bought, contractor
):
    services.record_outcome(bought, outcome="won", final_value_cents=50_000)
    services.record_outcome(bought, outcome="won", final_value_cents=50_000)  # sent twice
    with pytest.raises(services.OutcomeNotAllowed):
        services.record_outcome(bought, outcome="won", final_value_cents=52_000)
    review = Review.objects.get()
    assert Notification.objects.filter(template="review_invite", to=bought.lead.email).count() == 1
    url = reverse("leads:review", args=[review.token])
    response = client.post(url, {"rating": "5", "text": "On time, fair price."})
    assert response.status_code == 302
    client.post(url, {"rating": "1", "text": "Changed my mind"})
    review.refresh_from_db()
    assert (review.rating, review.text) == (5, "On time, fair price.")
    contractor.refresh_from_db()
    assert contractor.star_score == pytest.approx(services.score_parts(contractor).exact)


def test_bad_ratings_are_refused(client, bought):
    review = services.invite_review(bought)
    response = client.post(reverse("leads:review", args=[review.token]), {"rating": "9"})
    assert "1 to 5 stars" in response.content.decode()
    review.refresh_from_db()
    assert review.submitted_at is None


def test_unreviewed_purchases_are_invited_after_fourteen_days(bought, clock):
    assert services.invite_due_reviews() == 0
    clock.shift(timedelta(days=14, minutes=1))
    assert services.invite_due_reviews() == 1
    assert services.invite_due_reviews() == 0


def test_hidden_reviews_count_for_nothing_and_are_not_shown(client, bought, contractor):
    Contractor.objects.filter(pk=contractor.pk).update(slug="alice-plumbing")
    review = services.invite_review(bought)
    services.submit_review(review, rating=1, text="Rude and late")
    low = Contractor.objects.get(pk=contractor.pk).star_score
    with pytest.raises(services.DomainError):
        services.hide_review(review, reason=" ")
    services.hide_review(review, reason="Review is about another company")
    assert low < 80
    # Its only review hidden, the pro has no score again: not held back.
    assert Contractor.objects.get(pk=contractor.pk).star_score is None
    page = client.get(reverse("leads:profile", args=["alice-plumbing"])).content.decode()
    assert "Alice Plumbing" in page and "Rude and late" not in page


def test_the_pro_replies_once_and_the_profile_shows_it(client, bought, contractor):
    Contractor.objects.filter(pk=contractor.pk).update(slug="alice-plumbing")
    review = services.invite_review(bought)
    services.submit_review(review, rating=4, text="Good work")
    client.force_login(contractor.user)
    url = reverse("leads:review-reply", args=[bought.pk])
    client.post(url, {"reply": "Thank you, Dana!"})
    client.post(url, {"reply": "Second reply"})
    review.refresh_from_db()
    assert review.reply == "Thank you, Dana!"
    page = client.get(reverse("leads:profile", args=["alice-plumbing"])).content.decode()
    assert "Good work" in page and "Thank you, Dana!" in page


def test_a_low_score_removes_a_pro_from_the_marketplace(bought, contractor, settings):
    review = services.invite_review(bought)
    services.submit_review(review, rating=1, text="No show")
    score = Contractor.objects.get(pk=contractor.pk).star_score
    assert score is not None
    from tests.factories import LeadFactory

    other_homeowner = LeadFactory(status="open", phone="+16195550999", email="new@example.com")
    settings.STAR_SCORE_THRESHOLD = score  # at the threshold: still in
    buyers = queries.buyers(other_homeowner, price_cents=450, now=bought.created_at)
    assert buyers.filter(pk=contractor.pk).exists()
    settings.STAR_SCORE_THRESHOLD = score + 1
    buyers = queries.buyers(other_homeowner, price_cents=450, now=bought.created_at)
    assert not buyers.filter(pk=contractor.pk).exists()


def test_the_dashboard_shows_the_real_counts_behind_the_score(client, bought, contractor):
    client.force_login(contractor.user)
    page = client.get(reverse("leads:home")).content.decode()
    assert "Answered within an hour so far: 0 of 1 lead you bought" in page
    assert "Star score: <strong>none yet</strong>" in page

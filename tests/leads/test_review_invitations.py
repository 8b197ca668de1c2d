"""Review invitations go to homeowners who asked for the job, never to one who said "I didn't
make this request", even when they said so after a pro bought the lead."""

from datetime import timedelta

import pytest

from leads import services
from leads.models import Review
from marketplace.models import Notification
from tests.factories import LeadFactory, fund

from .test_accept import make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def disputed_purchase(contractor, clock):
    fund(contractor)
    purchase = services.accept_offer(make_offer(contractor=contractor), contractor=contractor)
    services.dispute_lead(purchase.lead)  # after the pro bought it
    purchase.refresh_from_db()
    return purchase


def invitations() -> int:
    return Notification.objects.filter(template="review_invite").count()


def test_a_won_job_does_not_invite_a_homeowner_who_disputed_the_request(disputed_purchase):
    services.record_outcome(disputed_purchase, outcome="won", final_value_cents=50_000)
    disputed_purchase.refresh_from_db()
    assert disputed_purchase.outcome == "won"  # the pro's record stands
    assert not Review.objects.exists()
    assert invitations() == 0


def test_the_beat_does_not_invite_a_homeowner_who_disputed_the_request(
    disputed_purchase, other_contractor, clock
):
    fund(other_contractor)
    undisputed = services.accept_offer(
        make_offer(LeadFactory(status="open", email="kim@example.com"), other_contractor),
        contractor=other_contractor,
    )
    clock.shift(timedelta(days=14, minutes=1))
    assert services.invite_due_reviews() == 1
    assert list(Review.objects.values_list("purchase", flat=True)) == [undisputed.pk]
    assert list(
        Notification.objects.filter(template="review_invite").values_list("to", flat=True)
    ) == ["kim@example.com"]
    clock.shift(timedelta(hours=1))
    assert services.invite_due_reviews() == 0
    assert invitations() == 1

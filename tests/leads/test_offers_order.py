"""The Offers page: pending offers first, soonest to expire, then the rest newest first, so
a lead bought a minute ago (a call taken live, whose offer expires the moment it is taken)
is on page one, not after months of old offers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads import queries
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_pending_offers_come_first_by_expiry_then_the_rest_newest_first(contractor):
    now = timezone.now()

    def offer(status, offered_ago, expires_in):
        return OfferFactory(
            contractor=contractor,
            status=status,
            offered_at=now - offered_ago,
            expires_at=now + expires_in,
        )

    old = offer("accepted", timedelta(days=60), timedelta(days=-60))
    taken_live = offer("accepted", timedelta(minutes=1), timedelta(minutes=-1))
    declined = offer("declined", timedelta(days=2), timedelta(days=-2))
    later = offer("pending", timedelta(minutes=5), timedelta(minutes=55))
    sooner = offer("pending", timedelta(minutes=50), timedelta(minutes=10))

    assert list(queries.offers_for(contractor)) == [sooner, later, taken_live, declined, old]

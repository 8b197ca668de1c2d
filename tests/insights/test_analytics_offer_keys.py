"""Analytics counts each offer by the keys it was made with (its own copy of its lead's
source, zip and service), in the local month it was shown, DST included."""

from datetime import UTC, date, datetime

import pytest

from insights.analytics import Period, contractor_analytics
from leads.models import Lead, Offer
from tests.factories import LeadFactory, OfferFactory, ServiceCategoryFactory, ZipCodeFactory

pytestmark = pytest.mark.django_db

LA = "America/Los_Angeles"


def rows(data, group):
    return {row.key: row.metrics.offers_seen for row in data.groups[group]}


@pytest.fixture
def places(db):
    return (
        ZipCodeFactory(code="92101", city="San Diego", state="CA"),
        ZipCodeFactory(code="78701", city="Austin", state="TX"),
    )


def offer_at(when, clock, contractor, zip_code, **lead):
    clock.move_to(when)
    return OfferFactory(
        lead=LeadFactory(zip_code=zip_code, **lead), contractor=contractor, status="declined"
    )


def test_an_offer_counts_by_what_its_lead_was_when_offered(
    clock, contractor, plumbing, places, django_assert_num_queries
):
    san_diego, austin = places
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    offer = offer_at(
        datetime(2026, 2, 10, 18, tzinfo=UTC), clock, contractor, san_diego, utm_source="Google"
    )
    # The lead's keys change afterwards (say a correction): the offer was made as it was.
    Lead.objects.filter(pk=offer.lead_id).update(
        utm_source="facebook", zip_code=austin, category=roofing
    )
    period = Period(date(2026, 2, 1), date(2026, 3, 1), LA)
    # rollup cells, response counts, offers, services, zips, clicks, calls, fees
    with django_assert_num_queries(8):
        data = contractor_analytics(contractor, period)
    assert rows(data, "source") == {"marketplace:google": 1}
    assert rows(data, "city") == {"San Diego, CA": 1}
    assert rows(data, "category") == {"plumbing": 1}
    assert data.groups["category"][0].label == "Plumbing"
    assert (data.totals.offers_seen, data.totals.acceptance_rate_bp) == (1, 0)


def test_an_offer_without_keys_counts_by_its_lead(clock, contractor, plumbing, places):
    """Made by code older than the keys, during the deploy that added them."""
    san_diego, _ = places
    offer_at(datetime(2026, 2, 10, 18, tzinfo=UTC), clock, contractor, san_diego)
    old = offer_at(
        datetime(2026, 2, 11, 18, tzinfo=UTC), clock, contractor, san_diego, utm_source="Google"
    )
    Offer.objects.filter(pk=old.pk).update(category=None, zip_code=None, utm_source="")
    data = contractor_analytics(contractor, Period(date(2026, 2, 1), date(2026, 3, 1), LA))
    assert rows(data, "source") == {"marketplace": 1, "marketplace:google": 1}
    assert rows(data, "city") == {"San Diego, CA": 2}
    assert rows(data, "category") == {"plumbing": 2}
    assert rows(data, "month") == {"2026-02": 2}


def test_months_are_the_pros_own_across_the_dst_change(clock, contractor, plumbing, places):
    san_diego, _ = places
    contractor.timezone = LA
    contractor.save(update_fields=["timezone"])
    for when in [
        datetime(2026, 3, 1, 7, 30, tzinfo=UTC),  # Feb 28 11:30 PM PST: before the period
        datetime(2026, 3, 1, 8, 30, tzinfo=UTC),  # Mar 1 12:30 AM PST
        datetime(2026, 4, 1, 6, 30, tzinfo=UTC),  # Mar 31 11:30 PM PDT
        datetime(2026, 4, 1, 7, 30, tzinfo=UTC),  # Apr 1 12:30 AM PDT (11:30 PM in PST)
        datetime(2026, 5, 1, 7, 30, tzinfo=UTC),  # May 1 12:30 AM PDT: after the period
    ]:
        offer_at(when, clock, contractor, san_diego)
    data = contractor_analytics(contractor, Period(date(2026, 3, 1), date(2026, 5, 1), LA))
    assert rows(data, "month") == {"2026-03": 2, "2026-04": 1}
    april = contractor_analytics(contractor, Period(date(2026, 4, 1), date(2026, 5, 1), LA))
    assert rows(april, "month") == {"2026-04": 1}
    assert april.totals.offers_seen == 1


@pytest.mark.parametrize("group", ["source", "city", "category", "month"])
def test_one_group_counted_alone_has_the_rows_and_totals_of_the_whole(
    clock, contractor, plumbing, places, group
):
    """The API counts only the group it returns: that group's rows, and every total, are
    those of the whole page, keys missing on old offers included."""
    from leads.models import Purchase
    from tests.factories import PurchaseFactory

    san_diego, austin = places
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    made = [
        offer_at(datetime(2026, 1, 20, 18, tzinfo=UTC), clock, contractor, san_diego),
        offer_at(
            datetime(2026, 2, 10, 18, tzinfo=UTC),
            clock,
            contractor,
            austin,
            utm_source="Google",
            category=roofing,
        ),  # fmt: skip
        offer_at(datetime(2026, 2, 11, 18, tzinfo=UTC), clock, contractor, austin),
    ]
    Offer.objects.filter(pk=made[2].pk).update(zip_code=None, category=None, utm_source="")
    Offer.objects.filter(pk=made[1].pk).update(status=Offer.Status.ACCEPTED)
    PurchaseFactory(contractor=contractor, lead=made[1].lead, offer=made[1])
    assert Purchase.objects.count() == 1
    period = Period(date(2026, 1, 1), date(2026, 3, 1), LA)
    whole = contractor_analytics(contractor, period)
    alone = contractor_analytics(contractor, period, groups_counted=(group,))
    assert [(r.key, r.label, r.metrics) for r in alone.groups[group]] == [
        (r.key, r.label, r.metrics) for r in whole.groups[group]
    ]
    assert alone.groups[group]
    assert alone.totals == whole.totals
    assert (alone.connections, alone.calls, alone.fees_cents) == (
        whole.connections,
        whole.calls,
        whole.fees_cents,
    )

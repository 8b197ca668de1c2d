"""The analytics rollup (leads.models.AnalyticsCell, ResponseCount) that each event keeps
always equals what the nightly rebuild makes from the history, after any sequence of
those events, on the contractor's own days across midnight and the DST changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits import services as credit_services
from credits.models import CreditClaim
from insights.analytics import Period, contractor_analytics
from leads import rollup, services
from leads.models import AnalyticsCell, Lead, Offer, ResponseCount
from leads.services.routing import _make_offers, expire_offers_and_leads
from marketplace.errors import DomainError
from tests.factories import (
    ContractorFactory,
    LeadFactory,
    PurchaseFactory,
    UserFactory,
    fund,
)
from tests.insights.analytics_dataset import _claim

pytestmark = pytest.mark.django_db

CHICAGO = "America/Chicago"
# Just before the spring and the autumn change in Chicago (2 a.m. local).
STARTS = [datetime(2026, 3, 8, 4, 0, tzinfo=UTC), datetime(2026, 11, 1, 4, 0, tzinfo=UTC)]

events = st.lists(
    st.one_of(
        st.tuples(st.just("offer"), st.sampled_from(["", "google", "Google "])),
        st.tuples(st.just("buy"), st.integers(0, 30)),
        st.tuples(st.just("decline"), st.integers(0, 30)),
        st.tuples(st.just("expire")),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=400)),
        st.tuples(st.just("attempt"), st.integers(0, 30), st.integers(-1, 3000)),
        st.tuples(
            st.just("outcome"), st.integers(0, 30), st.sampled_from(["appointment", "won", "lost"])
        ),
        st.tuples(st.just("credit"), st.integers(0, 30)),
        st.tuples(st.just("claim"), st.integers(0, 30), st.booleans()),
    ),
    max_size=18,
)


def snapshot(contractor) -> tuple[dict, dict]:
    cells = {
        (c.grain, c.start, c.kind, c.key): tuple(getattr(c, n) for n in rollup.COUNTS)
        for c in AnalyticsCell.objects.filter(contractor=contractor)
        if any(getattr(c, n) for n in rollup.COUNTS)
    }
    responses = {
        (r.grain, r.start, r.kind, r.key, r.bucket): r.count
        for r in ResponseCount.objects.filter(contractor=contractor)
        if r.count
    }
    return cells, responses


class World:
    def __init__(self, contractor, clock, staff):
        self.contractor, self.clock, self.staff = contractor, clock, staff
        self.offers: list[Offer] = []
        self.purchases = []

    def pick(self, items, n):
        return items[n % len(items)] if items else None

    def apply(self, kind, *args):
        if kind == "offer":
            lead = LeadFactory(status=Lead.Status.OPEN, utm_source=args[0])
            _make_offers(lead, [self.contractor], route="marketplace", tier="", now=timezone.now())
            self.offers.append(Offer.objects.get(lead=lead, contractor=self.contractor))
        elif kind == "buy" and (offer := self.pick(self.offers, args[0])):
            self.purchases.append(services.accept_offer(offer, contractor=self.contractor))
        elif kind == "decline" and (offer := self.pick(self.offers, args[0])):
            services.decline_offer(offer, contractor=self.contractor)
        elif kind == "expire":
            self.clock.shift(timedelta(minutes=61))
            expire_offers_and_leads()
        elif kind == "wait":
            self.clock.shift(timedelta(minutes=args[0]))
        elif kind == "attempt" and (purchase := self.pick(self.purchases, args[0])):
            at = min(purchase.created_at + timedelta(minutes=args[1]), timezone.now())
            services.log_contact_attempt(
                purchase, channel="call", result="no_answer", attempted_at=at
            )
        elif kind == "outcome" and (purchase := self.pick(self.purchases, args[0])):
            purchase.refresh_from_db()
            value = 250_000 if args[1] == "won" else None
            services.record_outcome(
                purchase, outcome=args[1], final_value_cents=value, lost_reason="price"
            )
        elif kind == "credit" and (purchase := self.pick(self.purchases, args[0])):
            credit_services.credit_lead_proactively(
                purchase.lead, by=self.staff, reason="duplicate"
            )
        elif kind == "claim" and (purchase := self.pick(self.purchases, args[0])):
            if CreditClaim.objects.filter(purchase=purchase).exists():
                return  # one claim per purchase (filing refuses a second)
            claim = _claim(purchase)
            credit_services.approve_claim(claim, by=self.staff)
            if args[1]:
                credit_services.reverse_credit(claim, by=self.staff)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=events, start=st.sampled_from(STARTS))
def test_the_rollup_equals_a_rebuild_from_the_history(time_machine, sequence, start):
    time_machine.move_to(start, tick=False)
    contractor = fund(ContractorFactory(timezone=CHICAGO), 1_000_000)
    staff = UserFactory(is_staff=True, is_superuser=True)
    world = World(contractor, time_machine, staff)
    for kind, *args in sequence:
        try:
            world.apply(kind, *args)
        except DomainError:
            pass  # refused (not pending, already won, nothing to credit): nothing counted
    kept = snapshot(contractor)
    credit_services.rebuild_analytics(contractor)
    assert kept == snapshot(contractor)


def test_a_purchase_counts_on_the_pros_own_day_across_the_spring_change(time_machine):
    """Mar 8 2026, Chicago: 23:30 on the 7th (CST) and 00:30 on the 8th are two days; the
    8th has 23 hours, so 23:30 CDT on the 8th is still the 8th."""
    contractor = fund(ContractorFactory(timezone=CHICAGO), 100_000)
    moments = {
        date(2026, 3, 7): datetime(2026, 3, 8, 5, 30, tzinfo=UTC),  # 23:30 CST
        date(2026, 3, 8): datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # 00:30 CST
        date(2026, 3, 9): datetime(2026, 3, 9, 5, 30, tzinfo=UTC),  # 00:30 CDT
    }
    time_machine.move_to(datetime(2026, 3, 9, 4, 30, tzinfo=UTC), tick=False)  # 23:30 CDT
    PurchaseFactory(contractor=contractor)  # the 8th too
    for moment in moments.values():
        time_machine.move_to(moment, tick=False)
        PurchaseFactory(contractor=contractor)
    days = dict(
        AnalyticsCell.objects.filter(contractor=contractor, grain="day", kind="all").values_list(
            "start", "leads"
        )
    )
    assert days == {date(2026, 3, 7): 1, date(2026, 3, 8): 2, date(2026, 3, 9): 1}

    def leads(first, last):
        return contractor_analytics(contractor, Period(first, last, CHICAGO)).totals.leads

    assert leads(date(2026, 3, 8), date(2026, 3, 9)) == 2
    assert leads(date(2026, 3, 1), date(2026, 3, 9)) == 3
    assert leads(date(2026, 3, 8), date(2026, 4, 1)) == 3  # the month cell less the 1st-7th
    assert leads(date(2026, 2, 1), date(2026, 4, 1)) == 4


def test_the_median_is_read_from_the_response_steps(contractor, clock):
    """Steps of five minutes between 10 minutes and an hour: 21 and 24 minutes are both
    "about 20 min"; the lower middle of two is the mean of their steps' starts."""
    purchases = [PurchaseFactory(contractor=contractor) for _ in range(3)]
    clock.shift(timedelta(hours=2))
    for purchase, minutes in zip(purchases, [21, 24, 50], strict=True):
        services.log_contact_attempt(
            purchase,
            channel="call",
            result="no_answer",
            attempted_at=purchase.created_at + timedelta(minutes=minutes),
        )
    period = Period(date(2026, 3, 1), date(2026, 3, 3), contractor.timezone)
    totals = contractor_analytics(contractor, period).totals
    assert totals.contacted == 3
    assert totals.median_response_seconds == 20 * 60  # 21 min is in the 20-25 min step
    assert (
        rollup.median_of_steps({rollup.response_step(1200): 1, rollup.response_step(3000): 1})
        == (1200 + 3000) // 2
    )


def test_every_event_kind_counts_and_the_rebuild_agrees(time_machine):
    """One of each event (the property above draws them at random): each is counted."""
    time_machine.move_to(STARTS[0], tick=False)
    contractor = fund(ContractorFactory(timezone=CHICAGO), 1_000_000)
    world = World(contractor, time_machine, UserFactory(is_staff=True, is_superuser=True))
    for event in [
        ("offer", "google"), ("offer", ""), ("offer", ""), ("buy", 0), ("buy", 1),
        ("decline", 2), ("wait", 90), ("attempt", 0, 20), ("outcome", 0, "won"),
        ("credit", 1), ("offer", ""), ("expire",),
    ]:  # fmt: skip
        world.apply(*event)
    kept = snapshot(contractor)
    totals = dict(zip(rollup.COUNTS, kept[0][("month", date(2026, 3, 1), "all", "")], strict=True))
    assert totals == {
        "leads": 2,
        "spend_cents": totals["spend_cents"],
        "credits_cents": totals["spend_cents"] // 2,  # the second lead, in full
        "appointments": 1,
        "wins": 1,
        "won_revenue_cents": 250_000,
    }
    assert totals["spend_cents"] > 0
    credit_services.rebuild_analytics(contractor)
    assert kept == snapshot(contractor)
    # Offers are not in the rollup: analytics counts them live from the offers.
    shown = contractor_analytics(contractor, Period(date(2026, 3, 1), date(2026, 4, 1), CHICAGO))
    assert (shown.totals.offers_seen, shown.totals.offers_answered) == (4, 4)  # 2 accepted,
    assert shown.totals.offers_accepted == 2  # 1 declined, 1 expired


def test_routing_writes_nothing_to_the_rollup(contractor, clock):
    """A wave is one insert of offers, whatever the number of pros: no cell per pro."""
    pros = [ContractorFactory() for _ in range(3)]
    lead = LeadFactory(status=Lead.Status.OPEN)
    _make_offers(lead, pros, route="marketplace", tier="", now=timezone.now())
    assert Offer.objects.filter(lead=lead).count() == 3
    assert not AnalyticsCell.objects.exists() and not ResponseCount.objects.exists()

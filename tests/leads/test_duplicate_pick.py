"""Which earlier lead a request is linked to, however many the homeowner has: one still
being handled first (the oldest of those), else the latest; by phone or by email."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from leads import policy
from leads.models import Lead
from leads.services import find_duplicate
from leads.services.lifecycle import ACTIVE_STATUSES
from tests.factories import LeadFactory, PurchaseFactory, ServiceCategoryFactory

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "+16195550123", "dana@example.com"


@pytest.fixture
def lead_at(clock, plumbing):
    """A lead of this homeowner made `days_ago` days before now (the clock stays put)."""
    now = timezone.now()

    def make(days_ago: float, **fields):
        clock.move_to(now - timedelta(days=days_ago))
        lead = LeadFactory(**({"category": plumbing, "phone": PHONE, "email": EMAIL} | fields))
        clock.move_to(now)
        return lead

    return make


def expected(leads) -> Lead | None:
    """The rule, in Python, over every lead of the homeowner and category in the window."""
    since = timezone.now() - policy.DUPLICATE_WINDOW
    same = [
        lead
        for lead in leads
        if (lead.phone == PHONE or lead.email == EMAIL) and lead.created_at >= since
    ]
    handled = [
        lead
        for lead in same
        if lead.status in ACTIVE_STATUSES
        and not lead.purchases.filter(outcome__in=["won", "lost"]).exists()
    ]
    if handled:
        return min(handled, key=lambda lead: lead.created_at)
    return max(same, key=lambda lead: lead.created_at, default=None)


def test_many_rejected_copies_still_link_to_the_original(lead_at, plumbing):
    original = lead_at(20)
    for n in range(60):  # a script posting the same request over and over
        lead_at(19 - n / 10, status=Lead.Status.REJECTED, rejection_reason="duplicate")
    assert find_duplicate(phone=PHONE, email=EMAIL, category=plumbing) == original


def test_after_the_original_ended_its_many_copies_link_to_the_latest(lead_at, plumbing):
    lead_at(20, status=Lead.Status.FILLED)
    copies = [lead_at(19 - n / 10, status=Lead.Status.REJECTED) for n in range(40)]
    assert find_duplicate(phone=PHONE, email=EMAIL, category=plumbing) == copies[-1]


def test_a_new_job_after_many_old_copies_is_the_one_still_handled(lead_at, plumbing):
    lead_at(25, status=Lead.Status.EXPIRED)
    for n in range(40):
        lead_at(24 - n / 10, status=Lead.Status.REJECTED)
    new_job = lead_at(3)
    lead_at(2, status=Lead.Status.REJECTED)
    assert find_duplicate(phone=PHONE, email=EMAIL, category=plumbing) == new_job


def test_the_oldest_handled_wins_across_phone_and_email(lead_at, plumbing):
    by_email = lead_at(10, phone="+16195550999")
    lead_at(5, email="other@example.com")  # same phone, handled, but newer
    lead_at(1, phone="+16195550888", status=Lead.Status.REJECTED)  # the latest, by email
    assert find_duplicate(phone=PHONE, email=EMAIL, category=plumbing) == by_email


def test_a_lead_whose_buyer_lost_the_job_is_not_handled_any_more(lead_at, plumbing):
    lost = lead_at(10)
    PurchaseFactory(lead=lost, outcome="lost")
    Lead.objects.filter(pk=lost.pk).update(status=Lead.Status.OPEN)  # still open for others
    handled = lead_at(8, phone="+16195550999")
    lead_at(2, status=Lead.Status.REJECTED)
    assert find_duplicate(phone=PHONE, email=EMAIL, category=plumbing) == handled


def test_a_caller_without_email_is_found_by_phone(lead_at, plumbing):
    lead_at(6, status=Lead.Status.FILLED)
    latest = lead_at(4, status=Lead.Status.EXPIRED)
    lead_at(2, phone="+16195550999")  # email only: a caller has none to match
    assert find_duplicate(phone=PHONE, email="", category=plumbing) == latest


def test_nothing_outside_the_window_or_the_category(lead_at, plumbing):
    lead_at(31)
    lead_at(2, category=ServiceCategoryFactory(name="Roofing", slug="roofing"))
    assert find_duplicate(phone=PHONE, email=EMAIL, category=plumbing) is None


@pytest.mark.parametrize("seed", range(8))
def test_the_pick_follows_the_rule_for_any_mix_of_leads(lead_at, plumbing, seed):
    rng = random.Random(seed)
    leads = []
    for _ in range(rng.randint(1, 14)):
        who = rng.choice(["both", "phone", "email"])
        fields = {
            "status": rng.choice([*ACTIVE_STATUSES, "filled", "expired", "rejected"]),
            "phone": PHONE if who != "email" else f"+1619555{rng.randint(2000, 2999)}",
            "email": EMAIL if who != "phone" else f"x{rng.randint(0, 999)}@example.com",
        }
        lead = lead_at(rng.uniform(0, 35), **fields)
        if rng.random() < 0.2:
            status = lead.status
            PurchaseFactory(lead=lead, outcome=rng.choice(["won", "lost", "new"]))
            Lead.objects.filter(pk=lead.pk).update(status=status)
            lead.refresh_from_db()
        leads.append(lead)
    assert find_duplicate(phone=PHONE, email=EMAIL, category=plumbing) == expected(leads)

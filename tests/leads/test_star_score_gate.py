"""The star score gate, decided once (leads/scoring.py): no score and no gate before the
first review; the gate reads the unrounded score; and the stored score follows its
reviews' ages every night, so a pro is let back in as an old bad review fades."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from leads import scoring, services, tasks
from leads.models import Lead, Offer
from marketplace.models import Contractor, ServiceArea, ZipCode
from tests.factories import ContractorFactory, LeadFactory, PurchaseFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def pro(metro_zips, plumbing):
    pro = fund(
        ContractorFactory(
            tier="elite", daily_lead_cap=100, weekly_lead_cap=500, monthly_budget_cents=10**7
        )
    )
    ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    return pro


def offered(pro, plumbing) -> bool:
    lead = LeadFactory(zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN)
    services.route(lead.pk)
    return lead.offers.filter(contractor=pro).exists()


def test_a_pro_without_reviews_keeps_marketplace_leads_however_slow_the_first_calls(
    pro, plumbing, clock, client
):
    for _ in range(20):
        purchase = PurchaseFactory(contractor=pro)
        clock.shift(timedelta(hours=3))
        services.log_contact_attempt(purchase, channel="call", result="no_answer")
    pro.refresh_from_db()
    assert services.score_parts(pro).score < django_settings.STAR_SCORE_THRESHOLD
    assert pro.star_score is None
    assert offered(pro, plumbing)
    client.force_login(pro.user)
    page = client.get(reverse("leads:home")).content.decode()
    assert "Star score: <strong>none yet</strong>" in page
    assert "from 0 reviews" not in page


def test_the_gate_compares_the_unrounded_score(pro, plumbing, client, settings):
    settings.STAR_SCORE_THRESHOLD = 80
    Contractor.objects.filter(pk=pro.pk).update(star_score=79.89)
    assert not offered(pro, plumbing)
    assert scoring.shown(79.89) == 79  # shown rounded down, never as a passing 80
    Contractor.objects.filter(pk=pro.pk).update(star_score=80.0)
    assert offered(pro, plumbing)


def test_the_stored_score_is_the_unrounded_one(pro, clock):
    purchase = PurchaseFactory(contractor=pro)
    review = services.invite_review(purchase)
    services.submit_review(review, rating=4, text="Fine.")
    clock.shift(timedelta(days=3))  # the review has faded a little: no round number
    services.recompute_star_score(pro)
    pro.refresh_from_db()
    assert pro.star_score == pytest.approx(services.score_parts(pro).exact)
    assert pro.star_score != int(pro.star_score)


def test_the_nightly_recompute_lets_a_pro_back_in_as_an_old_bad_review_fades(pro, plumbing, clock):
    purchase = PurchaseFactory(contractor=pro)
    services.submit_review(services.invite_review(purchase), rating=1, text="No show.")
    pro.refresh_from_db()
    assert pro.star_score < django_settings.STAR_SCORE_THRESHOLD
    assert not offered(pro, plumbing)

    clock.shift(timedelta(days=730))
    pro.refresh_from_db()
    assert pro.star_score < django_settings.STAR_SCORE_THRESHOLD  # stale until beat runs
    assert tasks.recompute_star_scores() == 1
    pro.refresh_from_db()
    assert pro.star_score >= django_settings.STAR_SCORE_THRESHOLD
    assert offered(pro, plumbing)


def test_beat_recomputes_the_scores_every_night():
    entry = next(
        e
        for e in django_settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "leads.tasks.recompute_star_scores"
    )
    assert entry["schedule"].hour == {9}  # one run a day, at night in every US zone


def test_the_settings_help_text_and_dashboard_say_the_same(pro, clock, client):
    help_text = Contractor._meta.get_field("star_score").help_text
    assert "until the pro's first review" in help_text
    purchase = PurchaseFactory(contractor=pro)
    services.submit_review(services.invite_review(purchase), rating=5, text="Great.")
    client.force_login(pro.user)
    page = client.get(reverse("leads:home")).content.decode()
    pro.refresh_from_db()
    assert f"Star score: <strong>{scoring.shown(pro.star_score)}%</strong>" in page
    assert "from 1 review (provisional" in page


def test_a_low_star_score_keeps_a_pro_out_and_no_reviews_does_not(
    clock, metro_zips, plumbing, settings
):
    downtown = ZipCode.objects.get(code="92101")
    rated_low, unrated, rated_high = (
        ContractorFactory(tier="elite", star_score=70),
        ContractorFactory(tier="elite", star_score=None),
        ContractorFactory(tier="elite", star_score=95),
    )
    for pro in (rated_low, unrated, rated_high):
        ServiceArea.objects.create(contractor=pro, zip_code=downtown)
        fund(pro)
    lead = LeadFactory(status=Lead.Status.OPEN, zip_code=downtown, category=plumbing)
    services.route(lead.pk)
    offered = set(Offer.objects.filter(lead=lead).values_list("contractor_id", flat=True))
    assert offered == {unrated.pk, rated_high.pk}

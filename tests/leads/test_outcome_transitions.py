"""A bought lead's outcome moves only along allowed steps, by compare-and-set: a won job
keeps its final value, and two updates at once (page and API) never overwrite each other."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from leads import services
from leads.models import Purchase
from tests.factories import PurchaseFactory, fund
from tests.leads.test_accept import make_offer
from tests.resilience.conftest import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchase(contractor):
    return PurchaseFactory(contractor=contractor)


def test_a_won_job_cannot_go_back_to_new_through_the_api(purchase, contractor_api):
    url = reverse("api:lead", args=[purchase.lead_id])
    response = contractor_api.patch(
        url, {"outcome": "won", "final_value_cents": 52_000}, format="json"
    )
    assert response.status_code == 200
    response = contractor_api.patch(url, {"outcome": "new"}, format="json")
    assert response.status_code == 409
    assert "won" in response.json()["outcome"][0]
    purchase.refresh_from_db()
    assert (purchase.outcome, purchase.final_value_cents) == ("won", 52_000)


@pytest.mark.parametrize(
    ("steps", "allowed"),
    [
        (["contacted", "appointment", "won"], True),
        (["appointment", "lost", "won"], True),  # the homeowner came back
        (["lost", "lost"], True),  # a lost reason corrected
        (["appointment", "contacted"], False),
        (["contacted", "new"], False),
        (["won", "lost"], False),
        (["won", "appointment"], False),
    ],
)
def test_outcomes_follow_the_allowed_steps(purchase, steps, allowed):
    values = {"won": {"final_value_cents": 40_000}, "lost": {"lost_reason": "Too expensive."}}
    try:
        for step in steps:
            services.record_outcome(purchase, outcome=step, **values.get(step, {}))
    except services.OutcomeNotAllowed:
        assert not allowed
    else:
        assert allowed
    purchase.refresh_from_db()
    assert purchase.outcome == (steps[-1] if allowed else steps[-2])


def test_saving_the_page_after_the_api_changed_the_outcome_is_refused(purchase, contractor_client):
    """The page was opened while the job was new; the API marked it won meanwhile."""
    url = reverse("leads:lead-outcome", args=[purchase.pk])
    page = contractor_client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert 'name="was" value="new"' in page
    services.record_outcome(purchase, outcome="won", final_value_cents=30_000)
    response = contractor_client.post(
        url, {"outcome": "lost", "lost_reason": "Cheaper quote.", "was": "new"}
    )
    assert response.status_code == 200
    assert "changed meanwhile" in response.content.decode()
    purchase.refresh_from_db()
    assert (purchase.outcome, purchase.final_value_cents) == ("won", 30_000)


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="row locks need PostgreSQL (CI runs it)",
)
@pytest.mark.django_db(transaction=True)
def test_two_outcomes_at_the_same_moment_one_wins_the_other_is_told(contractor):
    for _ in range(3):
        purchase = PurchaseFactory(contractor=contractor)
        fresh = [Purchase.objects.get(pk=purchase.pk) for _ in range(2)]
        results = run_at_once(
            2,
            lambda i, fresh=fresh: services.record_outcome(
                fresh[i],
                outcome=["won", "lost"][i],
                final_value_cents=40_000 if i == 0 else None,
                lost_reason="" if i == 0 else "Went elsewhere.",
            ),
        )
        refused = [r for r in results if isinstance(r, services.OutcomeNotAllowed)]
        done = [r for r in results if isinstance(r, Purchase)]
        assert (len(done), len(refused)) == (1, 1), results
        purchase.refresh_from_db()
        assert purchase.outcome == done[0].outcome
        if purchase.outcome == "lost":
            assert purchase.final_value_cents is None


def test_a_final_value_is_typed_in_dollars_and_cents(purchase, contractor_client):
    url = reverse("leads:lead-outcome", args=[purchase.pk])
    response = contractor_client.post(
        url, {"outcome": "won", "final_value_dollars": "$1,250.50", "was": "new"}
    )
    assert response.status_code == 302
    purchase.refresh_from_db()
    assert purchase.final_value_cents == 125_050


def test_a_huge_final_value_is_a_400(contractor_api, contractor):
    fund(contractor)
    offer = make_offer(contractor=contractor)
    contractor_api.post(reverse("api:offer-accept", args=[offer.pk]))
    response = contractor_api.patch(
        reverse("api:lead", args=[offer.lead_id]),
        {"outcome": "won", "final_value_cents": 10**12},
        format="json",
    )
    assert response.status_code == 400 and "final_value_cents" in response.json()

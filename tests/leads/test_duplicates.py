from datetime import timedelta

import pytest
from django.urls import reverse

from leads.models import Lead, LeadFlag
from tests.factories import LeadFactory, ServiceCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks, quote_data):
    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("leads:quote"), quote_data(**overrides))
        return Lead.objects.latest("created_at")

    return post


def test_same_phone_and_category_while_the_first_is_open_is_rejected_as_duplicate(submit):
    first = submit()
    second = submit(email="other@example.com")
    assert second.duplicate_of == first
    assert second.status == Lead.Status.REJECTED
    assert second.rejection_reason == Lead.RejectReason.DUPLICATE
    assert first.reference in second.rejection_note


def test_same_email_with_another_phone_is_a_duplicate_too(submit):
    first = submit()
    second = submit(phone="(619) 555-0190", email="DANA@example.com")
    assert second.duplicate_of == first


def test_another_category_is_not_a_duplicate(submit, metro_zips):
    submit()
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    second = submit(category=roofing.pk)
    assert second.duplicate_of is None
    assert second.status == Lead.Status.OPEN


def test_after_thirty_days_it_is_a_new_request(clock, submit):
    first = submit()
    clock.shift(timedelta(days=30, minutes=1))
    second = submit()
    assert second.duplicate_of is None
    assert first.pk != second.pk


def test_within_thirty_days_of_a_finished_lead_it_is_linked_but_still_sold(clock, submit):
    first = submit()
    Lead.objects.filter(pk=first.pk).update(status=Lead.Status.FILLED)
    clock.shift(timedelta(days=29))
    second = submit()
    assert second.duplicate_of == first
    assert second.status == Lead.Status.OPEN  # other pros may still take it
    assert second.flags.filter(code=LeadFlag.Code.DUPLICATE).exists()


def test_a_duplicate_links_to_the_original_active_lead(plumbing, metro_zips):
    from leads.services import find_duplicate

    original = LeadFactory(phone="+16195550123", category=plumbing)
    LeadFactory(phone="+16195550123", category=plumbing, status=Lead.Status.REJECTED)
    found = find_duplicate(phone="+16195550123", email="x@example.com", category=plumbing)
    assert found == original


def test_a_third_copy_is_rejected_too(submit):
    first = submit()
    second = submit()
    third = submit()
    assert second.duplicate_of == first and third.duplicate_of == first
    assert (second.status, third.status) == (Lead.Status.REJECTED, Lead.Status.REJECTED)


@pytest.mark.parametrize("reason", ["spam", "test", "not_requested", "invalid"])
def test_resubmitting_after_a_rejection_is_held_for_a_screener(submit, reason):
    first = submit()
    Lead.objects.filter(pk=first.pk).update(status=Lead.Status.REJECTED, rejection_reason=reason)
    second = submit()
    assert second.status == Lead.Status.SCREENING
    assert second.flags.filter(code=LeadFlag.Code.PRIOR_REJECTION).exists()


def test_asking_a_chosen_pro_after_a_general_request_is_not_closed(
    client, submit, san_diego_pro, quote_data, django_capture_on_commit_callbacks
):
    first = submit()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("leads:profile-quote", args=["harbor-plumbing"]), quote_data()
        )
    assert response.status_code == 302
    second = Lead.objects.latest("created_at")
    assert second.duplicate_of == first
    assert second.profile_contractor == san_diego_pro
    assert second.status == Lead.Status.OPEN


def test_the_thank_you_page_says_when_a_copy_was_not_sent_again(client, submit):
    submit()
    second = submit()
    page = client.get(reverse("leads:sent", args=[second.status_token])).content.decode()
    assert "did not send this one again" in page


@pytest.mark.parametrize(
    "earlier_fate", ["won", "lost", "filled", "expired"], ids=lambda fate: f"after-{fate}"
)
def test_a_request_after_the_earlier_job_ended_is_a_new_job_routed_to_other_pros(
    submit, earlier_fate, metro_zips, plumbing, django_capture_on_commit_callbacks
):
    """Her first plumbing job ended; weeks later she asks about a new faucet. It is a new
    job: it is routed, though never to who bought the first one within 30 days."""
    from leads import services
    from leads.models import Offer
    from marketplace.models import ServiceArea
    from tests.factories import ContractorFactory, fund

    first_pro, second_pro = (fund(ContractorFactory(tier="elite")) for _ in range(2))
    for pro in (first_pro, second_pro):
        ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    first = submit()
    purchase = services.accept_offer(
        Offer.objects.get(lead=first, contractor=first_pro), contractor=first_pro
    )
    if earlier_fate == "won":
        services.record_outcome(purchase, outcome="won", final_value_cents=60_000)
    elif earlier_fate == "lost":
        services.record_outcome(purchase, outcome="lost", lost_reason="Hired her cousin.")
    else:
        Lead.objects.filter(pk=first.pk).update(status=earlier_fate)

    second = submit(description="A new kitchen faucet to install, the old one drips.")
    assert second.status == Lead.Status.OPEN
    assert second.duplicate_of == first  # linked, for ops and the routing rule
    offered = set(Offer.objects.filter(lead=second).values_list("contractor_id", flat=True))
    assert offered == {second_pro.pk}


def test_a_request_while_the_first_is_still_being_handled_is_closed_and_says_so(submit, client):
    first = submit()
    second = submit(description="Water heater still leaking, please hurry, it is worse now.")
    assert second.status == Lead.Status.REJECTED
    page = client.get(reverse("leads:sent", args=[second.status_token])).content.decode()
    assert first.reference in page
    assert "Pros who took the first one will contact you" not in page

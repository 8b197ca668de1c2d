"""A homeowner who picks one pro is never left waiting on a pro who cannot take the
request: such a pro offers no "Get a quote", and when the chosen pro declines, lets the
offer expire or cannot pay, the homeowner is asked whether to send it to other pros (or
ops send it, with the homeowner's word). Profile leads are not star-gated, and once the
chosen pro buys it, the request is filled."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from billing import services as billing
from leads import services
from leads.models import Consent, Lead, Offer
from marketplace.models import Contractor, Notification, ServiceArea
from tests.factories import ContractorFactory, LeadFactory, UserFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def others(metro_zips, plumbing):
    """An elite pro who also serves downtown San Diego: the marketplace, if asked."""
    pro = fund(ContractorFactory(tier="elite", business_name="Bay Plumbing"))
    ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    return pro


def profile_lead(pro, plumbing, **kwargs):
    lead = LeadFactory(
        zip_code_id="92101", category=plumbing, status=Lead.Status.OPEN, profile_contractor=pro
    )
    Consent.objects.create(
        lead=lead, text="I agree to share it with Harbor.", given_at=lead.created_at
    )
    return lead


def drain(pro):
    """Spend the pro's whole balance (an ops adjustment), as a pro with nothing left."""
    pro.account.refresh_from_db()
    billing.post_entry(
        pro.account,
        kind="adjustment",
        amount_cents=-pro.account.balance_cents,
        memo="test",
        reason="nothing left",
    )
    return pro


def asked(lead) -> bool:
    lead.refresh_from_db()
    return (
        lead.chosen_pro_unavailable_at is not None
        and Notification.objects.filter(to=lead.email, template="chosen_pro_unavailable").exists()
    )


def test_a_profile_lead_is_not_star_gated(san_diego_pro, plumbing, clock):
    Contractor.objects.filter(pk=san_diego_pro.pk).update(star_score=41.5)
    lead = profile_lead(san_diego_pro, plumbing)
    services.route(lead.pk)
    offer = Offer.objects.get(lead=lead)
    purchase = services.accept_offer(offer, contractor=san_diego_pro)
    lead.refresh_from_db()
    assert purchase.price_cents == 450
    assert lead.status == Lead.Status.FILLED  # the chosen pro bought it: done


def test_a_pro_who_cannot_take_requests_offers_no_get_a_quote(client, san_diego_pro, plumbing):
    """Harbor Plumbing has no balance: listed, but with no "Get a quote", and its form
    says so instead of taking a request nobody will buy."""
    drain(san_diego_pro)
    listing = client.get(reverse("leads:directory"), {"zip": "92101"}).content.decode()
    assert "Harbor Plumbing" in listing
    assert reverse("leads:profile-quote", args=["harbor-plumbing"]) not in listing
    profile = client.get(reverse("leads:profile", args=["harbor-plumbing"])).content.decode()
    assert "not taking new requests right now" in profile
    form = client.get(reverse("leads:profile-quote", args=["harbor-plumbing"])).content.decode()
    assert "not taking new requests right now" in form
    fund(san_diego_pro)
    listing = client.get(reverse("leads:directory"), {"zip": "92101"}).content.decode()
    assert reverse("leads:profile-quote", args=["harbor-plumbing"]) in listing


def test_a_chosen_pro_who_cannot_pay_at_routing_gets_no_offer_and_the_homeowner_is_asked(
    san_diego_pro, plumbing, clock
):
    lead = profile_lead(drain(san_diego_pro), plumbing)
    services.route(lead.pk)
    assert not Offer.objects.filter(lead=lead).exists()
    assert asked(lead)
    email = Notification.objects.get(to=lead.email, template="chosen_pro_unavailable")
    assert "Harbor Plumbing can't take your request" in email.body
    assert lead.status_token in email.body
    assert "balance" not in email.body  # the pro's money is not the homeowner's business


def test_a_decline_asks_the_homeowner_who_sends_it_to_other_pros(
    san_diego_pro, plumbing, others, clock, client, django_capture_on_commit_callbacks
):
    lead = profile_lead(san_diego_pro, plumbing)
    services.route(lead.pk)
    services.decline_offer(Offer.objects.get(lead=lead), contractor=san_diego_pro)
    assert asked(lead)

    url = reverse("leads:status", args=[lead.status_token])
    page = client.get(url).content.decode()
    assert "Send it to other pros" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("leads:release", args=[lead.status_token]), HTTP_USER_AGENT="Phone/1"
        )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.released_at is not None
    offer = Offer.objects.get(lead=lead, contractor=others)
    assert (offer.route, offer.status) == ("marketplace", "pending")
    consent = lead.consents.order_by("-pk").first()
    assert consent.method == Consent.Method.STATUS_PAGE
    assert "other local home-service professionals" in consent.text
    assert consent.user_agent == "Phone/1"
    assert "Send it to other pros" not in client.get(url).content.decode()


def test_an_expired_offer_asks_the_homeowner(san_diego_pro, plumbing, clock):
    lead = profile_lead(san_diego_pro, plumbing)
    services.route(lead.pk)
    clock.shift(timedelta(minutes=61))
    services.expire_offers_and_leads()
    assert asked(lead)
    services.expire_offers_and_leads()
    assert Notification.objects.filter(template="chosen_pro_unavailable").count() == 1


def test_ops_send_a_profile_lead_to_other_pros_with_the_homeowners_word(
    san_diego_pro, plumbing, others, clock, client, staff_groups
):
    lead = profile_lead(drain(san_diego_pro), plumbing)
    services.route(lead.pk)  # Harbor cannot pay: the homeowner is asked, and phones us
    screener = UserFactory(is_staff=True)
    screener.groups.add(Group.objects.get(name="screeners"))
    client.force_login(screener)
    response = client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "reroute", "_selected_action": [lead.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 new offer(s) made." in response.content.decode()
    lead.refresh_from_db()
    assert lead.released_at is not None
    assert Offer.objects.filter(lead=lead, contractor=others, status="pending").exists()
    consent = lead.consents.order_by("-pk").first()
    assert consent.method == Consent.Method.OPS_RECORDED
    assert screener.email in consent.text


def test_releasing_is_refused_while_the_chosen_pro_still_has_it(
    san_diego_pro, plumbing, others, clock
):
    lead = profile_lead(san_diego_pro, plumbing)
    services.route(lead.pk)
    with pytest.raises(services.DomainError, match="still has"):
        services.release_profile_lead(lead, consent_text="x", method=Consent.Method.STATUS_PAGE)
    assert not Offer.objects.filter(lead=lead, contractor=others).exists()


def test_ops_withdrawing_the_chosen_pros_offer_asks_the_homeowner(san_diego_pro, plumbing, clock):
    lead = profile_lead(san_diego_pro, plumbing)
    services.route(lead.pk)
    services.withdraw_offers(lead)
    assert asked(lead)


def test_a_released_request_is_not_offered_back_to_the_chosen_pro_as_subscriber(
    san_diego_pro, plumbing, others, clock
):
    from marketplace.models import ZipCode
    from territories import services as territories

    territories.subscribe(
        san_diego_pro, zip_codes=[ZipCode.objects.get(code="92101")], category=plumbing
    )
    lead = profile_lead(san_diego_pro, plumbing)
    services.route(lead.pk)
    services.decline_offer(Offer.objects.get(lead=lead), contractor=san_diego_pro)
    services.release_profile_lead(lead, consent_text="yes", method=Consent.Method.STATUS_PAGE)
    assert not Offer.objects.filter(lead=lead, route="territory").exists()
    assert Offer.objects.filter(lead=lead, contractor=others, status="pending").exists()


def test_the_homeowner_is_told_their_request_went_to_the_chosen_pro_only(
    san_diego_pro, plumbing, client, clock
):
    lead = profile_lead(san_diego_pro, plumbing)
    services.route(lead.pk)
    status = client.get(reverse("leads:status", args=[lead.status_token])).content.decode()
    assert "With the pro you chose" in status
    assert "local pros who do this work" not in status

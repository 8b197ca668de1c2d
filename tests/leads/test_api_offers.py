import pytest
from django.urls import reverse

from billing.models import Entry
from leads import policy, services
from leads.models import ContactAttempt, Lead, Offer
from tests.factories import fund

from .test_accept import make_offer

pytestmark = pytest.mark.django_db

CONTACT = {"name", "phone", "email", "street_address"}


def test_offers_list_hides_the_contact_and_filters_by_status(contractor_api, contractor):
    pending = make_offer(contractor=contractor)
    declined = make_offer(contractor=contractor)
    Offer.objects.filter(pk=declined.pk).update(status="declined")
    body = contractor_api.get(reverse("api:offers")).json()
    assert body["count"] == 2
    offer = next(o for o in body["results"] if o["id"] == pending.pk)
    assert set(offer) == {
        "id",
        "status",
        "price_cents",
        "expires_at",
        "offered_at",
        "route",
        "lead",
    }
    assert set(offer["lead"]) == {
        "id",
        "category",
        "city",
        "zip_code",
        "description",
        "timeframe",
        "job_size",
        "estimated_value_cents",
    }
    assert not CONTACT & set(offer["lead"])
    assert pending.lead.phone not in str(body)
    assert offer["price_cents"] == 450
    only_pending = contractor_api.get(reverse("api:offers"), {"status": "pending"}).json()
    assert [o["id"] for o in only_pending["results"]] == [pending.pk]


def test_accept_returns_201_with_the_contact(contractor_api, contractor):
    fund(contractor, 10_000)
    offer = make_offer(contractor=contractor)
    response = contractor_api.post(reverse("api:offer-accept", args=[offer.pk]))
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == offer.lead_id
    assert body["phone"] == offer.lead.phone and body["email"] == offer.lead.email
    assert body["price_cents"] == 450
    assert contractor_api.get(reverse("api:me")).json()["balance_cents"] == 9_550


def test_accept_errors_402_and_409(contractor_api, contractor):
    offer = make_offer(contractor=contractor)
    response = contractor_api.post(reverse("api:offer-accept", args=[offer.pk]))
    assert response.status_code == 402
    assert "does not cover" in response.json()["non_field_errors"][0]
    Offer.objects.filter(pk=offer.pk).update(status="declined")
    response = contractor_api.post(reverse("api:offer-accept", args=[offer.pk]))
    assert response.status_code == 409
    full = make_offer(contractor=fund(contractor))
    Lead.objects.filter(pk=full.lead_id).update(max_pros=1)
    make_offer(full.lead)  # someone else
    other = Offer.objects.exclude(contractor=contractor).get(lead=full.lead)

    services.accept_offer(other, contractor=fund(other.contractor))
    response = contractor_api.post(reverse("api:offer-accept", args=[full.pk]))
    assert response.status_code == 409
    assert Entry.objects.filter(kind="lead_purchase", account__contractor=contractor).count() == 0


def test_decline(contractor_api, contractor):
    offer = make_offer(contractor=contractor)
    response = contractor_api.post(reverse("api:offer-decline", args=[offer.pk]))
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert contractor_api.post(reverse("api:offer-decline", args=[offer.pk])).status_code == 409


def test_leads_outcome_and_contact_attempts(contractor_api, contractor):
    fund(contractor)
    offer = make_offer(contractor=contractor)
    contractor_api.post(reverse("api:offer-accept", args=[offer.pk]))
    lead_url = reverse("api:lead", args=[offer.lead_id])
    response = contractor_api.post(
        reverse("api:contact-attempts", args=[offer.lead_id]),
        {"channel": "call", "result": "reached"},
        format="json",
    )
    assert response.status_code == 201
    assert contractor_api.get(lead_url).json()["outcome"] == "contacted"
    response = contractor_api.patch(lead_url, {"outcome": "won"}, format="json")
    assert response.status_code == 400 and "final_value_cents" in response.json()
    response = contractor_api.patch(
        lead_url, {"outcome": "won", "final_value_cents": 52_000}, format="json"
    )
    assert response.status_code == 200
    body = contractor_api.get(lead_url).json()
    assert (body["outcome"], body["final_value_cents"]) == ("won", 52_000)
    assert len(body["attempts"]) == 1
    listing = contractor_api.get(reverse("api:leads")).json()
    assert listing["count"] == 1 and listing["results"][0]["phone"] == offer.lead.phone


def test_a_future_contact_attempt_is_refused(contractor_api, contractor):
    fund(contractor)
    offer = make_offer(contractor=contractor)
    contractor_api.post(reverse("api:offer-accept", args=[offer.pk]))
    response = contractor_api.post(
        reverse("api:contact-attempts", args=[offer.lead_id]),
        {"channel": "call", "result": "no_answer", "attempted_at": "2099-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400 and "attempted_at" in response.json()
    assert not ContactAttempt.objects.exists()


def test_another_contractors_ids_are_404_everywhere(api_client, contractor, other_contractor):
    from rest_framework.authtoken.models import Token

    fund(contractor)
    mine = make_offer(contractor=contractor)
    contractor_api_url = reverse("api:offer-accept", args=[mine.pk])
    token, _ = Token.objects.get_or_create(user=other_contractor.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    fund(other_contractor)
    assert api_client.post(contractor_api_url).status_code == 404
    assert api_client.post(reverse("api:offer-decline", args=[mine.pk])).status_code == 404

    services.accept_offer(mine, contractor=contractor)
    for method, url in [
        ("get", reverse("api:lead", args=[mine.lead_id])),
        ("patch", reverse("api:lead", args=[mine.lead_id])),
        ("post", reverse("api:contact-attempts", args=[mine.lead_id])),
    ]:
        assert getattr(api_client, method)(url, {}, format="json").status_code == 404, url
    assert api_client.get(reverse("api:offers")).json()["count"] == 0
    assert api_client.get(reverse("api:leads")).json()["count"] == 0


@pytest.mark.parametrize(
    "description",
    [
        "Leaky pipe. Call Dana on 619 555 0177 after 5pm please.",
        "Leaky pipe, reach me at dana.rivera@example.com anytime.",
        "Leaky pipe at 12 Elm Street, ask for Dana Rivera.",
        "Leaky pipe, text (619) 555-0177 or +1 619 555 0177.",
    ],
)
def test_contact_written_in_the_description_is_masked_before_purchase(
    client, contractor_api, contractor, description
):
    fund(contractor)
    offer = make_offer(
        contractor=contractor,
        description=description,
        name="Dana Rivera",
        street_address="12 Elm Street",
    )
    secrets = ["555 0177", "555-0177", "dana.rivera@", "Dana", "Rivera", "12 Elm Street"]
    api = str(contractor_api.get(reverse("api:offers")).json())
    client.force_login(contractor.user)
    page = client.get(reverse("leads:offers")).content.decode()
    confirm = client.get(reverse("leads:offer-accept", args=[offer.pk])).content.decode()
    for text in (api, page, confirm):
        assert "Leaky pipe" in text
        assert not [s for s in secrets if s in text], text
    assert policy.HIDDEN in api

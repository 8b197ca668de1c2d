import pytest
from django.urls import reverse

from leads import policy
from leads.models import Lead

pytestmark = pytest.mark.django_db


def post(api_client, body, **extra):
    return api_client.post(reverse("api:quote-requests"), body, format="json", **extra)


def test_a_valid_request_is_created_with_its_reference_and_status_link(
    api_client, api_quote, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, api_quote(), HTTP_USER_AGENT="PartnerApp/1.0")
    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get()
    assert set(body) == {"id", "reference", "status", "status_url", "covered"}
    assert body["id"] == lead.pk
    assert body["reference"] == lead.reference
    assert body["status"] == "open"
    assert body["status_url"].endswith(f"/requests/{lead.status_token}/")
    assert lead.channel == "api"
    assert lead.phone == "+16195550177"
    assert lead.consents.get().text == policy.consent_text()
    assert lead.consents.get().method == "api_assertion"
    assert lead.consents.get().user_agent == "PartnerApp/1.0"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "chimney-sweeping"}, "category"),
        ({"zip_code": "00000"}, "zip_code"),
        ({"phone": "555-1234"}, "phone"),
        ({"email": "nope"}, "email"),
        ({"description": "short"}, "description"),
        ({"timeframe": "someday"}, "timeframe"),
        ({"consent": False}, "consent"),
        ({"pro": "no-such-pro"}, "pro"),
    ],
)
def test_bad_input_is_a_field_keyed_400_and_nothing_is_saved(
    api_client, api_quote, overrides, field
):
    response = post(api_client, api_quote(**overrides))
    assert response.status_code == 400
    assert field in response.json()
    assert not Lead.objects.exists()


def test_missing_fields_are_each_named(api_client):
    response = post(api_client, {})
    assert response.status_code == 400
    assert {"category", "zip_code", "description", "phone", "email", "consent"} <= set(
        response.json()
    )


def test_a_profile_request_through_the_api(api_client, api_quote, san_diego_pro):
    response = post(api_client, api_quote(pro="harbor-plumbing"))
    assert response.status_code == 201
    assert Lead.objects.get().profile_contractor == san_diego_pro
    response = post(
        api_client,
        api_quote(
            pro="harbor-plumbing", zip_code="78701", email="b@example.com", phone="6195550188"
        ),
    )
    assert response.status_code == 400
    assert "78701" in response.json()["zip_code"][0]


def test_requests_are_rate_limited_per_ip(api_client, api_quote, settings):
    settings.INTAKE_RATE_LIMIT = "3/h"
    for n in range(3):
        response = post(api_client, api_quote(email=f"p{n}@example.com", phone=f"619555010{n}"))
        assert response.status_code == 201
    response = post(api_client, api_quote(email="p9@example.com", phone="6195550109"))
    assert response.status_code == 429
    assert "many requests" in response.json()["non_field_errors"][0]
    assert Lead.objects.count() == 3
    # Another address is not affected.
    response = post(
        api_client, api_quote(email="q@example.com", phone="6195550119"), REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 201


def test_the_form_is_rate_limited_with_a_friendly_message(client, quote_data, settings):
    settings.INTAKE_RATE_LIMIT = "2/h"
    for n in range(2):
        client.post(
            reverse("leads:quote"), quote_data(email=f"f{n}@example.com", phone=f"619555020{n}")
        )
    response = client.post(
        reverse("leads:quote"), quote_data(email="f9@example.com", phone="6195550209")
    )
    assert response.status_code == 429
    assert "many requests from your connection" in response.content.decode()
    assert 'value="Dana Homeowner"' in response.content.decode()
    assert Lead.objects.count() == 2


def test_the_api_accepts_json_only(api_client, api_quote):
    response = api_client.post(reverse("api:quote-requests"), api_quote(), format="multipart")
    assert response.status_code == 415
    assert not Lead.objects.exists()


def test_one_ipv6_network_is_one_visitor_for_the_rate_limit(api_client, api_quote, settings):
    """Anyone holding a /64 holds 2^64 addresses: they share one bucket, as with
    django-ratelimit (RATELIMIT_IPV6_MASK)."""
    settings.INTAKE_RATE_LIMIT = "2/h"
    answers = [
        post(
            api_client,
            api_quote(email=f"v{n}@example.com", phone=f"619555030{n}"),
            REMOTE_ADDR=f"2001:db8::{n + 1}",
        ).status_code
        for n in range(3)
    ]
    assert answers == [201, 201, 429]
    other_network = post(
        api_client, api_quote(email="w@example.com", phone="6195550319"), REMOTE_ADDR="2001:db9::1"
    )
    assert other_network.status_code == 201


def test_a_rate_spelled_out_counts_as_django_ratelimit_reads_it(api_client, api_quote, settings):
    settings.INTAKE_RATE_LIMIT = "1/hour"
    assert post(api_client, api_quote(email="a@example.com", phone="6195550401")).status_code == 201
    assert post(api_client, api_quote(email="b@example.com", phone="6195550402")).status_code == 429

"""Property tests: no input, however odd, makes intake answer with a 500."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """Every example must reach validation, not the per-IP limit."""
    settings.INTAKE_RATE_LIMIT = "100000/h"


FIELDS = [
    "category",
    "zip_code",
    "street_address",
    "description",
    "timeframe",
    "job_size",
    "ownership",
    "name",
    "phone",
    "email",
    "preferred_contact",
    "one_pro_only",
    "consent",
    "website",
    "started",
    "utm_source",
    "referrer",
]
text = st.text(max_size=300)
values = st.one_of(text, st.integers(), st.sampled_from(["", "0", "92101", "plumbing", "on"]))
SETTINGS = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)))
def test_no_form_input_causes_a_server_error(client, metro_zips, plumbing, data):
    clean = {k: str(v).replace("\x00", "") for k, v in data.items()}
    response = client.post(reverse("leads:quote"), clean, REMOTE_ADDR="10.9.8.7")
    assert response.status_code in {200, 302}


@SETTINGS
@given(
    changes=st.dictionaries(
        st.sampled_from([f for f in FIELDS if f != "started"]), values, min_size=1, max_size=3
    )
)
def test_no_change_to_a_valid_form_causes_a_server_error(client, quote_data, changes):
    """Starting from a request that would be sent, so the whole submission path runs."""
    data = quote_data(**{k: str(v).replace("\x00", "") for k, v in changes.items()})
    response = client.post(reverse("leads:quote"), data, REMOTE_ADDR="10.9.8.6")
    assert response.status_code in {200, 302}


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=200)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)


@SETTINGS
@given(body=st.dictionaries(st.sampled_from(FIELDS + ["pro"]), json_values, max_size=len(FIELDS)))
def test_no_api_input_causes_a_server_error(api_client, metro_zips, plumbing, body):
    response = api_client.post(
        reverse("api:quote-requests"), body, format="json", REMOTE_ADDR="10.9.8.8"
    )
    assert response.status_code in {201, 400}


@SETTINGS
@given(
    changes=st.dictionaries(st.sampled_from(FIELDS + ["pro"]), json_values, min_size=1, max_size=3)
)
def test_no_change_to_a_valid_api_request_causes_a_server_error(api_client, api_quote, changes):
    response = api_client.post(
        reverse("api:quote-requests"), api_quote(**changes), format="json", REMOTE_ADDR="10.9.8.9"
    )
    assert response.status_code in {201, 400}


@SETTINGS
@given(st.binary(max_size=200))
def test_garbage_bodies_are_a_400(api_client, db, raw):
    response = api_client.generic(
        "POST", reverse("api:quote-requests"), raw, content_type="application/json"
    )
    assert response.status_code in {400, 415}
    assert not Lead.objects.exists()

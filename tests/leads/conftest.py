import time

import pytest
from django.core import signing

from leads.forms import STARTED_SALT
from marketplace.models import Contractor, ServiceArea, ZipCode
from tests.factories import ContractorFactory, fund


def signed_start(seconds_ago: float = 60) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=STARTED_SALT)


@pytest.fixture
def quote_data(metro_zips, plumbing):
    """A valid quote form submission, as a browser sends it."""

    def make(**overrides):
        data = {
            "category": plumbing.pk,
            "zip_code": "92101",
            "street_address": "",
            "description": "Water heater leaks from the bottom, about 10 years old.",
            "timeframe": "urgent",
            "job_size": "medium",
            "ownership": "owner",
            "name": "Dana Homeowner",
            "phone": "(619) 555-0177",
            "email": "dana@example.com",
            "preferred_contact": "phone",
            "consent": "on",
            "website": "",
            "started": signed_start(),
            "referrer": "https://www.google.com/",
            "landing_page": "/quote/?utm_source=google",
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "spring",
            "utm_term": "",
            "utm_content": "",
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def api_quote(metro_zips, plumbing):
    def make(**overrides):
        body = {
            "category": "plumbing",
            "zip_code": "92101",
            "description": "Water heater leaks from the bottom, about 10 years old.",
            "timeframe": "urgent",
            "job_size": "medium",
            "ownership": "owner",
            "name": "Dana Homeowner",
            "phone": "+1 619 555 0177",
            "email": "dana@example.com",
            "preferred_contact": "phone",
            "one_pro_only": False,
            "consent": True,
        }
        body.update(overrides)
        return body

    return make


@pytest.fixture
def san_diego_pro(metro_zips, plumbing) -> Contractor:
    """An onboarded plumber serving downtown San Diego, with a public profile and the
    balance to take requests."""
    pro = fund(
        ContractorFactory(
            business_name="Harbor Plumbing",
            slug="harbor-plumbing",
            base_zip=ZipCode.objects.get(code="92101"),
            phone="+16195550150",
            website="https://harborplumbing.example",
        )
    )
    ServiceArea.objects.bulk_create(
        [ServiceArea(contractor=pro, zip_code_id=code) for code in ["92101", "92103"]]
    )
    return pro

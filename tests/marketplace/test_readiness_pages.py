"""Onboarding ends on what is still missing to receive leads; the Overview says it too."""

import pytest
from django.urls import reverse

from marketplace import services
from tests.factories import UserFactory, fund
from tests.marketplace.test_onboarding import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(client, metro_zips, plumbing):
    user = UserFactory(email="newpro@example.com")
    contractor = services.create_contractor(user)
    client.force_login(user)
    return contractor


def test_finishing_onboarding_with_no_money_says_leads_cannot_reach_you_yet(
    client, newcomer, plumbing
):
    response = client.post(
        reverse("leads:onboarding"), form_data(categories=[plumbing.pk]), follow=True
    )
    page = response.content.decode()
    assert "all set" not in page and "You're ready" not in page
    assert "leads cannot reach you yet" in page
    assert "Before leads can reach you" in page
    assert f'href="{reverse("billing:home")}#add-funds">Add funds</a>' in page


def test_finishing_onboarding_with_funds_says_you_are_ready(client, newcomer, plumbing):
    fund(newcomer, 10_000)
    response = client.post(
        reverse("leads:onboarding"), form_data(categories=[plumbing.pk]), follow=True
    )
    page = response.content.decode()
    assert "You're ready" in page
    assert "Before leads can reach you" not in page


def test_the_overview_lists_what_is_missing_while_it_holds(client, contractor):
    client.force_login(contractor.user)
    contractor.is_paused = True
    contractor.save()
    page = client.get(reverse("leads:home")).content.decode()
    assert "Before leads can reach you" in page
    assert "Add funds" in page and "Resume offers" in page and "Set your service area" in page
    contractor.is_paused = False
    contractor.save()
    contractor.service_areas.create(zip_code=contractor.base_zip)
    fund(contractor, 10_000)
    page = client.get(reverse("leads:home")).content.decode()
    assert "Before leads can reach you" not in page
    assert "You're ready" in page

"""The visit's source (UTM parameters, referrer, landing page) is kept from its first page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_source_of_the_first_page_is_kept_through_the_visit(client, plumbing):
    client.get(
        "/", {"utm_source": "flyer", "utm_campaign": "spring"}, HTTP_REFERER="https://news.example/"
    )
    client.get(reverse("leads:directory"))
    form = client.get(reverse("leads:quote")).context["form"]
    assert form.initial["utm_source"] == "flyer"
    assert form.initial["utm_campaign"] == "spring"
    assert form.initial["referrer"] == "https://news.example/"
    # A later landing does not overwrite the first touch.
    client.get("/", {"utm_source": "google"})
    assert client.get(reverse("leads:quote")).context["form"].initial["utm_source"] == "flyer"


def test_browsing_without_a_source_creates_no_session(client, plumbing):
    response = client.get("/")
    assert "sessionid" not in response.cookies

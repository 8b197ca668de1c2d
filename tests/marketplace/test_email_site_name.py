"""Account emails speak as Fairlead and name the public site, never the host of the request."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_signup_email_greets_from_fairlead_and_names_the_public_site(
    client, committed, settings
):
    settings.SITE_URL = "https://fairlead.example"
    with committed():
        client.post(
            reverse("account_signup"),
            {"email": "new.pro@example.com", "password1": PASSWORD, "password2": PASSWORD},
            HTTP_HOST="127.0.0.1",
        )
    body = mail.outbox[0].body
    assert "Hello from Fairlead!" in body
    assert "Thank you for using Fairlead!" in body
    assert "register an account on fairlead.example" in body
    assert "127.0.0.1" not in re.sub(r"https?://\S+", "", body)  # only in the link itself


def test_the_password_reset_email_greets_from_fairlead(client, committed, settings):
    settings.SITE_URL = "https://fairlead.example"
    UserFactory(email="known@example.com")
    with committed():
        client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    body = mail.outbox[0].body
    assert body.startswith("Hello from Fairlead!")
    assert "testserver" not in re.sub(r"https?://\S+", "", body)
    assert body.rstrip().endswith("fairlead.example")
    assert PASSWORD not in body

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from marketplace.models import Contractor, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit work (emails are sent by a task after commit) as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_signup_sends_a_verification_email_and_creates_an_empty_profile(client, committed):
    with committed():
        response = client.post(
            reverse("account_signup"),
            {"email": "New.Pro@Example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.pro@example.com")
    assert not Contractor.objects.get(user=user).is_onboarded
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.pro@example.com"]
    assert "/accounts/confirm-email/" in link_in(mail.outbox[0])


def test_login_is_refused_until_the_email_is_verified(client):
    UserFactory(email="unverified@example.com", verified=False)
    response = client.post(
        reverse("account_login"), {"login": "unverified@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_confirming_the_email_logs_in_and_leads_to_onboarding(client, committed):
    with committed():
        client.post(
            reverse("account_signup"),
            {"email": "pro@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    confirm_url = link_in(mail.outbox[0])
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="pro@example.com").verified
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("leads:onboarding")


def test_signup_with_a_taken_email_tells_the_owner_and_reveals_nothing(client, committed):
    owner = UserFactory(email="taken@example.com")
    with committed():
        response = client.post(
            reverse("account_signup"),
            {"email": "TAKEN@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    # Same answer as a fresh signup, so the form cannot be used to test which emails exist.
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert mail.outbox[0].to == ["taken@example.com"]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_signup_rejects_a_weak_password(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "fresh@example.com", "password1": "12345678", "password2": "12345678"},
    )
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(email="fresh@example.com").exists()


def test_password_reset_sends_a_link_that_sets_a_new_password(client, committed):
    user = UserFactory(email="forgetful@example.com")
    with committed():
        client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    assert len(mail.outbox) == 1
    response = client.get(link_in(mail.outbox[0]), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "a-brand-new-secret-42", "password2": "a-brand-new-secret-42"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-secret-42")


def test_login_and_logout(client, contractor):
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}
    )
    assert response.url == reverse("leads:home")
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_lock_the_account_for_that_address(client, contractor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            reverse("account_login"), {"login": "alice@example.com", "password": "wrong"}
        )
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_block_other_accounts(client, contractor, other_contractor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": "alice@example.com", "password": "x"})
    response = client.post(
        reverse("account_login"), {"login": "bob@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_emails_are_sent_by_a_task_only_after_the_transaction_commits(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            reverse("account_signup"),
            {"email": "later@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert mail.outbox == []  # nothing leaves before the signup is committed
    assert len(callbacks) == 1
    callbacks[0]()
    assert mail.outbox[0].to == ["later@example.com"]


def test_signup_still_succeeds_when_the_broker_is_down(client, django_capture_on_commit_callbacks):
    from config.celery import app

    app.conf.task_always_eager = False
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("account_signup"),
                {"email": "offline@example.com", "password1": PASSWORD, "password2": PASSWORD},
            )
    finally:
        app.conf.broker_url = original
    assert response.status_code == 302
    assert User.objects.filter(email="offline@example.com").exists()


def test_a_new_password_revokes_the_api_token(client, contractor):
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=contractor.user)
    client.force_login(contractor.user)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "another-long-secret-9",
            "password2": "another-long-secret-9",
        },
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=contractor.user).exists()

"""The audit trail is read-only. django-simple-history's history form saves an old version
back on POST after checking only view permission, and past every service: a view-only
finance user made themselves superuser, approved a credit, reopened a filled lead. No
history form of any model accepts a POST, whoever sends it."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from marketplace.adminkit import HistoryAdmin
from marketplace.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HISTORY_ADMINS = [
    pytest.param(model_admin, id=model._meta.label)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, SimpleHistoryAdmin)
]


def test_every_audited_admin_uses_the_read_only_history():
    assert HISTORY_ADMINS
    for param in HISTORY_ADMINS:
        (model_admin,) = param.values
        assert isinstance(model_admin, HistoryAdmin), type(model_admin).__name__


def test_finance_cannot_make_itself_superuser_through_the_history_form(client, staff_groups):
    finance = UserFactory(is_staff=True, email="fin@example.com")
    finance.groups.add(Group.objects.get(name="finance"))
    client.force_login(finance)
    version = finance.history.latest().history_id
    url = reverse("admin:marketplace_user_simple_history", args=[finance.pk, version])
    response = client.post(
        url,
        {
            "email": finance.email,
            "timezone": "America/Los_Angeles",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    assert not User.objects.get(pk=finance.pk).is_superuser


@pytest.mark.parametrize("model_admin", HISTORY_ADMINS)
def test_no_history_form_accepts_a_post_even_from_a_superuser(model_admin, client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[1, 1])
    response = client.post(url, {})
    assert response.status_code in (403, 404) and response.status_code != 302


def test_a_past_version_can_still_be_read(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    version = superuser.history.latest().history_id
    url = reverse("admin:marketplace_user_simple_history", args=[superuser.pk, version])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Revert" not in page.content


@pytest.mark.parametrize("model_admin", HISTORY_ADMINS)
def test_a_history_address_with_a_mistyped_id_is_not_found(model_admin, client):
    """A cut or mistyped link (".../51/change/history/") is a 404, not a server error."""
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    opts = model_admin.model._meta
    listing = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=["51/change"])
    assert client.get(listing).status_code == 404
    for ids in (["51x", 1], [1, "latest"]):
        form = reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=ids)
        assert client.get(form).status_code == 404

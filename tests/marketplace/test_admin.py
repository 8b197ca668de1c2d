import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from marketplace.models import Contractor, Heartbeat, ServiceCategory, User, ZipCode
from tests.factories import ContractorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client):
    user = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_staff_groups_exist_with_the_permissions_their_jobs_need():
    perms = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.prefetch_related("permissions")
    }
    assert {"screeners", "credit reviewers", "finance"} <= set(perms)
    assert "view_contractor" in perms["screeners"]
    assert "change_contractor" not in perms["screeners"]
    assert "change_contractor" in perms["finance"]
    assert "delete_contractor" not in perms["finance"]


@pytest.mark.parametrize("model", [User, ServiceCategory, ZipCode, Contractor, Heartbeat])
def test_every_model_has_a_changelist_with_bounded_queries(
    client, ops, model, django_assert_max_num_queries
):
    for _ in range(5):
        ContractorFactory()
    Heartbeat.objects.create(name="worker", seen_at="2026-01-01T00:00:00Z")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with django_assert_max_num_queries(14):
        response = client.get(url, {"q": "a"})
    assert response.status_code == 200


def test_contractor_change_page_and_history(client, ops, contractor):
    url = reverse("admin:marketplace_contractor_change", args=[contractor.pk])
    assert client.get(url).status_code == 200
    history = reverse("admin:marketplace_contractor_history", args=[contractor.pk])
    assert client.get(history).status_code == 200


def test_a_staff_edit_is_recorded_with_who_made_it(client, ops, contractor, metro_zips):
    contractor.base_zip = ZipCode.objects.get(code="92101")
    contractor.save()
    url = reverse("admin:marketplace_contractor_change", args=[contractor.pk])
    data = {
        "user": contractor.user_id,
        "business_name": "Alice Plumbing & Drains",
        "phone": "619 555 0199",
        "website": "",
        "tier": "elite",
        "is_active": "on",
        "categories": [c.pk for c in contractor.categories.all()],
        "base_zip": "92101",
        "area_mode": "radius",
        "service_radius_miles": "3",
        "service_zip_list": "",
        "daily_lead_cap": "5",
        "weekly_lead_cap": "20",
        "monthly_budget_cents": "50000",
        "notify_email": "on",
        "timezone": "America/Los_Angeles",
        "service_areas-TOTAL_FORMS": "0",
        "service_areas-INITIAL_FORMS": "0",
        "service_areas-MIN_NUM_FORMS": "0",
        "service_areas-MAX_NUM_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    contractor.refresh_from_db()
    assert contractor.tier == "elite"
    assert contractor.phone == "+16195550199"
    latest = contractor.history.latest()
    assert latest.history_user == ops
    assert latest.business_name == "Alice Plumbing & Drains"
    # The radius change is expanded into service-area rows as for the contractor's own edits.
    assert contractor.service_areas.filter(zip_code_id="92101").exists()
    assert contractor.service_areas.count() > 1


def test_admin_rejects_a_bad_zip_list_and_saves_nothing(client, ops, contractor):
    url = reverse("admin:marketplace_contractor_change", args=[contractor.pk])
    response = client.post(
        url,
        {
            "user": contractor.user_id,
            "business_name": "Changed",
            "tier": "base",
            "area_mode": "zips",
            "service_zip_list": "12",
            "service_radius_miles": "25",
            "daily_lead_cap": "5",
            "weekly_lead_cap": "20",
            "monthly_budget_cents": "50000",
            "timezone": "America/Los_Angeles",
            "service_areas-TOTAL_FORMS": "0",
            "service_areas-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "5-digit" in str(response.context["adminform"].form.errors)
    contractor.refresh_from_db()
    assert contractor.business_name == "Alice Plumbing"


def test_deactivate_action_stops_a_contractor(client, ops, contractor, other_contractor):
    client.post(
        reverse("admin:marketplace_contractor_changelist"),
        {"action": "deactivate", "_selected_action": [contractor.pk]},
    )
    contractor.refresh_from_db()
    other_contractor.refresh_from_db()
    assert not contractor.is_active
    assert other_contractor.is_active


def test_contractors_cannot_open_the_admin(client, contractor):
    client.force_login(contractor.user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_a_screener_can_view_contractors_but_not_change_them(client, contractor):
    screener = UserFactory(email="screener@example.com", is_staff=True)
    screener.groups.add(Group.objects.get(name="screeners"))
    client.force_login(screener)
    change = reverse("admin:marketplace_contractor_change", args=[contractor.pk])
    assert client.get(change).status_code == 200
    response = client.post(change, {"business_name": "Hacked"})
    assert response.status_code == 403


def test_deactivation_is_kept_in_the_history_with_the_staff_user(client, ops, contractor):
    client.post(
        reverse("admin:marketplace_contractor_changelist"),
        {"action": "deactivate", "_selected_action": [contractor.pk]},
    )
    latest = contractor.history.latest()
    assert latest.is_active is False
    assert latest.history_user == ops


def contractor_post_data(contractor, **overrides):
    data = {
        "business_name": contractor.business_name,
        "phone": contractor.phone,
        "tier": "base",
        "is_active": "on",
        "categories": [c.pk for c in contractor.categories.all()],
        "base_zip": contractor.base_zip_id,
        "area_mode": "radius",
        "service_radius_miles": "5",
        "daily_lead_cap": "5",
        "weekly_lead_cap": "20",
        "monthly_budget_cents": "50000",
        "timezone": "America/Los_Angeles",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"daily_lead_cap": "900", "weekly_lead_cap": "3"}, "daily_lead_cap", "higher than"),
        ({"notify_sms": "on", "phone": ""}, "phone", "text alerts"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a time zone"),
        ({"quiet_hours_start": "21:00"}, "quiet_hours_end", "both ends"),
        ({"phone": "+44 20 7946 0958"}, "phone", "US phone"),
    ],
)
def test_admin_applies_the_same_profile_rules_by_the_field(
    client, ops, contractor, overrides, field, message
):
    url = reverse("admin:marketplace_contractor_change", args=[contractor.pk])
    response = client.post(url, contractor_post_data(contractor, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])


def test_a_profile_cannot_be_moved_to_another_login(client, ops, contractor, other_contractor):
    url = reverse("admin:marketplace_contractor_change", args=[contractor.pk])
    client.post(url, contractor_post_data(contractor, user=other_contractor.user_id))
    contractor.refresh_from_db()
    assert contractor.user.email == "alice@example.com"


def test_heartbeats_cannot_be_added_by_hand(client, ops):
    assert client.get(reverse("admin:marketplace_heartbeat_add")).status_code == 403


def test_contractor_changelist_queries_do_not_grow_with_rows(client, ops):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:marketplace_contractor_changelist")
    counts = []
    for total in (5, 25):
        while Contractor.objects.count() < total:
            ContractorFactory()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_only_who_may_deactivate_can_switch_a_pro_off_in_the_change_form(client, contractor):
    """ "change" alone edits the profile; switching a pro off needs deactivate_contractor."""
    from django.contrib.auth.models import Permission

    editor = UserFactory(email="editor@example.com", is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(codename__in=["view_contractor", "change_contractor"])
    )
    client.force_login(editor)
    url = reverse("admin:marketplace_contractor_change", args=[contractor.pk])
    form = client.get(url).context["adminform"].form
    assert "is_active" not in form.fields
    data = {
        "business_name": "Alice Plumbing & Drains",
        "tier": "base",
        "categories": [c.pk for c in contractor.categories.all()],
        "base_zip": contractor.base_zip_id,
        "area_mode": "radius",
        "service_radius_miles": "25",
        "daily_lead_cap": "5",
        "weekly_lead_cap": "20",
        "monthly_budget_cents": "50000",
        "timezone": "America/Los_Angeles",
    }  # no "is_active": an unticked box, as a browser sends it
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    contractor.refresh_from_db()
    assert contractor.business_name == "Alice Plumbing & Drains"
    assert contractor.is_active

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from leads import services
from leads.models import Lead, LeadFlag, ScreeningDecision
from tests.factories import LeadFactory, ServiceCategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def screener(client):
    user = UserFactory(email="screener@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="screeners"))
    client.force_login(user)
    return user


def admin_post(client, url, data, **kwargs):
    """POST a change form as the browser would, inline management forms included."""
    page = client.get(url)
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data.setdefault(f"{management.prefix}-{name}", management.initial.get(name, 0))
    return client.post(url, data, **kwargs)


def held(created_ago_minutes: int, **kwargs) -> Lead:
    lead = LeadFactory(status=Lead.Status.SCREENING, **kwargs)
    LeadFlag.objects.create(lead=lead, code=LeadFlag.Code.RENTER_NO_APPROVAL, detail="Renter")
    Lead.objects.filter(pk=lead.pk).update(
        created_at=lead.created_at - timedelta(minutes=created_ago_minutes)
    )
    return lead


def test_queue_lists_only_held_leads_oldest_first_with_reasons(
    client, screener, django_assert_max_num_queries
):
    newer, older = held(5), held(50)
    LeadFactory(status=Lead.Status.OPEN)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:leads_screeninglead_changelist"))
    rows = list(response.context["cl"].result_list)
    assert rows == [older, newer]
    assert "Renter" in response.content.decode()


def test_verify_with_a_corrected_category_and_value_opens_and_records_the_change(
    client, screener, django_capture_on_commit_callbacks
):
    lead = held(5)
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    url = reverse("admin:leads_screeninglead_change", args=[lead.pk])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_post(
            client,
            url,
            {
                "decision": "verify",
                "category": roofing.pk,
                "estimated_value_dollars": "9000",
                "note": "Caller confirmed it is the roof, not the gutter.",
            },
        )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPEN
    assert lead.category == roofing
    assert lead.estimated_value_cents == 900_000
    decision = ScreeningDecision.objects.get(lead=lead)
    assert decision.decided_by == screener
    assert decision.outcome == "verified"
    assert decision.changes == {
        "category": ["plumbing", "roofing"],
        "estimated_value_cents": [45_000, 900_000],
    }
    assert len(callbacks) == 1  # routing enqueued once, on commit
    assert lead.routed_at is not None


def test_reject_needs_a_reason(client, screener):
    lead = held(5)
    url = reverse("admin:leads_screeninglead_change", args=[lead.pk])
    response = admin_post(
        client,
        url,
        {"decision": "reject", "category": lead.category_id, "estimated_value_dollars": "450"},
    )
    assert response.status_code == 200
    assert "Choose why" in str(response.context["adminform"].form.errors)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SCREENING
    response = admin_post(
        client,
        url,
        {
            "decision": "reject",
            "reject_reason": "spam",
            "category": lead.category_id,
            "estimated_value_dollars": "450",
        },
    )
    lead.refresh_from_db()
    assert (lead.status, lead.rejection_reason) == (Lead.Status.REJECTED, "spam")
    assert ScreeningDecision.objects.get(lead=lead).reason == "spam"


def test_bulk_verify_and_bulk_reject(client, screener):
    a, b, c = held(3), held(2), held(1)
    changelist = reverse("admin:leads_screeninglead_changelist")
    client.post(changelist, {"action": "verify_selected", "_selected_action": [a.pk, b.pk]})
    client.post(changelist, {"action": "reject_as_test", "_selected_action": [c.pk]})
    statuses = dict(Lead.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "open", b.pk: "open", c.pk: "rejected"}
    assert ScreeningDecision.objects.filter(decided_by=screener).count() == 3


def test_a_lead_decided_elsewhere_is_not_decided_twice(screener):
    lead = held(1)
    services.reject_lead(lead, by=screener, reason="spam")
    with pytest.raises(services.NotScreenable):
        services.verify_lead(lead, by=screener)
    assert ScreeningDecision.objects.count() == 1


def test_screeners_cannot_edit_leads_directly(client, screener):
    lead = LeadFactory()
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    assert client.get(url).status_code == 200  # view only
    response = client.post(url, {"name": "Changed"})
    assert response.status_code == 403


def test_lead_admin_filters_and_searches(client, screener):
    lead = LeadFactory(phone="+16195550999", utm_source="google")
    url = reverse("admin:leads_lead_changelist")
    for params in [
        {"q": "+16195550999"},
        {"q": lead.reference},
        {"status__exact": "open"},
        {"utm_source": "google"},
        {"zip_code__state": "CA"},
    ]:
        response = client.get(url, params)
        assert list(response.context["cl"].result_list) == [lead], params
    response = client.get(url, {"flag": "renter_no_approval"})
    assert list(response.context["cl"].result_list) == []


def test_a_value_below_one_dollar_is_refused_by_its_field(client, screener):
    lead = held(5)
    url = reverse("admin:leads_screeninglead_change", args=[lead.pk])
    response = admin_post(
        client,
        url,
        {"decision": "verify", "category": lead.category_id, "estimated_value_dollars": "0.50"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["estimated_value_dollars"]
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SCREENING


def test_phone_search_finds_a_number_typed_any_way(client, screener):
    lead = LeadFactory(phone="+16195550999")
    url = reverse("admin:leads_lead_changelist")
    for typed in ["(619) 555-0999", "619-555-0999", "+1 619 555 0999"]:
        assert list(client.get(url, {"q": typed}).context["cl"].result_list) == [lead], typed


def test_a_blocked_phone_is_stored_as_leads_store_it(client, screener):
    response = client.post(
        reverse("admin:leads_blockedcontact_add"),
        {"kind": "phone", "value": "(619) 555-0177", "reason": "prank calls"},
    )
    assert response.status_code == 302
    from leads.models import BlockedContact

    assert BlockedContact.objects.get().value == "+16195550177"
    response = client.post(
        reverse("admin:leads_blockedcontact_add"),
        {"kind": "phone", "value": "12", "reason": "x"},
    )
    assert response.context["adminform"].form.errors["value"]


def test_the_lead_page_changes_nothing_even_for_superusers(client):
    boss = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    client.force_login(boss)
    lead = LeadFactory(phone="+16195550111")
    client.post(reverse("admin:leads_lead_change", args=[lead.pk]), {"phone": "+16195550000"})
    lead.refresh_from_db()
    assert lead.phone == "+16195550111"
    page = client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()
    assert lead.status_token not in page

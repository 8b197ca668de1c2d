"""A screening decision the rules refuse shows only the refusal, never "decision recorded"."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.messages import constants
from django.urls import reverse

from leads import services
from leads.models import Lead, ScreeningDecision
from tests.factories import LeadFactory, UserFactory

from .test_screening_queue import admin_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def screener(client):
    user = UserFactory(email="screener@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="screeners"))
    client.force_login(user)
    return user


def test_a_refused_verification_shows_only_the_refusal(client, screener, monkeypatch):
    lead = LeadFactory(status=Lead.Status.SCREENING)
    url = reverse("admin:leads_screeninglead_change", args=[lead.pk])
    form = {"decision": "verify", "category": lead.category_id, "estimated_value_dollars": "450"}

    def refuse(lead, **kwargs):
        # What verify_lead says when another screener decided the lead a moment before.
        raise services.NotScreenable(f"{lead.reference} is rejected, not waiting.")

    monkeypatch.setattr(services, "verify_lead", refuse)
    response = admin_post(client, url, form, follow=True)

    assert [(m.level, m.message) for m in response.context["messages"]] == [
        (constants.ERROR, f"{lead.reference} is rejected, not waiting.")
    ]
    assert "decision recorded" not in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("admin:leads_screeninglead_changelist")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SCREENING
    assert not ScreeningDecision.objects.filter(lead=lead).exists()
    assert not LogEntry.objects.filter(object_id=str(lead.pk)).exists()

"""A request no pro covers is answered honestly at once, on the page and by email, and is
counted as unserved demand for ops to recruit where it is."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from insights import reports
from leads.models import Lead
from marketplace.models import ServiceArea
from tests.factories import ContractorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks, quote_data):
    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("leads:quote"), quote_data(**overrides))
        assert response.status_code == 302, response.content.decode()[:2000]
        return Lead.objects.latest("created_at"), response["Location"]

    return post


def test_a_request_nobody_covers_is_told_so_at_once_and_by_email(submit, client):
    lead, thanks = submit()
    assert lead.unserved is True
    page = client.get(thanks).content.decode()
    assert "No pro on Fairlead covers plumbing in 92101 yet" in page
    email = next(m for m in mail.outbox if m.to == ["dana@example.com"])
    assert "No pro on Fairlead covers plumbing in 92101 yet" in email.body
    assert "will contact you" not in email.body
    status = client.get(reverse("leads:status", args=[lead.status_token])).content.decode()
    assert "No pro covers this yet" in status
    assert "Finding pros" not in status


def test_a_covered_request_says_pros_will_call(submit, client, plumbing):
    pro = ContractorFactory()
    ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    lead, thanks = submit()
    assert lead.unserved is False
    assert "covers plumbing" not in client.get(thanks).content.decode()
    email = next(m for m in mail.outbox if m.to == ["dana@example.com"])
    assert "will contact you" in email.body


def test_a_paused_or_inactive_pro_does_not_count_as_coverage(submit, plumbing):
    for kwargs in ({"is_paused": True}, {"is_active": False}):
        pro = ContractorFactory(**kwargs)
        ServiceArea.objects.create(contractor=pro, zip_code_id="92101")
    lead, _ = submit()
    assert lead.unserved is True


def test_the_api_reply_says_whether_any_pro_covers_it(api_client, api_quote):
    response = api_client.post(reverse("api:quote-requests"), api_quote(), format="json")
    assert response.status_code == 201
    assert response.json()["covered"] is False


def test_ops_see_unserved_demand_by_zip_and_service(submit, clock):
    submit()
    submit(phone="(619) 555-0111", email="lee@example.com")
    submit(phone="(619) 555-0122", email="kim@example.com", zip_code="92103")
    report = reports.ops_report(
        date(2026, 3, 1), date(2026, 3, 3), granularity="day", place="state", time_zone="UTC"
    )
    rows = [(row.zip_code, row.category, row.requests) for row in report.unserved]
    assert rows[0] == ("92101", "Plumbing", 2)
    assert ("92103", "Plumbing", 1) in rows

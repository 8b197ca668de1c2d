import pytest
from django.urls import reverse

from leads.models import Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_the_private_link_shows_the_request_and_its_status(client):
    lead = LeadFactory(status=Lead.Status.SCREENING)
    response = client.get(reverse("leads:status", args=[lead.status_token]))
    page = response.content.decode()
    assert response.status_code == 200
    assert lead.reference in page
    assert "Being checked" in page
    assert response["X-Robots-Tag"] == "noindex"
    # Links out carry no referrer (the token stays ours) but our own forms post with an
    # Origin; "no-referrer" made browsers send "Origin: null" and CSRF refused them.
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_guessed_token_finds_nothing(client):
    LeadFactory()
    for token in ["", "x", "FL-T00001", "1", "token-0000"]:
        url = f"/requests/{token}/" if token else "/requests//"
        assert client.get(url).status_code == 404


def test_tokens_are_long_random_and_unique(client, quote_data, django_capture_on_commit_callbacks):
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("leads:quote"),
                quote_data(phone=f"(619) 555-01{n}0", email=f"p{n}@example.com"),
            )
    tokens = list(Lead.objects.values_list("status_token", flat=True))
    assert len(set(tokens)) == 3
    assert all(len(token) >= 40 for token in tokens)  # 32 random bytes


def test_not_mine_stops_only_the_lead_of_that_link(client):
    mine, other = LeadFactory(), LeadFactory()
    response = client.post(reverse("leads:dispute", args=[mine.status_token]), follow=True)
    assert "stopped this request" in response.content.decode()
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.homeowner_disputed_at is not None
    assert (mine.status, mine.rejection_reason) == (Lead.Status.REJECTED, "not_requested")
    assert other.homeowner_disputed_at is None and other.status == Lead.Status.OPEN


def test_not_mine_twice_keeps_the_first_time(client):
    lead = LeadFactory()
    url = reverse("leads:dispute", args=[lead.status_token])
    client.post(url)
    lead.refresh_from_db()
    first = lead.homeowner_disputed_at
    client.post(url)
    lead.refresh_from_db()
    assert lead.homeowner_disputed_at == first


def test_not_mine_on_a_filled_lead_flags_it_without_reopening(client):
    lead = LeadFactory(status=Lead.Status.FILLED)
    client.post(reverse("leads:dispute", args=[lead.status_token]))
    lead.refresh_from_db()
    assert lead.homeowner_disputed_at is not None
    assert lead.status == Lead.Status.FILLED  # buyers are credited by the credits flow


def test_not_mine_asks_for_confirmation_before_stopping(client):
    lead = LeadFactory()
    response = client.get(reverse("leads:dispute", args=[lead.status_token]))
    assert "Yes, stop this request" in response.content.decode()
    lead.refresh_from_db()
    assert lead.homeowner_disputed_at is None and lead.status == Lead.Status.OPEN

"""A call lead on the pro's Offers, Leads and lead pages: a "Call" badge, how long they
talked, qualified or not, the fee (or why none), the recording player on the lead page,
and the call itself among the contact attempts, logged by Fairlead. Times in the pro's
zone; no query per row."""

import re

import pytest
from django.urls import reverse

from calls.models import Call
from leads.models import Offer, Purchase
from tests.factories import PurchaseFactory

from .conftest import screen
from .made import missed_then_taken, taken_call, voicemail_on

pytestmark = pytest.mark.django_db


def page(client, pro, name, *args):
    client.force_login(pro.user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_qualified_call_shows_its_length_and_fee_everywhere(client, phone, holder):
    call = taken_call(phone, seconds=75, recording_seconds=74)
    purchase = Purchase.objects.get(lead=call.lead)

    leads = text(page(client, holder, "leads:leads"))
    assert "Call Talked 1:15 · qualified call · fee $15.00" in leads

    offers = page(client, holder, "leads:offers")
    assert "Talked <strong>1:15</strong>" in offers and "$15.00" in offers
    assert "Price <strong>" not in offers  # the call fee says what was paid

    detail = page(client, holder, "leads:lead", purchase.pk)
    player = reverse("calls:recording-play", args=[purchase.pk])
    assert f'<audio class="recording" controls preload="none" src="{player}"' in detail
    assert "Logged by Fairlead" in detail and "1:15 on the line" in detail


def test_a_short_call_says_it_was_not_charged(client, phone, holder, elite):
    call = missed_then_taken(phone, seconds=40)
    purchase = Purchase.objects.get(lead=call.lead)
    leads = text(page(client, elite, "leads:leads"))
    assert "Talked 0:40 · not qualified · not charged: under 60 s" in leads
    detail = text(page(client, elite, "leads:lead", purchase.pk))
    assert "not charged: under 60 s" in detail
    assert "<audio" not in page(client, elite, "leads:lead", purchase.pk)  # not recorded


def test_a_call_not_yet_settled_says_the_fee_comes_when_it_ends(client, phone, holder):
    dial = screen(phone)
    phone.pro_presses(phone.pro_answers(dial), "1")
    purchase = Purchase.objects.get(contractor=holder)
    detail = text(page(client, holder, "leads:lead", purchase.pk))
    assert "the fee is settled when the call ends" in detail


def test_times_are_in_the_pros_zone(client, phone, holder, clock):
    holder.timezone = "America/Chicago"
    holder.save()
    call = taken_call(phone, seconds=5)
    call.qualified = None  # unsettled: the line shows when it was taken
    call.save()
    detail = text(page(client, holder, "leads:lead", Purchase.objects.get(lead=call.lead).pk))
    # 14:00 UTC on Mar 2, 2026 is 8:00 AM in Austin (CST).
    assert "Taken live Mar 2, 8:00 AM CST" in detail


def test_a_call_nobody_took_live_shows_as_a_call_to_return(
    client, phone, elite, django_capture_on_commit_callbacks
):
    dial = screen(phone)
    with django_capture_on_commit_callbacks(execute=True):
        phone.dial_ends(dial, "no-answer")
    assert Offer.objects.get(contractor=elite).status == Offer.Status.PENDING
    offers = text(page(client, elite, "leads:offers"))
    assert "Call Phoned Fairlead" in offers and "not put through live" in offers
    assert "Price $4.50" in offers  # offered as any request: its price shows


def test_a_voicemail_lead_plays_the_voicemail(client, line, contractor):
    purchase = PurchaseFactory(contractor=contractor)
    voicemail_on(purchase.lead, line=line, seconds=12)
    detail = page(client, contractor, "leads:lead", purchase.pk)
    assert "The caller left a voicemail (0:12)" in text(detail)
    assert reverse("calls:recording-play", args=[purchase.pk]) in detail


def test_a_lead_that_is_not_a_call_has_no_call_badge(client, contractor):
    purchase = PurchaseFactory(contractor=contractor)
    assert 'class="badge call"' not in page(client, contractor, "leads:leads")
    assert "<audio" not in page(client, contractor, "leads:lead", purchase.pk)


def call_leads(pro, line, n):
    """n bought call leads with a recorded voicemail each (no webhooks: the rows only)."""
    for purchase in PurchaseFactory.create_batch(n, contractor=pro):
        voicemail_on(purchase.lead, line=line)


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize(("name", "expected"), [("leads:leads", 4), ("leads:offers", 6)])
def test_call_leads_cost_no_query_per_row(
    client, contractor, line, rows, name, expected, django_assert_num_queries
):
    """The pinned counts of tests/test_list_query_counts.py hold with call leads."""
    call_leads(contractor, line, rows)
    assert Call.objects.count() == rows
    client.force_login(contractor.user)
    with django_assert_num_queries(expected):
        response = client.get(reverse(name))
    assert response.content.decode().count('class="badge call"') == rows

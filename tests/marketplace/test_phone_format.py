"""Phone numbers are stored in E.164 and shown the way people write them."""

import pytest
from django.urls import reverse

from marketplace.templatetags.phone import phone
from tests.factories import ContractorFactory, PurchaseFactory


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+16195550147", "(619) 555-0147"),
        ("+17875550147", "(787) 555-0147"),  # Puerto Rico dials like the mainland
        ("+442079460958", "+44 20 7946 0958"),  # not a US number: international format
        ("", ""),
        (None, ""),
        ("not a number", "not a number"),  # shown as stored rather than hidden
    ],
)
def test_the_phone_filter_shows_national_format_for_us_numbers(stored, shown):
    assert phone(stored) == shown


@pytest.mark.django_db
def test_a_bought_lead_shows_the_number_readably_and_dials_e164(contractor_client, contractor):
    purchase = PurchaseFactory(contractor=contractor, lead__phone="+16195550147")
    page = contractor_client.get(reverse("leads:lead", args=[purchase.pk])).content.decode()
    assert '<a href="tel:+16195550147" role="button">Call (619) 555-0147</a>' in page
    assert 'href="sms:+16195550147"' in page
    assert ">+16195550147<" not in page and "Call +1" not in page

    listing = contractor_client.get(reverse("leads:leads")).content.decode()
    assert '<a href="tel:+16195550147">(619) 555-0147</a>' in listing


@pytest.mark.django_db
def test_the_homeowner_sees_the_pro_number_readably(client, plumbing):
    pro = ContractorFactory(phone="+16195550300", business_name="Rivera Plumbing")
    purchase = PurchaseFactory(contractor=pro)
    page = client.get(reverse("leads:status", args=[purchase.lead.status_token])).content.decode()
    assert '<a href="tel:+16195550300">(619) 555-0300</a>' in page


@pytest.mark.django_db
def test_settings_show_the_business_phone_readably(contractor_client, contractor):
    contractor.phone = "+16195550147"
    contractor.save()
    page = contractor_client.get(reverse("marketplace:settings")).content.decode()
    assert 'value="(619) 555-0147"' in page

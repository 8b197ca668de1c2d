"""A pro's website is a link a self-registered pro typed: the click-through shows a page
that names the destination, links to exactly the stored address, and never redirects
anywhere (issue 13, item 8). The click is counted when the homeowner clicks Website."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketplace.forms import ContractorProfileForm
from marketplace.models import Contractor, ProfileClick

pytestmark = pytest.mark.django_db

URL = reverse("leads:profile-web", args=["harbor-plumbing"])


def set_website(pro, website):
    Contractor.objects.filter(pk=pro.pk).update(website=website)


def test_the_page_names_the_destination_and_links_to_the_stored_address_only(client, san_diego_pro):
    set_website(san_diego_pro, "https://harborplumbing.example/a?b=1&c=<x>")
    response = client.get(URL, {"from": "/pros/harbor-plumbing/", "next": "https://evil.example"})
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "You are leaving Fairlead for harborplumbing.example" in page
    assert "https://harborplumbing.example/a?b=1&amp;c=&lt;x&gt;" in page  # escaped
    assert "<x>" not in page
    assert "evil.example" not in page
    assert 'rel="noopener noreferrer nofollow ugc"' in page
    assert "Continue to harborplumbing.example" in page
    assert "Back to Harbor Plumbing on Fairlead" in page
    assert f'href="{reverse("leads:profile", args=["harbor-plumbing"])}"' in page
    assert ProfileClick.objects.get().kind == "website"


@pytest.mark.parametrize(
    "stored",
    [
        "javascript:alert(1)",
        "ftp://harborplumbing.example",
        "data:text/html,hi",
        "https://",
        "",
    ],
)
def test_an_address_that_is_not_a_web_site_is_never_linked(client, san_diego_pro, stored):
    set_website(san_diego_pro, stored)
    assert client.get(URL).status_code == 404
    profile = client.get(reverse("leads:profile", args=["harbor-plumbing"])).content.decode()
    assert URL not in profile
    assert not ProfileClick.objects.exists()


def test_a_look_alike_international_name_is_shown_in_its_ascii_form(client, san_diego_pro):
    set_website(san_diego_pro, "https://hаrborplumbing.example/")  # Cyrillic "а"
    page = client.get(URL).content.decode()
    assert "You are leaving Fairlead for xn--hrborplumbing-" in page


@pytest.mark.parametrize("website", ["javascript:alert(1)", "ftp://files.example/x"])
def test_the_profile_form_refuses_other_schemes(san_diego_pro, website):
    form = ContractorProfileForm(data={"website": website})
    form.is_valid()
    assert "website" in form.errors


def test_the_model_refuses_other_schemes_for_the_admin(san_diego_pro):
    san_diego_pro.website = "ftp://files.example/x"
    with pytest.raises(ValidationError) as error:
        san_diego_pro.full_clean()
    assert "website" in error.value.message_dict


# Addresses Python and a browser read differently: Chromium goes to evil.example for the
# first (a backslash is a slash to it), while urlsplit() names the host after the "@".
TWO_FACED = [
    "https://evil.example\\@harborplumbing.example/",
    "https://evil.example@harborplumbing.example/",
    "https://user:pass@harborplumbing.example/",
    "https://harborplumbing.example/a b",
    "https://harborplumbing.example/\tx",
]


@pytest.mark.parametrize("stored", TWO_FACED)
def test_an_address_a_browser_could_read_as_another_site_is_never_linked(
    client, san_diego_pro, stored
):
    set_website(san_diego_pro, stored)
    assert client.get(URL).status_code == 404
    assert not ProfileClick.objects.exists()


@pytest.mark.parametrize("website", TWO_FACED)
def test_the_profile_form_and_the_model_refuse_two_faced_addresses(san_diego_pro, website):
    form = ContractorProfileForm(data={"website": website})
    form.is_valid()
    assert "website" in form.errors
    san_diego_pro.website = website
    with pytest.raises(ValidationError) as error:
        san_diego_pro.full_clean()
    assert "website" in error.value.message_dict

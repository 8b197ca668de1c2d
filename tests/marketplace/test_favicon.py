"""Every page names the Fairlead icon, and browsers asking /favicon.ico get it."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_icon_is_an_svg_in_static():
    path = finders.find("favicon.svg")
    assert path
    with open(path) as svg:
        assert svg.read().lstrip().startswith("<svg")


@pytest.mark.parametrize("url", ["/", "/pros/", "/accounts/login/", "/quote/"])
def test_public_pages_link_the_icon(client, url):
    page = client.get(url).content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in page


def test_the_admin_links_the_icon(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert f'href="{static("favicon.svg")}"' in page
    assert "Fairlead operations" in page  # the admin's own header is kept


def test_favicon_ico_sends_browsers_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == static("favicon.svg")  # the file the first test found

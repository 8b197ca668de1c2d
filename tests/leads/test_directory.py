import pytest
from django.urls import reverse

from leads.models import Lead
from marketplace.models import ProfileClick, ServiceArea, ZipCode
from tests.factories import ContractorFactory, ServiceCategoryFactory

pytestmark = pytest.mark.django_db


def test_directory_lists_active_pros_by_category_and_served_zip(client, san_diego_pro, plumbing):
    roofer = ContractorFactory(
        business_name="Top Roofs",
        slug="top-roofs",
        categories=[ServiceCategoryFactory(name="Roofing", slug="roofing")],
    )
    ServiceArea.objects.create(contractor=roofer, zip_code_id="92101")
    ContractorFactory(business_name="Gone Plumbing", slug="gone", is_active=False)
    ContractorFactory(business_name="Half Done", slug="half-done", onboarded_at=None)

    names = lambda response: [c.business_name for c in response.context["page"]]  # noqa: E731
    assert names(client.get(reverse("leads:directory"))) == ["Harbor Plumbing", "Top Roofs"]
    assert names(client.get(reverse("leads:directory"), {"category": "plumbing"})) == [
        "Harbor Plumbing"
    ]
    assert names(client.get(reverse("leads:directory"), {"zip": "92103"})) == ["Harbor Plumbing"]
    assert names(client.get(reverse("leads:directory"), {"zip": "78701"})) == []
    response = client.get(reverse("leads:directory"), {"zip": "00000"})
    assert "not a US zip code" in response.content.decode()


def test_directory_is_paginated_with_bounded_queries(client, plumbing, django_assert_num_queries):
    zip_code = ZipCode.objects.create(code="92101", city="San Diego", state="CA")
    for n in range(25):
        pro = ContractorFactory(
            business_name=f"Pro {n:02d}", slug=f"pro-{n:02d}", base_zip=zip_code
        )
        ServiceArea.objects.create(contractor=pro, zip_code=zip_code)
    # zip check, count, page, categories of the page, the category menu
    with django_assert_num_queries(5):
        response = client.get(reverse("leads:directory"), {"zip": "92101"})
    assert len(response.context["page"]) == 20
    assert response.context["page"].paginator.count == 25
    response = client.get(reverse("leads:directory"), {"zip": "92101", "page": 2})
    assert len(response.context["page"]) == 5


def test_directory_htmx_search_returns_only_the_rows(client, san_diego_pro):
    response = client.get(reverse("leads:directory"), {"zip": "92101"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Harbor Plumbing" in page
    assert "<html" not in page


def test_profile_page_shows_the_pro_and_a_quote_button(client, san_diego_pro):
    response = client.get(reverse("leads:profile", args=["harbor-plumbing"]))
    page = response.content.decode()
    assert "Harbor Plumbing" in page
    assert reverse("leads:profile-quote", args=["harbor-plumbing"]) in page
    assert "No reviews yet" in page
    assert client.get(reverse("leads:profile", args=["nobody"])).status_code == 404


def test_a_quote_from_a_profile_is_a_profile_lead(
    client, san_diego_pro, quote_data, django_capture_on_commit_callbacks
):
    url = reverse("leads:profile-quote", args=["harbor-plumbing"])
    assert "Get a quote from Harbor Plumbing" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, quote_data(zip_code="92103"))
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.profile_contractor == san_diego_pro


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"zip_code": "78701"}, "zip_code", "does not work in 78701"),
    ],
)
def test_a_profile_quote_must_fit_the_pro(
    client, san_diego_pro, quote_data, overrides, field, message
):
    url = reverse("leads:profile-quote", args=["harbor-plumbing"])
    response = client.post(url, quote_data(**overrides))
    assert message in " ".join(response.context["form"].errors[field])
    assert not Lead.objects.exists()


def test_a_profile_quote_offers_only_the_pros_categories(client, san_diego_pro):
    ServiceCategoryFactory(name="Roofing", slug="roofing")
    url = reverse("leads:profile-quote", args=["harbor-plumbing"])
    choices = [
        str(label) for _, label in client.get(url).context["form"].fields["category"].choices
    ]
    assert "Plumbing" in choices and "Roofing" not in choices


def test_call_and_website_clicks_are_counted_then_redirected(client, san_diego_pro):
    profile_url = reverse("leads:profile", args=["harbor-plumbing"])
    response = client.get(
        reverse("leads:profile-call", args=["harbor-plumbing"]),
        HTTP_REFERER="http://testserver" + profile_url,
    )
    assert response.status_code == 302
    assert response["Location"] == "tel:+16195550150"
    response = client.get(
        reverse("leads:profile-web", args=["harbor-plumbing"]), {"from": profile_url}
    )
    assert response.status_code == 200  # the page that names the site; no redirect
    assert 'href="https://harborplumbing.example"' in response.content.decode()
    clicks = {c.kind: c for c in ProfileClick.objects.all()}
    assert set(clicks) == {"phone", "website"}
    assert clicks["phone"].contractor == san_diego_pro
    assert clicks["phone"].source_page.endswith(profile_url)
    assert clicks["website"].source_page == profile_url


def test_one_visitor_hammering_a_link_is_counted_a_few_times_only(client, san_diego_pro):
    for _ in range(20):
        assert (
            client.get(reverse("leads:profile-call", args=["harbor-plumbing"])).status_code == 302
        )
    assert ProfileClick.objects.count() == 5


def test_a_rated_pro_shows_the_star_score(client, san_diego_pro):
    type(san_diego_pro).objects.filter(pk=san_diego_pro.pk).update(star_score=92)
    page = client.get(reverse("leads:profile", args=["harbor-plumbing"])).content.decode()
    assert "92%" in page

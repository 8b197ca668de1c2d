import pytest
from django.urls import reverse

from marketplace import services
from marketplace.models import Contractor, ServiceArea
from tests.factories import ServiceCategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(client, metro_zips, plumbing):
    user = UserFactory(email="newpro@example.com")
    contractor = services.create_contractor(user)
    client.force_login(user)
    return contractor


def form_data(**overrides):
    data = {
        "business_name": "Harbor Plumbing",
        "phone": "(619) 555-0142",
        "website": "harborplumbing.example",
        "base_zip": "92101",
        "categories": [],
        "area_mode": "radius",
        "service_radius_miles": "10",
        "service_zip_list": "",
        "daily_lead_cap": "5",
        "weekly_lead_cap": "20",
        "monthly_budget_dollars": "500",
        "notify_email": "on",
        "notify_in_app": "on",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
        "timezone": "",
        "tier": "pro",
    }
    data.update(overrides)
    return data


def test_dashboard_asks_for_onboarding_until_it_is_complete(client, newcomer):
    for name in [
        "leads:home",
        "leads:offers",
        "leads:leads",
        "territories:territories",
        "billing:home",
        "credits:credits",
        "insights:analytics",
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url == reverse("leads:onboarding")


def test_onboarding_saves_profile_and_expands_radius_into_zip_rows(client, newcomer, plumbing):
    response = client.post(reverse("leads:onboarding"), form_data(categories=[plumbing.pk]))
    assert response.status_code == 302
    assert response.url == reverse("leads:home")
    newcomer.refresh_from_db()
    assert newcomer.is_onboarded
    assert newcomer.phone == "+16195550142"
    assert newcomer.website == "https://harborplumbing.example"
    assert newcomer.tier == Contractor.Tier.BASE  # a paid tier is bought in Billing, not here
    assert newcomer.timezone == "America/Los_Angeles"  # from the base zip
    assert newcomer.monthly_budget_cents == 50_000
    served = set(newcomer.service_areas.values_list("zip_code_id", flat=True))
    assert {"92101", "92103", "92104"} <= served  # downtown and neighbours
    assert "92014" not in served  # Del Mar, ~18 miles north
    assert "78701" not in served
    assert max(newcomer.service_areas.values_list("distance_miles", flat=True)) <= 10
    assert client.get(reverse("leads:home")).status_code == 200


def test_onboarding_with_a_zip_list_serves_exactly_those_zips(client, newcomer, plumbing):
    client.post(
        reverse("leads:onboarding"),
        form_data(
            categories=[plumbing.pk],
            area_mode="zips",
            service_zip_list="92101, 92103\n78701 92101",
        ),
    )
    newcomer.refresh_from_db()
    assert newcomer.service_zip_list == "92101 92103 78701"
    assert sorted(newcomer.service_areas.values_list("zip_code_id", flat=True)) == [
        "78701",
        "92101",
        "92103",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "555-1234"}, "phone", "does not exist"),
        ({"phone": "call me"}, "phone", "valid phone number"),
        ({"base_zip": "00000"}, "base_zip", "not a US zip code"),
        ({"base_zip": "9210"}, "base_zip", "5-digit"),
        ({"service_radius_miles": "0"}, "service_radius_miles", "greater than or equal to 1"),
        ({"service_radius_miles": "101"}, "service_radius_miles", "less than or equal to 100"),
        ({"service_radius_miles": ""}, "service_radius_miles", "Enter a radius"),
        ({"daily_lead_cap": "-1"}, "daily_lead_cap", "greater than or equal to 1"),
        ({"weekly_lead_cap": "-5"}, "weekly_lead_cap", "greater than or equal to 1"),
        ({"monthly_budget_dollars": "-100"}, "monthly_budget_dollars", "greater than or equal"),
        ({"area_mode": "zips", "service_zip_list": "92101 99999"}, "service_zip_list", "99999"),
        ({"area_mode": "zips", "service_zip_list": ""}, "service_zip_list", "at least one"),
        ({"categories": []}, "categories", "at least one service"),
    ],
)
def test_bad_input_is_shown_by_its_field_and_nothing_is_saved(
    client, newcomer, plumbing, overrides, field, message
):
    data = form_data(categories=[plumbing.pk])
    data.update(overrides)
    response = client.post(reverse("leads:onboarding"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    # What the contractor typed stays in the form.
    assert f'value="{data["business_name"]}"' in response.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.is_onboarded
    assert newcomer.business_name == ""
    assert not ServiceArea.objects.filter(contractor=newcomer).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"daily_lead_cap": "30", "weekly_lead_cap": "20"}, "daily_lead_cap", "higher than"),
        ({"quiet_hours_start": "21:00"}, "quiet_hours_end", "both"),
        ({"notify_sms": "on", "phone": ""}, "phone", "required"),
    ],
)
def test_rules_across_fields_are_shown_by_the_field(
    client, newcomer, plumbing, overrides, field, message
):
    response = client.post(
        reverse("leads:onboarding"), form_data(categories=[plumbing.pk], **overrides)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    newcomer.refresh_from_db()
    assert not newcomer.is_onboarded


def test_settings_page_edits_the_profile_and_reexpands_the_area(client, newcomer, plumbing):
    client.post(reverse("leads:onboarding"), form_data(categories=[plumbing.pk]))
    roofing = ServiceCategoryFactory(name="Roofing", slug="roofing")
    response = client.get(reverse("marketplace:settings"))
    assert response.status_code == 200
    assert response.context["form"].initial["base_zip"] == "92101"
    response = client.post(
        reverse("marketplace:settings"),
        form_data(
            categories=[roofing.pk],
            base_zip="78701",
            service_radius_miles="5",
            is_paused="on",
            quiet_hours_start="21:00",
            quiet_hours_end="07:00",
            timezone="America/Chicago",
        ),
    )
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.is_paused
    assert list(newcomer.categories.all()) == [roofing]
    assert str(newcomer.quiet_hours_start) == "21:00:00"
    served = set(newcomer.service_areas.values_list("zip_code_id", flat=True))
    assert "78701" in served
    assert not any(code.startswith("92") for code in served)


def test_onboarding_page_sends_an_onboarded_contractor_to_settings(client, contractor):
    client.force_login(contractor.user)
    response = client.get(reverse("leads:onboarding"))
    assert response.url == reverse("marketplace:settings")


def test_dashboard_requires_login(client):
    response = client.get(reverse("leads:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_staff_without_a_profile_are_sent_to_the_admin(client):
    staff = UserFactory(email="ops@example.com", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("leads:home")).url == reverse("admin:index")


def test_dashboard_shows_only_the_logged_in_contractors_profile(
    client, contractor, other_contractor
):
    client.force_login(contractor.user)
    page = client.get(reverse("leads:home")).content.decode()
    assert "Alice Plumbing" in page
    assert "Bob Builders" not in page
    page = client.get(reverse("marketplace:settings")).content.decode()
    assert "Alice Plumbing" in page
    assert "Bob Builders" not in page


def test_zip_lookup_names_the_place(client, newcomer):
    response = client.get(reverse("marketplace:zip-lookup"), {"base_zip": "78701"})
    assert "Austin, TX" in response.content.decode()
    response = client.get(reverse("marketplace:zip-lookup"), {"base_zip": "00000"})
    assert "not a US zip code" in response.content.decode()


def test_dashboard_home_query_count_does_not_grow_with_the_area(
    client, contractor, metro_zips, django_assert_num_queries
):
    ServiceArea.objects.bulk_create(
        [ServiceArea(contractor=contractor, zip_code=z) for z in metro_zips[:200]]
    )
    client.force_login(contractor.user)
    client.get(reverse("leads:home"))  # the first visit stores the star score's totals
    # + the star score (1: its stored totals) and what is missing (3)
    with django_assert_num_queries(10):
        assert client.get(reverse("leads:home")).status_code == 200

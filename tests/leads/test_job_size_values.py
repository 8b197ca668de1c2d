"""A job's size picks what the category says such a job is worth: a few cracked roof tiles
are a small repair of a few hundred dollars, not half a new roof."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.pricing import lead_price_cents
from leads.models import Lead
from leads.policy import estimate_job_value_cents
from marketplace.models import ServiceCategory
from tests.factories import ServiceCategoryFactory
from tests.leads.test_accept import make_offer

pytestmark = pytest.mark.django_db

# The bounds we hold every seeded category to. A small job is "a repair or a quick job":
# at most $5,000 (the dearest small job we seed is a kitchen's, new counters or a backsplash)
# and at most 60% of the category's typical (medium) job; a large job is at least 1.5 times
# the typical one. Roofing, where the complaint came from, keeps a small repair under $1,500.
SMALL_JOB_MAX_CENTS = 500_000
SMALL_SHARE_OF_TYPICAL_MAX = 0.6
LARGE_OVER_TYPICAL_MIN = 1.5
ROOF_REPAIR_MAX_CENTS = 150_000


def test_every_seeded_category_has_plausible_values_for_each_size():
    categories = list(ServiceCategory.objects.all())
    assert len(categories) >= 20  # the seeded catalog, from the migrations
    for c in categories:
        small, medium, large = (
            c.small_job_value_cents,
            c.typical_job_value_cents,
            c.large_job_value_cents,
        )
        assert 0 < small < medium < large, c.slug
        assert small <= SMALL_JOB_MAX_CENTS, c.slug
        assert small <= medium * SMALL_SHARE_OF_TYPICAL_MAX, c.slug
        assert large >= medium * LARGE_OVER_TYPICAL_MIN, c.slug
    roofing = ServiceCategory.objects.get(slug="roofing")
    assert roofing.small_job_value_cents <= ROOF_REPAIR_MAX_CENTS
    assert roofing.typical_job_value_cents == 950_000  # medium is the typical job, unchanged


@pytest.mark.parametrize(
    ("size", "expected"), [("small", 30_000), ("medium", 200_000), ("large", 900_000)]
)
def test_the_estimate_is_the_categorys_value_for_the_size(size, expected):
    category = ServiceCategoryFactory(
        slug="tiling",
        small_job_value_cents=30_000,
        typical_job_value_cents=200_000,
        large_job_value_cents=900_000,
    )
    assert estimate_job_value_cents(category, size) == expected


def test_a_few_cracked_roof_tiles_marked_small_are_priced_as_a_repair(
    client, quote_data, django_capture_on_commit_callbacks
):
    roofing = ServiceCategory.objects.get(slug="roofing")
    data = quote_data(
        category=roofing.pk,
        job_size="small",
        description="A few cracked tiles on the roof over the garage need replacing.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leads:quote"), data)
    lead = Lead.objects.get()
    assert lead.estimated_value_cents == roofing.small_job_value_cents
    assert lead.estimated_value_cents <= ROOF_REPAIR_MAX_CENTS  # was $4,750: half of $9,500
    assert lead_price_cents(lead.estimated_value_cents) <= 1_500


def test_the_database_refuses_sizes_out_of_order():
    category = ServiceCategoryFactory(slug="odd-jobs", typical_job_value_cents=40_000)
    category.small_job_value_cents = 50_000
    with pytest.raises(ValidationError, match="small job must be worth less"):
        category.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        category.save()


def test_the_offer_shows_the_size_the_homeowner_chose(contractor_client, contractor):
    offer = make_offer(contractor=contractor, job_size="small", estimated_value_cents=30_000)
    listing = contractor_client.get(reverse("leads:offers")).content.decode()
    assert "Small job" in listing
    accept = contractor_client.get(reverse("leads:offer-accept", args=[offer.pk]))
    page = accept.content.decode()
    assert "Job size" in page and "Small: a repair or a quick job" in page


def test_the_api_offer_carries_the_job_size(contractor_api, contractor):
    make_offer(contractor=contractor, job_size="large")
    lead = contractor_api.get(reverse("api:offers")).json()["results"][0]["lead"]
    assert lead["job_size"] == "large"
    assert set(lead) == {
        "id",
        "category",
        "city",
        "zip_code",
        "description",
        "timeframe",
        "job_size",
        "estimated_value_cents",
    }


def test_ops_edit_the_three_values_in_the_admin_and_see_a_bad_order_refused(admin_client):
    roofing = ServiceCategory.objects.get(slug="roofing")
    url = reverse("admin:marketplace_servicecategory_change", args=[roofing.pk])
    form = admin_client.get(url).content.decode()
    assert 'name="small_job_value_cents"' in form and 'name="large_job_value_cents"' in form
    data = {
        "name": roofing.name,
        "slug": roofing.slug,
        "description": roofing.description,
        "small_job_value_cents": 1_000_000,  # more than the typical $9,500
        "typical_job_value_cents": roofing.typical_job_value_cents,
        "large_job_value_cents": roofing.large_job_value_cents,
        "active": "on",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "A small job must be worth less than a typical one" in response.content.decode()
    roofing.refresh_from_db()
    assert roofing.small_job_value_cents == 75_000
    response = admin_client.post(url, {**data, "small_job_value_cents": 90_000})
    assert response.status_code == 302
    roofing.refresh_from_db()
    assert roofing.small_job_value_cents == 90_000


def test_a_cheap_category_never_estimates_below_one_dollar(client, quote_data, metro_zips):
    cheap = ServiceCategoryFactory(name="Key cutting", slug="keys", typical_job_value_cents=150)
    response = client.post(reverse("leads:quote"), quote_data(category=cheap.pk, job_size="small"))
    assert response.status_code == 302
    assert Lead.objects.get().estimated_value_cents == 100

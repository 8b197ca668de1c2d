import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.models import ServiceCategory, ZipCode
from marketplace.queries import great_circle_miles, zips_within
from marketplace.services import load_zip_catalog

pytestmark = pytest.mark.django_db


def test_migration_seeds_about_twenty_real_categories_with_typical_values():
    categories = ServiceCategory.objects.all()
    assert 20 <= categories.count() <= 30
    assert {"plumbing", "electrical", "hvac", "roofing"} <= set(
        categories.values_list("slug", flat=True)
    )
    assert all(c.typical_job_value_cents >= 10_000 for c in categories)


@pytest.mark.slow
def test_zip_catalog_loads_every_us_zip_and_a_second_run_changes_nothing():
    first = load_zip_catalog()
    assert first["created"] > 41_000
    assert ZipCode.objects.count() == first["total"]
    austin = ZipCode.objects.get(code="78701")
    assert (austin.city, austin.state, austin.timezone) == ("Austin", "TX", "America/Chicago")
    assert austin.county == "Travis County"
    assert "512" in austin.area_codes
    assert abs(austin.latitude - 30.27) < 0.05
    second = load_zip_catalog()
    assert second == {"created": 0, "updated": 0, "total": first["total"]}


def test_zip_catalog_refreshes_a_changed_row():
    load_zip_catalog()
    ZipCode.objects.filter(code="92101").update(city="Wrong", active=False)
    assert load_zip_catalog()["updated"] == 1
    assert ZipCode.objects.get(code="92101").city == "San Diego"


def test_great_circle_distance_matches_known_cities():
    # San Diego to Austin is about 1,150 miles as the crow flies.
    assert 1_120 < great_circle_miles(32.7194, -117.1628, 30.2713, -97.7426) < 1_180
    assert great_circle_miles(30.0, -97.0, 30.0, -97.0) == 0


def test_zips_within_a_radius_are_exact_nearest_first(metro_zips):
    center = ZipCode.objects.get(code="92101")
    found = zips_within(center, 10)
    assert found[0].code == "92101"
    assert found[0].distance_miles == 0
    assert [z.distance_miles for z in found] == sorted(z.distance_miles for z in found)
    assert all(z.distance_miles <= 10 for z in found)
    codes = {z.code for z in found}
    # Every zip of the catalog within 10 miles is there, none beyond (brute-force check).
    expected = {
        z.code
        for z in metro_zips.filter(active=True)
        if great_circle_miles(center.latitude, center.longitude, z.latitude, z.longitude) <= 10
    }
    assert codes == expected
    assert not any(code.startswith("787") for code in codes)


def test_zips_within_uses_the_bounding_box_in_the_database(metro_zips):
    center = ZipCode.objects.get(code="78701")
    with CaptureQueriesContext(connection) as queries:
        zips_within(center, 5)
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert "latitude" in sql and "BETWEEN" in sql.upper()


def test_a_zip_without_coordinates_serves_only_itself(db):
    ship = ZipCode.objects.create(code="09001", city="APO", state="AE", kind="MILITARY")
    assert [z.code for z in zips_within(ship, 50)] == ["09001"]

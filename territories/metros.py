"""Metro areas: a center zip and a radius. Contractors pick them on the territory page; ops
filter and report by them."""

from dataclasses import dataclass

from marketplace.models import ZipCode
from marketplace.queries import great_circle_miles, zips_within


@dataclass(frozen=True)
class Metro:
    slug: str
    name: str
    center_zip: str
    radius_miles: int


METROS = [
    Metro("atlanta", "Atlanta, GA", "30303", 15),
    Metro("austin", "Austin, TX", "78701", 20),
    Metro("boston", "Boston, MA", "02108", 12),
    Metro("chicago", "Chicago, IL", "60601", 15),
    Metro("dallas", "Dallas, TX", "75201", 15),
    Metro("denver", "Denver, CO", "80202", 15),
    Metro("houston", "Houston, TX", "77002", 15),
    Metro("los-angeles", "Los Angeles, CA", "90012", 15),
    Metro("miami", "Miami, FL", "33131", 15),
    Metro("new-york", "New York, NY", "10001", 10),
    Metro("phoenix", "Phoenix, AZ", "85004", 15),
    Metro("san-diego", "San Diego, CA", "92101", 20),
    Metro("seattle", "Seattle, WA", "98101", 15),
]
BY_SLUG = {metro.slug: metro for metro in METROS}
# No two metro circles overlap (a test checks it), so a zip is in one metro at most and
# zip_codes_in() and metros_of() are the same rule read both ways.


def zip_codes_in(metro: Metro) -> list[str]:
    """A metro's active zip codes, nearest its center first: those within its radius."""

    center = ZipCode.objects.filter(code=metro.center_zip).first()
    return [z.code for z in zips_within(center, metro.radius_miles)] if center else []


def metros_of(zip_codes) -> dict[str, Metro]:
    """Which metro each active zip code lies in; zips in none are left out. Two queries,
    however many zips."""

    centers = {
        code: (lat, lon)
        for code, lat, lon in ZipCode.objects.filter(
            code__in=[m.center_zip for m in METROS], latitude__isnull=False
        ).values_list("code", "latitude", "longitude")
    }
    found = {}
    for code, lat, lon in ZipCode.objects.filter(
        code__in=set(zip_codes), active=True, latitude__isnull=False, longitude__isnull=False
    ).values_list("code", "latitude", "longitude"):
        near = [
            (distance, metro.slug, metro)
            for metro in METROS
            if metro.center_zip in centers
            and (distance := great_circle_miles(*centers[metro.center_zip], lat, lon))
            <= metro.radius_miles
        ]
        if near:
            found[code] = min(near)[2]  # the nearest center, should circles ever overlap
    return found

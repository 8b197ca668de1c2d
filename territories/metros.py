"""Metro areas: a center zip and a radius. Contractors pick them on the territory page; ops
filter and report by them."""

from dataclasses import dataclass


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


def metros_of(zip_codes) -> dict[str, Metro]:
    """Which metro each zip code lies in (the nearest center within its radius); zips in
    none are left out. Two queries, however many zips."""
    from marketplace.models import ZipCode
    from marketplace.queries import great_circle_miles

    centers = {
        code: (lat, lon)
        for code, lat, lon in ZipCode.objects.filter(
            code__in=[m.center_zip for m in METROS], latitude__isnull=False
        ).values_list("code", "latitude", "longitude")
    }
    found = {}
    for code, lat, lon in ZipCode.objects.filter(
        code__in=set(zip_codes), latitude__isnull=False, longitude__isnull=False
    ).values_list("code", "latitude", "longitude"):
        distances = [
            (great_circle_miles(*centers[m.center_zip], lat, lon), m.slug, m)
            for m in METROS
            if m.center_zip in centers
        ]
        near = [(d, slug, m) for d, slug, m in distances if d <= m.radius_miles]
        if near:
            found[code] = min(near)[2]
    return found

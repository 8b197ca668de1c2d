"""Metro areas a contractor can pick on the territory page: a center zip and a radius."""

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

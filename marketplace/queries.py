"""Reads shared by views, the API, tasks and other apps."""

import math
from dataclasses import dataclass

from django.db.models import Count, Q

from .models import Contractor, ProfileClick, ServiceCategory, ZipCode

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.05


@dataclass(frozen=True)
class NearbyZip:
    code: str
    city: str
    state: str
    distance_miles: float


def great_circle_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance between two points, in miles."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def zips_within(center: ZipCode, miles: float) -> list[NearbyZip]:
    """Active zips within `miles` of `center`, nearest first, the center included.

    The indexed bounding box narrows the candidates in the database; the exact
    great-circle distance then drops the box's corners.
    """
    if center.latitude is None or center.longitude is None:
        return [NearbyZip(center.code, center.city, center.state, 0.0)]
    dlat = miles / MILES_PER_DEGREE_LATITUDE
    cos_lat = max(math.cos(math.radians(center.latitude)), 0.01)
    dlon = miles / (MILES_PER_DEGREE_LATITUDE * cos_lat)
    candidates = ZipCode.objects.filter(
        active=True,
        latitude__range=(center.latitude - dlat, center.latitude + dlat),
        longitude__range=(center.longitude - dlon, center.longitude + dlon),
    ).values_list("code", "city", "state", "latitude", "longitude")
    found = []
    for code, city, state, lat, lon in candidates:
        distance = great_circle_miles(center.latitude, center.longitude, lat, lon)
        if distance <= miles or code == center.code:
            found.append(NearbyZip(code, city, state, distance))
    if not any(z.code == center.code for z in found):
        found.append(NearbyZip(center.code, center.city, center.state, 0.0))
    found.sort(key=lambda z: (z.distance_miles, z.code))
    return found


def contractor_for(user) -> Contractor | None:
    """The contractor profile of a logged-in user, or None (staff, anonymous)."""
    if not user.is_authenticated:
        return None
    return Contractor.objects.select_related("user", "base_zip").filter(user=user).first()


def active_categories():
    return ServiceCategory.objects.filter(active=True).order_by("name")


def service_area_summary(contractor: Contractor) -> dict:
    """How many zips a contractor serves, and in which cities (two queries, any area size)."""
    areas = contractor.service_areas.all()
    cities = list(
        areas.values_list("zip_code__city", "zip_code__state")
        .distinct()
        .order_by("zip_code__state", "zip_code__city")
    )
    return {
        "zip_count": areas.count(),
        "city_count": len(cities),
        "cities": [f"{city}, {state}" for city, state in cities[:8]],
    }


def directory_contractors(*, category: ServiceCategory | None = None, zip_code: str = ""):
    """Active, onboarded pros for the public directory, optionally by category and served zip."""
    contractors = (
        Contractor.objects.filter(is_active=True, onboarded_at__isnull=False)
        .exclude(slug=None)
        .select_related("base_zip", "account")
        .prefetch_related("categories")
        .order_by("business_name", "pk")
    )
    if category is not None:
        contractors = contractors.filter(categories=category)
    if zip_code:
        contractors = contractors.filter(service_areas__zip_code_id=zip_code)
    return contractors.distinct()


def public_profile(slug: str) -> Contractor | None:
    return (
        Contractor.objects.filter(is_active=True, onboarded_at__isnull=False, slug=slug)
        .select_related("base_zip", "account")
        .prefetch_related("categories")
        .first()
    )


def clicks_by_kind(contractor, *, start_at, end_at) -> dict[str, int]:
    """Profile clicks (phone, website) on the contractor in [start_at, end_at), by kind."""
    rows = (
        ProfileClick.objects.filter(contractor=contractor, created_at__gte=start_at)
        .filter(created_at__lt=end_at)
        .values("kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["kind"]: row["count"] for row in rows}


def contractor_labels(pks: list[int]) -> dict[int, str]:
    """Each contractor's business name (their email when they have none), by id."""
    return {
        pk: business_name or email
        for pk, business_name, email in Contractor.objects.filter(pk__in=pks).values_list(
            "pk", "business_name", "user__email"
        )
    }


def category_labels(*, slugs=(), ids=()) -> list[tuple[int, str, str]]:
    """(id, slug, name) of the services with these slugs or ids, names as they read now
    (analytics labels its rows with them). One query for both; none for neither."""
    return list(
        ServiceCategory.objects.filter(Q(slug__in=list(slugs)) | Q(pk__in=list(ids))).values_list(
            "pk", "slug", "name"
        )
    )


def zip_places(codes) -> dict[str, tuple[str, str]]:
    """(city, state) of these zips by code, as they read now: one look-up by primary key
    (a join from many rows would hash the whole catalog)."""
    return {
        code: (city, state)
        for code, city, state in ZipCode.objects.filter(code__in=list(codes)).values_list(
            "code", "city", "state"
        )
    }

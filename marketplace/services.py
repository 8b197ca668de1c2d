"""Operations that change accounts, the catalog and contractor profiles."""

import re
from dataclasses import dataclass
from datetime import time

import phonenumbers
import zipcodes
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from . import localcache
from .errors import DomainError
from .models import (
    Contractor,
    Heartbeat,
    ProfileClick,
    ServiceArea,
    ServiceCategory,
    User,
    ZipCode,
)
from .queries import zips_within

MAX_LISTED_ZIPS = 500
# The US and its territories on the North American numbering plan.
US_PHONE_REGIONS = {"US", "PR", "VI", "GU", "AS", "MP"}


class InvalidPhone(DomainError):
    field = "phone"


class UnknownZip(DomainError):
    field = "base_zip"


class InvalidServiceArea(DomainError):
    pass


# --- Validation helpers shared by forms, the API and services ------------------------------


def normalize_phone(raw: str, *, region: str = "US") -> str:
    """Parse a phone number as a person types it and return it in E.164, or raise."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("Enter a valid phone number, e.g. (619) 555-0142.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("This phone number does not exist. Check the area code and digits.")
    if phonenumbers.region_code_for_number(number) not in US_PHONE_REGIONS:
        raise InvalidPhone("Enter a US phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def get_zip(code: str, *, field: str = "base_zip") -> ZipCode:
    code = (code or "").strip()
    if not re.fullmatch(r"\d{5}", code):
        raise UnknownZip("Enter a 5-digit US zip code.", field=field)
    try:
        return ZipCode.objects.get(code=code)
    except ZipCode.DoesNotExist:
        raise UnknownZip(f"{code} is not a US zip code we know.", field=field) from None


def parse_zip_list(text: str) -> list[ZipCode]:
    """Zips typed as a list (commas, spaces or lines); every one must exist in the catalog."""
    return catalog_zip_codes(
        re.split(r"[\s,;]+", text or ""),
        limit=MAX_LISTED_ZIPS,
        too_many=f"List at most {MAX_LISTED_ZIPS} zip codes, or use a radius instead.",
        error=InvalidServiceArea,
        field="service_zip_list",
    )


def catalog_zip_codes(
    codes,
    *,
    limit: int,
    too_many: str,
    none: str = "List at least one zip code.",
    error=DomainError,
    field: str,
) -> list[ZipCode]:
    """The catalog's zip codes for codes a person named, in their order, each once. Raises
    `error` on `field` for none (saying `none`), more than `limit` (saying `too_many`), a
    malformed code or one the catalog does not know."""
    codes = [c for c in dict.fromkeys(c.strip() for c in codes) if c]
    if not codes:
        raise error(none, field=field)
    if len(codes) > limit:
        raise error(too_many, field=field)
    malformed = [c for c in codes if not re.fullmatch(r"\d{5}", c)]
    if malformed:
        raise error(f"Not a 5-digit zip code: {', '.join(malformed[:5])}.", field=field)
    found = ZipCode.objects.in_bulk(codes)
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise error(
            f"Unknown zip code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown[:5])}.",
            field=field,
        )
    return [found[c] for c in codes]


# --- Contractors ---------------------------------------------------------------------------


def create_contractor(user: User) -> Contractor:
    """Give a newly signed-up user an (empty) contractor profile to onboard."""
    contractor, _ = Contractor.objects.get_or_create(user=user)
    return contractor


@dataclass
class ProfileChanges:
    """What the onboarding and settings form (or an API client) submits."""

    business_name: str
    phone: str
    website: str
    base_zip: ZipCode
    categories: list[ServiceCategory]
    area_mode: str
    service_radius_miles: int
    service_zip_list: str
    is_paused: bool
    daily_lead_cap: int
    weekly_lead_cap: int
    monthly_budget_cents: int
    notify_email: bool
    notify_sms: bool
    notify_in_app: bool
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    timezone: str


@transaction.atomic
def save_profile(contractor: Contractor, *, changes: ProfileChanges) -> Contractor:
    """Save a contractor's profile and re-expand their service area, all or nothing.

    The first complete save finishes onboarding.
    """
    if not changes.categories:
        raise DomainError("Choose at least one service category.", field="categories")
    # Lock the profile: two saves at once must not interleave their service areas.
    contractor = Contractor.objects.select_for_update(no_key=True).get(pk=contractor.pk)
    listed = (
        parse_zip_list(changes.service_zip_list)
        if changes.area_mode == Contractor.AreaMode.ZIP_LIST
        else []
    )
    for name in (
        "business_name",
        "phone",
        "website",
        "base_zip",
        "area_mode",
        "service_radius_miles",
        "is_paused",
        "daily_lead_cap",
        "weekly_lead_cap",
        "monthly_budget_cents",
        "notify_email",
        "notify_sms",
        "notify_in_app",
        "quiet_hours_start",
        "quiet_hours_end",
        "timezone",
    ):
        setattr(contractor, name, getattr(changes, name))
    contractor.service_zip_list = " ".join(z.code for z in listed)
    if not contractor.slug:
        contractor.slug = _unique_slug(contractor.business_name)
    if contractor.onboarded_at is None:
        contractor.onboarded_at = timezone.now()
    try:
        contractor.full_clean(exclude=["user"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(" ".join(messages), field=None if field == "__all__" else field) from None
    contractor.save()
    contractor.categories.set(changes.categories)
    expand_service_area(contractor)
    return contractor


def _unique_slug(business_name: str) -> str:
    """A public profile address from the business name: harbor-plumbing, harbor-plumbing-2…"""
    base = slugify(business_name)[:120] or "pro"
    taken = set(Contractor.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def mark_onboarded(contractor: Contractor) -> None:
    """A profile completed by ops counts as onboarded, like one the contractor completed."""
    if contractor.onboarded_at is None and contractor.business_name:
        if not contractor.slug:
            contractor.slug = _unique_slug(contractor.business_name)
        contractor.onboarded_at = timezone.now()
        contractor.save(update_fields=["onboarded_at", "slug", "updated_at"])


@transaction.atomic
def expand_service_area(contractor: Contractor) -> int:
    """Rewrite the contractor's ServiceArea rows from their radius or zip list."""
    if contractor.area_mode == Contractor.AreaMode.RADIUS:
        if contractor.base_zip is None:
            raise UnknownZip("Set a base zip code to serve a radius around it.")
        rows = [
            ServiceArea(
                contractor=contractor,
                zip_code_id=z.code,
                distance_miles=round(z.distance_miles),
            )
            for z in zips_within(contractor.base_zip, contractor.service_radius_miles)
        ]
    else:
        rows = [
            ServiceArea(contractor=contractor, zip_code_id=z.code)
            for z in parse_zip_list(contractor.service_zip_list)
        ]
    ServiceArea.objects.filter(contractor=contractor).delete()
    ServiceArea.objects.bulk_create(rows, batch_size=500)
    return len(rows)


@transaction.atomic
def set_active(contractor: Contractor, *, active: bool) -> bool:
    """Ops switch a contractor on or off; returns whether anything changed.

    Saved (not a bulk update) so the audit history records who did it.
    """
    contractor = Contractor.objects.select_for_update(no_key=True).get(pk=contractor.pk)
    if contractor.is_active == active:
        return False
    contractor.is_active = active
    contractor.save(update_fields=["is_active", "updated_at"])
    return True


# --- Catalog -------------------------------------------------------------------------------


def load_zip_catalog(*, batch_size: int = 2000) -> dict:
    """Load or refresh every US zip from the `zipcodes` package. Idempotent.

    Rows that already match are left alone, so a second run writes nothing.
    """
    existing = {
        row[0]: row
        for row in ZipCode.objects.values_list(
            "code",
            "city",
            "state",
            "county",
            "latitude",
            "longitude",
            "timezone",
            "area_codes",
            "kind",
            "active",
        )
    }
    to_create, to_update = [], []
    for item in zipcodes.list_all():
        zip_code = ZipCode(
            code=item["zip_code"],
            city=(item["city"] or "")[:64],
            state=item["state"] or "",
            county=(item["county"] or "")[:64],
            latitude=float(item["lat"]) if item["lat"] else None,
            longitude=float(item["long"]) if item["long"] else None,
            timezone=item["timezone"] or "",
            area_codes=",".join(item["area_codes"] or [])[:80],
            kind=item["zip_code_type"],
            active=bool(item["active"]),
        )
        row = (
            zip_code.code,
            zip_code.city,
            zip_code.state,
            zip_code.county,
            zip_code.latitude,
            zip_code.longitude,
            zip_code.timezone,
            zip_code.area_codes,
            zip_code.kind,
            zip_code.active,
        )
        if zip_code.code not in existing:
            to_create.append(zip_code)
        elif existing[zip_code.code] != row:
            to_update.append(zip_code)
    with transaction.atomic():
        ZipCode.objects.bulk_create(to_create, batch_size=batch_size)
        ZipCode.objects.bulk_update(
            to_update,
            fields=[
                "city",
                "state",
                "county",
                "latitude",
                "longitude",
                "timezone",
                "area_codes",
                "kind",
                "active",
            ],
            batch_size=batch_size,
        )
        if to_create or to_update:
            localcache.zips.invalidate()  # bulk writes send no signals
    return {
        "created": len(to_create),
        "updated": len(to_update),
        "total": len(existing) + len(to_create),
    }


def record_heartbeat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def deliver_email(*, subject: str, body: str, to: list[str], html: str | None = None) -> None:
    """Send one email now (called from a Celery task, never from a request)."""
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def record_click(contractor: Contractor, *, kind: str, source_page: str) -> None:
    """Count a homeowner's Call or Website click on a public profile."""
    ProfileClick.objects.create(contractor=contractor, kind=kind, source_page=source_page[:500])

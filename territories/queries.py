"""Reads of territories: who holds a pair, what zips are worth, what is still free.
Shared by the territory page, the API, routing and the admin."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q

from marketplace.compiled import CompiledQuery
from marketplace.models import Contractor, ServiceCategory, ZipCode
from marketplace.queries import zips_within

from . import pricing
from .metros import BY_SLUG, zip_codes_in
from .models import DemandIndex, PriceOverride, TerritorySubscription

# The territory page never lists more zips than this at once.
MAX_ZIPS_SHOWN = 300

# Territories are sold where homes are. PO-box and single-organisation (UNIQUE) zip codes
# have none, and MILITARY ones are overseas APO/FPO addresses: no lead comes from them.
TERRITORY_ZIP_KINDS = (ZipCode.Kind.STANDARD,)


def is_territory_zip(zip_code: ZipCode) -> bool:
    return zip_code.kind in TERRITORY_ZIP_KINDS


def not_a_territory(zip_codes: list[ZipCode]) -> str:
    """Why these zips cannot be territories, in words, e.g. "92112 is a PO box zip code: …"."""
    named = ", ".join(f"{z.code} is a {z.get_kind_display()}" for z in zip_codes)
    return f"{named} zip code: territories cover zip codes where homes are."


def _holding(*, zip_code_id: str, category_id: int):
    return TerritorySubscription.objects.filter(
        zip_code_id=zip_code_id,
        category_id=category_id,
        status__in=TerritorySubscription.HOLDING,
    ).values_list("pk")


# Routing asks this of every lead, and most pairs have no holder: the question is compiled
# once (marketplace.compiled), the subscription read only when there is one.
_HOLDING = CompiledQuery(_holding)


def holder(*, zip_code_id: str, category_id: int) -> TerritorySubscription | None:
    """The subscription holding a pair (active or in its grace period), if any."""
    found = _HOLDING.rows(zip_code_id=zip_code_id, category_id=category_id)
    if not found:
        return None
    return (
        TerritorySubscription.objects.select_related("contractor__user")
        .filter(pk=found[0][0], status__in=TerritorySubscription.HOLDING)
        .first()
    )


def subscription_for(contractor: Contractor, pk):
    """The contractor's own territory subscription with this id, or None."""
    return subscriptions_for(contractor).filter(pk=pk).first()


def subscriptions_for(contractor: Contractor):
    """A contractor's subscriptions, holding ones first, then the ended ones, newest first
    (nulls placed explicitly: PostgreSQL and SQLite sort them differently)."""
    return (
        TerritorySubscription.objects.filter(contractor=contractor)
        .select_related("zip_code", "category")
        .order_by(F("ended_at").desc(nulls_first=True), "zip_code_id", "category__name")
    )


def held_pairs(contractor: Contractor) -> set[tuple[str, str]]:
    """(zip, category slug) pairs the contractor holds now."""
    return set(
        TerritorySubscription.objects.filter(
            contractor=contractor, status__in=TerritorySubscription.HOLDING
        ).values_list("zip_code_id", "category__slug")
    )


# A territory's price reads its lead volume, but leads builds on territories (the apps'
# one-way order: territories never imports leads). So leads hands its read in when the apps
# load (LeadsConfig.ready calls use_lead_volume with leads.queries.lead_volume), and pricing
# calls it through here:
# (zip codes, category_ids=, since=) -> {(zip, category id): (leads, summed value)}.
_lead_volume_source = None


def use_lead_volume(read) -> None:
    """Install the function that counts leads per zip and category since a moment."""
    global _lead_volume_source
    _lead_volume_source = read


def _lead_volume(
    zip_codes: list[str], *, category_ids: list[int], since
) -> dict[tuple[str, int], tuple[int, int]]:
    if _lead_volume_source is None:
        raise ImproperlyConfigured("territories needs a lead volume: is leads installed?")
    return _lead_volume_source(zip_codes, category_ids=category_ids, since=since)


def figures_for(
    zips: list[ZipCode], category: ServiceCategory, *, now
) -> dict[str, pricing.Figures]:
    """Each zip's worth for one category (figures_by_category for one)."""
    by_pair = figures_by_category(zips, [category], now=now)
    return {z.code: by_pair[z.code, category.pk] for z in zips}


def figures_by_category(
    zips: list[ZipCode], categories: list[ServiceCategory], *, now
) -> dict[tuple[str, int], pricing.Figures]:
    """Each (zip, category)'s worth, in three queries whatever the number of zips and
    categories: last year's leads and their value, ops' demand indexes, ops' price
    overrides."""
    codes = [z.code for z in zips]
    category_ids = [c.pk for c in categories]
    volume = _lead_volume(codes, category_ids=category_ids, since=now - timedelta(days=365))
    demand_by_zip, demand_by_state = {}, {}
    for index in DemandIndex.objects.filter(
        Q(zip_code__in=codes) | Q(state__in={z.state for z in zips})
    ):
        if index.zip_code_id:
            demand_by_zip[index.zip_code_id] = index.percent
        else:
            demand_by_state[index.state] = index.percent
    overrides = {
        (zip_code, category_id): fee
        for zip_code, category_id, fee in PriceOverride.objects.filter(
            zip_code__in=codes, category_id__in=category_ids
        ).values_list("zip_code_id", "category_id", "monthly_fee_cents")
    }
    figures = {}
    for category in categories:
        for z in zips:
            count, value = volume.get((z.code, category.pk), (0, 0))
            average = (
                (value * 2 + count) // (count * 2) if count else category.typical_job_value_cents
            )  # integer division, rounded half up
            figures[z.code, category.pk] = pricing.Figures(
                leads_12m=count,
                average_value_cents=average,
                demand_percent=demand_by_zip.get(z.code, demand_by_state.get(z.state, 100)),
                override_cents=overrides.get((z.code, category.pk)),
            )
    return figures


@dataclass
class ZipRow:
    """One zip on the territory page and in the API."""

    zip_code: ZipCode
    availability: str  # free | partial | taken
    taken_categories: list[str]
    category_taken: bool
    yours: bool
    figures: pricing.Figures
    monthly_fee_cents: int
    formula: str

    @property
    def selectable(self) -> bool:
        return not self.category_taken and not self.yours

    @property
    def availability_label(self) -> str:
        return {
            "free": "Every service free",
            "partial": "Some services taken",
            "taken": "All services taken",
        }[self.availability]


def zip_rows(
    zips: list[ZipCode], category: ServiceCategory, *, contractor: Contractor | None, now
) -> list[ZipRow]:
    """Availability (across all services) and the price of `category`, for each zip."""
    return [
        row for _, row in zip_rows_by_category(zips, [category], contractor=contractor, now=now)
    ]


def zip_rows_by_category(
    zips: list[ZipCode],
    categories: list[ServiceCategory],
    *,
    contractor: Contractor | None,
    now,
) -> list[tuple[ServiceCategory, ZipRow]]:
    """For each category, then each zip: availability (across all services) and the price
    of that category. Green when every active service is free, yellow when some are taken,
    red when all are. Five queries whatever the number of zips and categories."""
    codes = [z.code for z in zips]
    active = dict(ServiceCategory.objects.filter(active=True).values_list("pk", "name"))
    held = {}
    for zip_code, category_id, contractor_id in TerritorySubscription.objects.filter(
        zip_code__in=codes, status__in=TerritorySubscription.HOLDING
    ).values_list("zip_code_id", "category_id", "contractor_id"):
        held.setdefault(zip_code, {})[category_id] = contractor_id
    figures = figures_by_category(zips, categories, now=now)
    rows = []
    for category in categories:
        for z in zips:
            taken = held.get(z.code, {})
            taken_active = [name for pk, name in active.items() if pk in taken]
            if not taken_active:
                availability = "free"
            elif len(taken_active) >= len(active):
                availability = "taken"
            else:
                availability = "partial"
            holder_id = taken.get(category.pk)
            worth = figures[z.code, category.pk]
            rows.append(
                (
                    category,
                    ZipRow(
                        zip_code=z,
                        availability=availability,
                        taken_categories=sorted(taken_active),
                        category_taken=holder_id is not None,
                        yours=contractor is not None and holder_id == contractor.pk,
                        figures=worth,
                        monthly_fee_cents=pricing.monthly_fee_cents(worth),
                        formula=pricing.fee_formula(worth),
                    ),
                )
            )
    return rows


class SearchError(ValueError):
    pass


def find_zips(*, q: str = "", metro: str = "", radius_miles: int = 5) -> list[ZipCode]:
    """The zips a territory search names: a metro's, those within a radius of a zip code,
    or a city's ("Austin" or "Austin, TX"). Nearest first, at most MAX_ZIPS_SHOWN."""
    q = q.strip()
    if metro:
        area = BY_SLUG.get(metro)
        if area is None:
            raise SearchError("Pick a metro area from the list.")
        codes = zip_codes_in(area)
        if not codes:
            raise SearchError("This metro's zip codes are not loaded yet.")
    elif q.isdigit() and len(q) == 5:
        center = ZipCode.objects.filter(code=q, active=True).first()
        if center is None:
            raise SearchError(f"{q} is not a US zip code we know.")
        codes = [z.code for z in zips_within(center, radius_miles)]
    elif q:
        city, _, state = (part.strip() for part in q.partition(","))
        found = ZipCode.objects.filter(city__iexact=city, active=True)
        if state:
            found = found.filter(state__iexact=state)
        codes = list(found.order_by("code").values_list("code", flat=True))
        if not codes:
            raise SearchError(
                f"No zip codes found for “{q}”. Try a zip code, or a city and state "
                "like “Austin, TX”."
            )
    else:
        return []
    by_code = ZipCode.objects.filter(kind__in=TERRITORY_ZIP_KINDS).in_bulk(codes)
    found = [by_code[c] for c in codes if c in by_code][:MAX_ZIPS_SHOWN]
    if not found:
        raise SearchError(
            "No zip codes where homes are in this search (PO-box and single-organisation "
            "zip codes have no territories). Try a wider radius or a city."
        )
    return found

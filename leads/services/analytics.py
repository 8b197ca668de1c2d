"""The analytics rollup (leads.models.AnalyticsCell, ResponseCount): each event adds what
it changes, in the event's own transaction, and the nightly rebuild recomputes a
contractor's cells from the history. What counts where is leads/rollup.py.

Writes are upserts that add (`count = count + excluded.count`, one statement for every
cell an event touches, on PostgreSQL and SQLite alike): two events on the same cells
never lose one another's counts. An event also holds a shared advisory lock on each
contractor it counts for, and the rebuild an exclusive one, so a rebuild never misses an
event committed while it ran nor counts one twice (PostgreSQL; SQLite runs one writer at a
time anyway).

A change of time zone moves a contractor's days: the nightly rebuild puts them in the new
zone (until then the cells keep the old zone's days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Min, Q

from marketplace import clock
from marketplace.models import Contractor

from .. import rollup
from ..models import AnalyticsCell, Purchase, ResponseCount

LOCK_SPACE = 16_001  # the advisory locks' first key: "analytics rollup of contractor <id>"
BATCH = 300

Cell = tuple[int, str, object, str, str]  # contractor, grain, start, kind, key


class Changes:
    """What one event (or the rebuild) adds to cells, merged per cell before writing."""

    def __init__(self):
        self.cells: dict[Cell, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(rollup.COUNTS, 0)
        )
        self.responses: dict[tuple, int] = defaultdict(int)

    def add(self, place: rollup.Place, counts: dict[str, int]) -> None:
        if not any(counts.values()):
            return
        for cell in place.cells():
            sums = self.cells[cell]
            for name, value in counts.items():
                sums[name] += value

    def respond(self, place: rollup.Place, seconds: int | None, sign: int = 1) -> None:
        if seconds is None:
            return
        step = rollup.response_step(seconds)
        for cell in place.cells():
            self.responses[(*cell, step)] += sign

    def write(self) -> None:
        contractors = {cell[0] for cell in self.cells} | {key[0] for key in self.responses}
        if not contractors:
            return
        _hold(sorted(contractors))
        cells = [
            (*cell, *(sums[name] for name in rollup.COUNTS))
            for cell, sums in sorted(self.cells.items(), key=_order)
            if any(sums.values())
        ]
        _upsert(
            AnalyticsCell, ["contractor_id", "grain", "start", "kind", "key"], rollup.COUNTS, cells
        )
        responses = [(*key, n) for key, n in sorted(self.responses.items(), key=_order) if n]
        _upsert(
            ResponseCount,
            ["contractor_id", "grain", "start", "kind", "key", "bucket"],
            ["count"],
            responses,
        )


def _order(item):
    key = item[0]
    return (key[0], key[1], str(key[2]), *key[3:])


def _hold(contractor_ids: list[int], *, exclusive: bool = False) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {function}(%s, id) FROM unnest(%s::int[]) AS id ORDER BY id",  # noqa: S608 - our function name
            [LOCK_SPACE, contractor_ids],
        )


def _upsert(model, key_fields: list[str], count_fields, rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n, in batches."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*key_fields, *count_fields]
    columns.insert(len(key_fields), "month")  # start's month: not in the key, never changes
    date_at = key_fields.index("start")
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    adding = ", ".join(
        f"{quote(f)} = {table}.{quote(f)} + excluded.{quote(f)}" for f in count_fields
    )
    with connection.cursor() as cursor:
        for first in range(0, len(rows), BATCH):
            batch = rows[first : first + BATCH]
            params = []
            for row in batch:
                start = row[date_at]
                params.extend(row[:date_at])
                params.append(connection.ops.adapt_datefield_value(start))
                params.extend(row[date_at + 1 : len(key_fields)])
                params.append(connection.ops.adapt_datefield_value(start.replace(day=1)))
                params.extend(row[len(key_fields) :])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                f"VALUES {', '.join([placeholders] * len(batch))} "
                f"ON CONFLICT ({', '.join(quote(f) for f in key_fields)}) DO UPDATE SET {adding}",
                params,
            )


# --- Where a purchase counts ---------------------------------------------------

PURCHASE_FIELDS = (
    "contractor_id",
    "contractor__timezone",
    "created_at",
    "offer__route",
    "lead__utm_source",
    "lead__zip_code__city",
    "lead__zip_code__state",
    "lead__category__slug",
)
BY_CALL = ExpressionWrapper(Q(offer__call_leg__isnull=False), output_field=BooleanField())


def _place(contractor_id, zone, moment, route, utm, city, state, slug, *, by_call=False):
    return rollup.Place(
        contractor_id=contractor_id,
        day=clock.local_date(zone, moment),
        source=rollup.source_key(route, utm, by_call=by_call),
        city=rollup.city_key(city, state),
        category=slug,
    )


def purchase_place(purchase_id: int, *, by_call: bool | None = None) -> rollup.Place:
    row = (
        Purchase.objects.filter(pk=purchase_id)
        .annotate(by_call=BY_CALL)
        .values_list(*PURCHASE_FIELDS, "by_call")
        .get()
    )
    *fields, called = row
    return _place(*fields, by_call=called if by_call is None else by_call)


# --- The events ----------------------------------------------------------------------------


def count_new_purchase(purchase: Purchase, *, by_call: bool | None = None) -> None:
    """A lead bought: counted as it stands (its outcome, at the moment it is made)."""
    changes = Changes()
    place = purchase_place(purchase.pk, by_call=by_call)
    changes.add(place, _purchase_counts(purchase))
    first = purchase.attempts.aggregate(first=Min("attempted_at"))["first"]
    changes.respond(place, rollup.response_seconds(purchase.created_at, first))
    changes.write()


def count_sale(purchase: Purchase) -> None:
    """accept_offer: the lead bought (no contact attempt yet). The offer it answered is not
    in the rollup: analytics counts offers live (leads/rollup.py)."""
    place = _place(*Purchase.objects.filter(pk=purchase.pk).values_list(*PURCHASE_FIELDS).get())
    changes = Changes()
    changes.add(place, _purchase_counts(purchase))
    changes.write()


def _purchase_counts(purchase: Purchase) -> dict[str, int]:
    return rollup.purchase_counts(
        price_cents=purchase.price_cents,
        booked=purchase.appointment_booked_at is not None,
        won=purchase.outcome == Purchase.Outcome.WON,
        won_value_cents=purchase.final_value_cents,
    )


def count_purchase_change(purchase_id: int, *, before: Purchase, after: Purchase) -> None:
    """A purchase's price, booking or win changed (credits are count_credit's)."""
    delta = rollup.difference(_purchase_counts(after), _purchase_counts(before))
    if delta:
        changes = Changes()
        changes.add(purchase_place(purchase_id), delta)
        changes.write()


def count_first_attempt(purchase: Purchase, *, before: datetime | None, after: datetime) -> None:
    """The purchase's first contact attempt was `before` (None: none) and is `after` now."""
    if before is not None and before <= after:
        return
    old = rollup.response_seconds(purchase.created_at, before)
    new = rollup.response_seconds(purchase.created_at, after)
    if old is not None and rollup.response_step(old) == rollup.response_step(new):
        return
    changes = Changes()
    place = purchase_place(purchase.pk)
    changes.respond(place, old, -1)
    changes.respond(place, new)
    changes.write()


def count_credit(purchase_id: int, amount_cents: int) -> None:
    """A credit (positive) or its reversal (negative) posted on a purchase: counted with
    the purchase, on its delivery day, whenever posted."""
    count_purchase_delta(purchase_id, {"credits_cents": amount_cents})


def count_purchase_delta(purchase_id: int, delta: dict[str, int]) -> None:
    """Add to a purchase's counts (a live call's fee charged, a credit)."""
    if any(delta.values()):
        changes = Changes()
        changes.add(purchase_place(purchase_id), delta)
        changes.write()


# --- The rebuild ---------------------------------------------------------------------------


@transaction.atomic
def rebuild_analytics(contractor: Contractor, *, read_credits: Callable[[], dict[int, int]]) -> int:
    """Recompute every cell of the contractor from the history (in their zone now);
    `read_credits` gives each purchase's net credits (credits/ knows the ledger's keys),
    read once the events wait. Returns the cells written."""
    _hold([contractor.pk], exclusive=True)
    contractor = Contractor.objects.get(pk=contractor.pk)  # its zone as of now
    credits = read_credits()
    AnalyticsCell.objects.filter(contractor=contractor).delete()
    ResponseCount.objects.filter(contractor=contractor).delete()
    changes = Changes()
    purchases = (
        Purchase.objects.filter(contractor=contractor)
        .annotate(by_call=BY_CALL, first=Min("attempts__attempted_at"))
        .values_list(
            "pk",
            *PURCHASE_FIELDS,
            "by_call",
            "price_cents",
            "appointment_booked_at",
            "outcome",
            "final_value_cents",
            "first",
        )
        .order_by()
    )
    for pk, *fields, by_call, price, booked, outcome, value, first in purchases.iterator(2000):
        place = _place(*fields, by_call=by_call)
        counts = rollup.purchase_counts(
            price_cents=price,
            booked=booked is not None,
            won=outcome == Purchase.Outcome.WON,
            won_value_cents=value,
            credits_cents=credits.get(pk, 0),
        )
        changes.add(place, counts)
        changes.respond(place, rollup.response_seconds(fields[2], first))
    changes.write()
    return len(changes.cells)

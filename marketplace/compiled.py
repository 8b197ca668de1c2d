"""ORM queries compiled once per process, then run with new values.

Building and compiling a rich queryset (subqueries, annotations, CASE) costs Django several
milliseconds of Python, often more than PostgreSQL takes to answer it. On a hot path (every
quote request) that is worth keeping: the query is written once, in the ORM, as everywhere
else; `CompiledQuery` builds it with stand-in values, remembers the SQL and where each
stand-in landed among the parameters, and runs that SQL again with the real ones.

A query whose shape depends on a value (a filter added only when a value is set) takes that
as part of its `shape` key. `build` must pass its values to the ORM as given. A value the
database takes in another form (a datetime on SQLite becomes text) is converted the same
way. A value that cannot be put back (never in the SQL, or also used changed, as "value%")
makes the query one that is built each time: it is compiled twice with different stand-ins,
and the two must differ only where the values go.

`prepared=True`: on PostgreSQL the statement is also kept by the server (a prepared
statement, per connection), so it is planned once, not on every run: planning a query with
several subqueries costs PostgreSQL many times running it. Only for a query that every plan
answers well whatever the values (equalities on selective indexes): after five runs
PostgreSQL may keep one generic plan, made without knowing them. Unless
DATABASE_PREPARED_STATEMENTS is false (config/settings.py).
"""

import itertools
from datetime import UTC, datetime, timedelta
from functools import cache

from django.db import connections

from .cursors import server_cursor

_counter = itertools.count(1)


def _stand_in(value, name: str):
    """A value of the same type, unlike any other stand-in (TypeError for a type without one:
    that query is built each time). A constant of the query equal to it by chance is told
    apart by the second compilation, whose stand-ins differ."""
    n = next(_counter)
    if isinstance(value, bool):
        raise TypeError(f"{name}: a bool changes a query's shape; pass it as the shape")
    if isinstance(value, str):
        return f"\x1fstand-in {n} {name}\x1f"
    if isinstance(value, int):
        # Within every integer column's range, even a positive small one: the ORM drops a
        # comparison with a value out of the column's range (always true or always false),
        # and the compiled SQL would lack it for the real value.
        return 10_000 + n % 20_000
    if isinstance(value, float):
        return -2_000_000_000.0 - n
    if isinstance(value, datetime):
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    raise TypeError(f"{name}: no stand-in for {type(value).__name__}")


class CompiledQuery:
    """`build(**values)` returns a `values_list` queryset; `rows(shape, **values)` runs it
    and returns its rows as tuples, compiling it once per shape and database; `sql(shape,
    **values)` gives its SQL and parameters, to run inside another statement."""

    def __init__(self, build, *, prepared: bool = False):
        self.build = build
        self.prepared = prepared
        self._compiled: dict = {}

    def sql(self, shape=(), *, using: str = "default", **values) -> tuple[str, list]:
        compiled = self._filled(shape, using, values)
        if compiled is None:  # could not be compiled apart from its values
            sql, params = self.build(**values).query.get_compiler(using).as_sql()
            return sql, list(params)
        return compiled

    def rows(self, shape=(), *, using: str = "default", **values) -> list[tuple]:
        compiled = self._filled(shape, using, values)
        if compiled is None:
            return list(self.build(**values).using(using))
        connection = connections[using]
        prepared = self.prepared and connection.vendor == "postgresql"
        with server_cursor(connection, prepare=True) if prepared else connection.cursor() as cursor:
            cursor.execute(*compiled)
            return cursor.fetchall()

    def _filled(self, shape, using: str, values: dict) -> tuple[str, list] | None:
        """(sql, params) with these values, or None for a query built each time."""
        key = (using, shape, tuple(sorted(values)))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using, values)
        if compiled is False:
            return None
        sql, params, slots = compiled
        connection = connections[using]
        params = list(params)
        for index, (name, adapt) in slots.items():
            params[index] = adapt(connection, values[name])
        return sql, params

    def _compile(self, using: str, values: dict):
        """(sql, params, slots), or False when the values cannot be put back into the SQL:
        built twice with different stand-ins, the two must differ only where a value goes
        in unchanged (a value also used transformed, as "value%", would leave a stand-in
        behind: then it is built each time)."""
        connection = connections[using]
        try:
            first, second = (
                {name: _stand_in(value, name) for name, value in values.items()} for _ in range(2)
            )
        except TypeError:
            return False
        (sql, params), (sql_again, params_again) = (
            self.build(**stand_ins).query.get_compiler(using).as_sql()
            for stand_ins in (first, second)
        )
        slots = {}
        for index, (param, param_again) in enumerate(zip(params, params_again, strict=True)):
            found = _slot(connection, first, param)
            if found is not None and found == _slot(connection, second, param_again):
                slots[index] = found
            elif param != param_again:
                return False  # a value changed on its way in
        if sql != sql_again or {name for name, _ in slots.values()} != set(values):
            return False
        return sql, tuple(params), slots


def _slot(connection, stand_ins: dict, param):
    """(name, adapt) of the stand-in this parameter is, as given or as the database takes it."""
    key = _hashable(param)
    if key is None:
        return None
    adapters = [_as_is, _as_datetime_field]
    if isinstance(param, int) and type(param) not in (int, bool):
        adapters.append(_as_int_type(type(param)))
    for name, stand_in in stand_ins.items():
        for adapt in adapters:
            if _hashable(adapt(connection, stand_in)) == key:
                return name, adapt
    return None


def _as_is(connection, value):
    return value


def _as_datetime_field(connection, value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return None


@cache
def _as_int_type(int_type):
    """An integer as the database layer wrapped it for its column (psycopg's Int4 for an
    IntegerField on PostgreSQL): one function per type, so two compilations agree."""

    def adapt(connection, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return int_type(value)
        return None

    return adapt


def _hashable(value):
    """A key for a parameter (None for one that cannot be a stand-in's)."""
    if value is None:
        return None
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value).__name__, value)

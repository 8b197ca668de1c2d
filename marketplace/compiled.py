"""ORM queries compiled once per process, then run with new values.

Building and compiling a rich queryset (subqueries, annotations, CASE) costs Django several
milliseconds of Python, often more than PostgreSQL takes to answer it. On a hot path (every
quote request, every routed lead) that is worth keeping: the query is written once, in the
ORM, as everywhere else; `CompiledQuery` builds it with stand-in values, remembers the SQL and
where each stand-in landed among the parameters, and runs that SQL again with the real ones.

A query whose shape depends on a value (a filter added only when a value is set) takes that
as part of its `shape` key. A value the compiler transforms on its way to the database (a
datetime on SQLite becomes text) is transformed the same way. If a stand-in cannot be found
among the parameters, the query is simply built and run each time.
"""

import itertools
from datetime import UTC, datetime, timedelta

from django.db import connections

_counter = itertools.count(1)


def _stand_in(value, name: str):
    """A value of the same type that nothing else in a query could be equal to."""
    n = next(_counter)
    if isinstance(value, bool):
        raise TypeError(f"{name}: a bool changes a query's shape; pass it as the shape")
    if isinstance(value, str):
        return f"\x1fstand-in {n} {name}\x1f"
    if isinstance(value, int):
        return -2_000_000_000 - n  # within even a 32-bit column's range
    if isinstance(value, datetime):
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    raise TypeError(f"{name}: no stand-in for {type(value).__name__}")


class CompiledQuery:
    """`build(**values)` returns a `values_list` queryset; `rows(shape, **values)` runs it
    and returns its rows as tuples, compiling it once per shape and database."""

    def __init__(self, build):
        self.build = build
        self._compiled: dict = {}

    def rows(self, shape=(), *, using: str = "default", **values) -> list[tuple]:
        key = (using, shape, tuple(sorted(values)))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using, values)
        if compiled is False:  # could not be compiled apart from its values
            return list(self.build(**values).using(using))
        sql, params, slots = compiled
        connection = connections[using]
        params = list(params)
        for index, (name, adapt) in slots.items():
            params[index] = adapt(connection, values[name])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _compile(self, using: str, values: dict):
        connection = connections[using]
        stand_ins = {name: _stand_in(value, name) for name, value in values.items()}
        queryset = self.build(**stand_ins)
        sql, params = queryset.query.get_compiler(using).as_sql()
        forms = {}
        for name, stand_in in stand_ins.items():
            for adapt in (_as_is, _as_datetime_field):
                form = _hashable(adapt(connection, stand_in))
                if form is not None:
                    forms.setdefault(form, (name, adapt))
        slots = {}
        for index, param in enumerate(params):
            found = forms.get(_hashable(param))
            if found is not None:
                slots[index] = found
        if {name for name, _ in slots.values()} != set(values):
            return False
        return sql, tuple(params), slots


def _as_is(connection, value):
    return value


def _as_datetime_field(connection, value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return None


def _hashable(value):
    """A key for a parameter (None for one that cannot be a stand-in's)."""
    if value is None:
        return None
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value).__name__, value)

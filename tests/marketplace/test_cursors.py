"""marketplace.cursors: values bound on the server, by a cursor Django still sees."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.cursors import server_cursor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's arrays"),
]


def test_binary_arrays_arrive_whole_and_the_statement_is_counted_and_wrapped():
    ids = list(range(1, 2001))
    names = [f'pro {n}, "quoted" {{braces}} \\ and \' quote' for n in ids]
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(wrapper):
        with server_cursor() as cursor:
            cursor.execute(
                "SELECT count(*), sum(i), max(n) FILTER (WHERE i = 7), %s "
                "FROM UNNEST(%b::bigint[], %b::text[], %b::timestamptz[]) AS r(i, n, t) "
                "WHERE t IS NULL",
                ["wave", ids, names, [None] * len(ids)],
            )
            assert cursor.fetchone() == (2000, sum(ids), names[6], "wave")
    assert len(captured) == 1 and len(seen) == 1  # query counts and wrappers see it

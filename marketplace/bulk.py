"""Statements that carry long arrays (a wave's thousand offers and their messages), with
those arrays sent in binary: the default cursor binds parameters as SQL text, and quoting
ten thousand array elements in Python cost routing about 5 ms per thousand pros."""

from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def binary_cursor():
    """A cursor of the default database (PostgreSQL only) that binds its parameters on the
    server: `%b` sends a value in binary, `%s` as psycopg chooses. Django's execute wrappers
    and query log see its statements as any other cursor's."""
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    try:
        if connection.queries_logged:
            yield connection.make_debug_cursor(raw)
        else:
            yield connection.make_cursor(raw)
    finally:
        raw.close()

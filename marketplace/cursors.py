"""Cursors that bind their parameters on the server (PostgreSQL only), wrapped as Django
wraps its own, so execute wrappers, query counts and the query log see their statements as
any other's. Django's own cursors bind on the client: every value becomes SQL text.

- `server_cursor()`: `%b` sends a value in binary. A wave's long arrays (a thousand contractor
  ids; two thousand message rows) cost about 5 ms per thousand pros to quote as text.
- `server_cursor(prepare=True)`: psycopg prepares each statement, so PostgreSQL plans it once
  per connection (marketplace/compiled.py's prepared queries). Unless
  DATABASE_PREPARED_STATEMENTS is false (config/settings.py): then it is simply run.
"""

import psycopg
from django.db import connection as default_connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def server_cursor(connection=None, *, prepare: bool = False):
    """A Django cursor over a psycopg cursor that binds on the server (use it in `with`)."""
    connection = connection or default_connection
    # What Django does before any cursor: one thread per connection, and a connection kept
    # from an earlier request or task checked (CONN_HEALTH_CHECKS) before it is used.
    connection.validate_thread_sharing()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = (_PreparingCursor if prepare else psycopg.Cursor)(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(raw, connection)
    return connection.make_cursor(raw)


class _PreparingCursor(psycopg.Cursor):
    """Asks psycopg to prepare every statement it runs. psycopg does so unless the
    connection prepares nothing (DATABASE_PREPARED_STATEMENTS false)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class _LoggedCursor(CursorDebugWrapper):
    """The query log's entry is the SQL as written (placeholders, not values): Django reads
    a statement's text back from psycopg, which keeps none of one bound on the server."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)

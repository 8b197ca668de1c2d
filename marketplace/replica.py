"""Reads that a read replica may serve: analytics and reports (DATABASE_REPLICA_URL).

`with replica_reads():` (or `@replica_reads()` on a view) marks the reads inside it as
ones that may come from the replica, a moment behind the primary: pages that only read
and summarise, never a read that decides a write. config.db_router sends them there when
a replica is configured; without one, and for every write, the primary answers. It lives
here, at the right end of the import chain, so any app may mark its reads.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_replica_reads = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads():
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reading_from_replica() -> bool:
    """Inside replica_reads()?"""
    return _replica_reads.get()

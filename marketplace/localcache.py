"""Process-local copies of the small tables every quote request reads (service categories,
the zip catalog, the block list), so intake asks neither the database nor the cache for
them each time.

Each copy has a version in the shared cache. A change bumps it after commit (the models'
save and delete signals, load_zip_catalog for its bulk writes), and every process drops
its copy when it sees a new version. Versions are read in one round trip: once per quote
request (`refresh()`), else before a use when the last read is older than CHECK_EVERY. With
the cache down, nothing is trusted and every lookup goes to the database.
"""

import logging
import secrets
import threading
import time

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds a version read is trusted outside a request that refreshed
MAX_AGE = 300.0  # seconds a copy is kept at most, whatever its version says


class LocalCopy:
    def __init__(self, name: str):
        self.name = name
        self.key = f"localcache-version:{name}"
        self.version = None
        self.loaded_at = 0.0
        self.data: dict = {}
        _COPIES.append(self)

    def get(self, key, load):
        """The cached value for `key`, from `load()` the first time; None is not kept (an
        unknown zip typed by a bot must not grow the copy)."""
        if time.monotonic() - _state.checked > CHECK_EVERY:
            refresh()
        if not _state.trusted:
            return load()
        data = self.data
        if key in data:
            return data[key]
        value = load()
        if value is not None:
            data[key] = value
        return value

    def invalidate(self) -> None:
        """Drop this process's copy now, and every other process's once this commits."""
        self.data = {}

        def bump():
            self.data = {}
            try:
                cache.set(self.key, _new_version(), None)
            except Exception:  # noqa: BLE001 - cache down: copies are not trusted then
                logger.exception("Could not bump the version of %s", self.name)

        transaction.on_commit(bump)

    def invalidate_on_change(self, sender, **kwargs) -> None:
        """A save or delete signal's receiver."""
        self.invalidate()


_COPIES: list[LocalCopy] = []


class _State(threading.local):
    checked = 0.0
    trusted = False


_state = _State()


def _new_version() -> int:
    # An int: Django's Redis cache stores it as is, so a pipeline can read it (version_keys).
    return secrets.randbits(62)


def version_keys() -> list[str]:
    """The cache keys of the versions, for a caller that reads them in its own round trip
    and passes them to refresh()."""
    return [copy.key for copy in _COPIES]


def refresh(versions: dict | None = None) -> None:
    """Read every copy's version in one round trip (or take `versions`, read by the
    caller); drop the copies that changed."""
    now = time.monotonic()
    keys = [copy.key for copy in _COPIES]
    try:
        if versions is None:
            versions = cache.get_many(keys)
        versions = {key: value for key, value in versions.items() if value is not None}
        missing = [key for key in keys if key not in versions]
        if missing:  # the cache was emptied: start new versions (rare)
            for key in missing:
                cache.add(key, _new_version(), None)
            versions = cache.get_many(keys)
    except Exception:  # noqa: BLE001 - cache down: answer from the database
        logger.warning("Cache unavailable: local copies are not used")
        _state.trusted = False
        _state.checked = now
        return
    for copy in _COPIES:
        version = versions.get(copy.key)
        if version is None or version != copy.version or now - copy.loaded_at > MAX_AGE:
            copy.data = {}
            copy.version = version
            copy.loaded_at = now
    _state.trusted = True
    _state.checked = now


def clear() -> None:
    """Forget every copy (tests: each test has its own database)."""
    for copy in _COPIES:
        copy.data = {}
        copy.version = None
    _state.checked = 0.0
    _state.trusted = False


categories = LocalCopy("categories")
zips = LocalCopy("zips")
blocked_contacts = LocalCopy("blocked-contacts")

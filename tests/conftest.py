import importlib
import os
import pkgutil
from collections import defaultdict
from datetime import UTC, datetime
from functools import cache

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache as django_cache
from django.db import connection
from django.db.models import Q
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.celery import app as celery_app
from marketplace import localcache
from marketplace.models import ZipCode

from . import parallel
from .factories import ContractorFactory, ServiceCategoryFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Real zips around the demo metros: enough geography for radius tests without the whole
# 42,000-row catalog in every test.
TEST_METROS = {"92101": (32.7194, -117.1628), "78701": (30.2713, -97.7426)}


@cache
def _metro_zip_rows() -> tuple[dict, ...]:
    import zipcodes

    from marketplace.queries import great_circle_miles

    rows = []
    for item in zipcodes.list_all():
        if not item["lat"]:
            continue
        lat, lon = float(item["lat"]), float(item["long"])
        if any(great_circle_miles(lat, lon, *c) <= 60 for c in TEST_METROS.values()):
            rows.append(
                dict(
                    code=item["zip_code"],
                    city=item["city"],
                    state=item["state"],
                    county=item["county"] or "",
                    latitude=lat,
                    longitude=lon,
                    timezone=item["timezone"] or "",
                    area_codes=",".join(item["area_codes"] or []),
                    kind=item["zip_code_type"],
                    active=bool(item["active"]),
                )
            )
    return tuple(rows)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Under pytest-xdist, each worker its own Redis databases, Celery broker folder and
    ports (tests/parallel.py), set before the worker's pytest loads the settings."""
    for index, spec in enumerate(specs):
        spec.env.update(parallel.worker_environment(index, os.environ))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_blocker,
    tmp_path_factory,
):
    """Under pytest-xdist on PostgreSQL, each worker's database is a copy of one migrated
    template, not migrated once per worker (tests/parallel.py)."""
    if (
        os.environ.get("PYTEST_XDIST_WORKER")
        and connection.vendor == "postgresql"
        and django_db_use_migrations
        and not django_db_keepdb
    ):
        shared = tmp_path_factory.getbasetemp().parent  # the run's, above each worker's
        with parallel.template_database(connection, shared, django_db_blocker):
            yield
    else:
        yield


@pytest.fixture(autouse=True, scope="session")
def _flush_with_delete():
    """A transactional test ends by emptying every table (Django's flush). PostgreSQL's
    TRUNCATE makes new files for each of the ~60 tables and their indexes: about a second,
    each time. DELETE empties the few rows a test wrote in a few milliseconds; every foreign
    key is checked at commit (Django makes them DEFERRABLE INITIALLY DEFERRED), when all
    the rows are gone. Sequence resets and partial flushes (CASCADE) keep TRUNCATE."""
    if connection.vendor != "postgresql":
        yield
        return
    operations = type(connection.ops)
    truncate = operations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {self.quote_name(t)};" for t in tables]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "sql_flush", sql_flush)
        yield


@pytest.fixture
def metro_zips(db):
    """Real catalog rows within 60 miles of San Diego 92101 and Austin 78701."""
    ZipCode.objects.bulk_create(
        [ZipCode(**row) for row in _metro_zip_rows()], ignore_conflicts=True
    )
    return ZipCode.objects.filter(code__in=[r["code"] for r in _metro_zip_rows()])


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Tests render templates without collectstatic, and hash passwords fast."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _session_name(item, phase: str) -> str:
    path, _, test = item.nodeid.partition("::")  # a parameter's id may hold a "/"
    return f"{phase} {path.rsplit('/', 1)[-1]}::{test}"[:63]


# Every PostgreSQL session opened while a test is set up, run or torn down (by its fixtures,
# module- and session-wide ones included, its threads or its Celery workers) carries the
# test's name, through libpq's PGAPPNAME: a session left open at the end of the run is
# named with its test in tests/parallel.py's warning, not found by bisecting the suite.
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    os.environ["PGAPPNAME"] = _session_name(item, "setup")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    os.environ["PGAPPNAME"] = _session_name(item, "call")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item):
    os.environ["PGAPPNAME"] = _session_name(item, "teardown")


@pytest.fixture(autouse=True)
def _isolated_cache():
    django_cache.clear()
    localcache.clear()  # each test has its own database
    yield
    django_cache.clear()
    localcache.clear()


@pytest.fixture(autouse=True)
def _eager_celery():
    """Unit tests run tasks in-process; the worker test turns this off to use the broker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False)
    return time_machine


@pytest.fixture
def plumbing(db):
    return ServiceCategoryFactory(name="Plumbing", slug="plumbing", typical_job_value_cents=45_000)


@pytest.fixture
def contractor(db, plumbing):
    return ContractorFactory(user__email="alice@example.com", business_name="Alice Plumbing")


@pytest.fixture
def other_contractor(db, plumbing):
    return ContractorFactory(user__email="bob@example.com", business_name="Bob Builders")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def contractor_api(contractor):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=contractor.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def contractor_client(client, contractor):
    client.force_login(contractor.user)
    return client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failure: CI installs every service and browser."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped under CI=true, which must run every test: {report.longrepr}"


@cache
def _staff_group_grants() -> dict[str, set[tuple[str, str]]]:
    """What our migrations grant each staff group: (app label, codename) pairs from
    marketplace's 0003_staff_groups and every migration with a GROUP_PERMISSIONS dict, found
    by name, so a new one is never left out."""
    grants = defaultdict(set)
    marketplace_groups = importlib.import_module("marketplace.migrations.0003_staff_groups")
    for name, perms in marketplace_groups.GROUPS.items():
        grants[name].update(perms)
    for app_label in ["marketplace", "billing", "territories", "leads", "calls", "credits"]:
        package = importlib.import_module(f"{app_label}.migrations")
        for migration in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
            module = importlib.import_module(f"{app_label}.migrations.{migration}")
            for name, codenames in getattr(module, "GROUP_PERMISSIONS", {}).items():
                grants[name].update((app_label, codename) for codename in codenames)
    return grants


@pytest.fixture
def staff_groups(db):
    """The staff groups and their permissions as the migrations create them; transactional
    tests flush migration data, so tests that need the groups ask for this. The permissions
    themselves are there: migrate and every flush create them (post_migrate)."""
    for name, perms in _staff_group_grants().items():
        wanted = Q()
        for app_label, codename in perms:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(wanted))
        assert len(permissions) == len(perms), f"{name}: a granted permission does not exist"
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)

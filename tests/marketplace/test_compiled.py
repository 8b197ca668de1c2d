"""marketplace.compiled: a query compiled once answers exactly as the ORM built each time."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from leads.services import intake
from marketplace.compiled import CompiledQuery
from marketplace.models import Contractor, ServiceCategory, ZipCode
from tests.factories import ContractorFactory, LeadFactory

pytestmark = pytest.mark.django_db


def _pros_since(*, name: str, since, limit: int):
    return (
        Contractor.objects.filter(Q(business_name=name) | Q(pk=limit))
        .filter(created_at__gte=since)
        .annotate(areas=Count("service_areas"))
        .order_by("pk")
        .values_list("pk", "areas")
    )


def test_a_compiled_query_answers_as_the_orm_for_every_set_of_values(metro_zips):
    pros = [ContractorFactory(business_name=f"{n} Plumbing") for n in ("Ace", "Best", "Ace")]
    compiled = CompiledQuery(_pros_since)
    now = timezone.now()
    for name, since, limit in [
        ("Ace Plumbing", now - timedelta(days=1), 0),
        ("Best Plumbing", now - timedelta(days=1), pros[0].pk),
        ("Ace Plumbing", now + timedelta(days=1), pros[1].pk),
        ("Zed", now - timedelta(days=1), 0),
    ]:
        values = {"name": name, "since": since, "limit": limit}
        assert compiled.rows(**values) == list(_pros_since(**values))
    assert all(entry is not False for entry in compiled._compiled.values())


def test_a_comparison_on_a_positive_integer_column_is_kept_for_every_value(metro_zips):
    """The ORM leaves out a comparison whose value is outside the column's range (a
    negative budget): a stand-in must not be one, or the compiled SQL would lack it."""
    pros = [ContractorFactory(monthly_budget_cents=cents) for cents in (100, 50_000)]

    def build(*, budget: int, min_cap: int):
        return (
            Contractor.objects.filter(pk__in=[p.pk for p in pros])
            .filter(monthly_budget_cents__gte=budget, daily_lead_cap__gte=min_cap)
            .order_by("pk")
            .values_list("pk")
        )

    compiled = CompiledQuery(build)
    for budget in (0, 100, 101, 50_000, 50_001):
        assert compiled.rows(budget=budget, min_cap=1) == list(build(budget=budget, min_cap=1))
    assert all(entry is not False for entry in compiled._compiled.values())


def test_a_value_the_sql_does_not_carry_as_given_is_built_each_time(plumbing):
    # `ignored` never reaches the SQL, and a prefix search sends "value%": neither can be
    # put back into compiled SQL, so such a query is built and run as the ORM does.
    for build in (
        lambda *, pk, ignored: ServiceCategory.objects.filter(pk=pk).values_list("slug"),
        lambda *, pk, ignored: ServiceCategory.objects.filter(
            pk=pk, slug__startswith=ignored
        ).values_list("slug"),
        # Used twice, once as given and once changed: the changed copy cannot be put back.
        lambda *, pk, ignored: (
            ServiceCategory.objects.filter(pk=pk)
            .filter(Q(slug=ignored) | Q(slug__startswith=ignored))
            .values_list("slug")
        ),
    ):
        compiled = CompiledQuery(build)
        assert compiled.rows(pk=plumbing.pk, ignored="plumb") == [("plumbing",)]
        assert compiled.rows(pk=plumbing.pk, ignored="zzz") == list(
            build(pk=plumbing.pk, ignored="zzz")
        )
        assert list(compiled._compiled.values()) == [False]


def test_a_prepared_query_answers_as_the_orm_and_is_kept_by_postgresql(metro_zips):
    pros = [ContractorFactory(business_name=f"{n} Plumbing") for n in ("Ace", "Best")]
    compiled = CompiledQuery(_pros_since, prepared=True)
    since = timezone.now() - timedelta(days=1)
    for _ in range(3):
        for pro in pros:
            values = {"name": pro.business_name, "since": since, "limit": 0}
            assert compiled.rows(**values) == list(_pros_since(**values))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            kept = [row[0] for row in cursor.fetchall()]
        assert any('"marketplace_contractor"' in statement for statement in kept), kept


def test_a_compiled_querys_sql_runs_inside_another_statement(metro_zips):
    pro = ContractorFactory(business_name="Ace Plumbing")
    compiled = CompiledQuery(_pros_since)
    sql, params = compiled.sql(name="Ace", since=timezone.now() - timedelta(days=1), limit=pro.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({sql})", params)
        assert cursor.fetchone()[0] in (True, 1)
    assert list(compiled._compiled.values()) != [False]


def test_intakes_duplicate_check_is_compiled_and_finds_the_earlier_lead(metro_zips, plumbing):
    downtown = ZipCode.objects.get(code="92101")
    earlier = LeadFactory(
        zip_code=downtown, category=plumbing, phone="+16195550111", email="dana@example.com"
    )
    for email in ("DANA@example.com", ""):  # both shapes: with an email and without
        for covered in (None, True):  # the coverage read with it, or known already
            found = intake._earlier_and_coverage(
                phone="+16195550111",
                email=email,
                category=plumbing,
                zip_code=downtown,
                covered=covered,
            )
            assert found == (earlier.pk, True, covered is True)
    assert intake._earlier_and_coverage(
        phone="+16195550999", email="", category=plumbing, zip_code=downtown
    ) == (None, False, False)
    assert intake._EARLIER._compiled and intake._EARLIER.prepared
    assert all(entry is not False for entry in intake._EARLIER._compiled.values())

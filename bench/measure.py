"""What the bench counts and how it summarises: statistics, ratio lines, and the counters of
SQL statements, Redis round trips and history rows one request costs."""

import contextlib
import math
import statistics
from dataclasses import dataclass, field

import redis.client
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from simple_history.models import HistoricalChanges


def percentile(values, q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def p95(values) -> float:
    return percentile(values, 95)


@dataclass
class Series:
    """Samples of one thing, kept by round, so ratios can be taken round by round."""

    name: str
    rounds: list[list[float]] = field(default_factory=list)

    def new_round(self) -> None:
        self.rounds.append([])

    def add(self, value: float) -> None:
        if not self.rounds:
            self.new_round()
        self.rounds[-1].append(value)

    @property
    def values(self) -> list[float]:
        return [v for r in self.rounds for v in r]

    def describe(self, unit: str = "ms", scale: float = 1000) -> str:
        v = self.values
        return (
            f"{self.name}: n={len(v)} median {statistics.median(v) * scale:.1f} {unit}, "
            f"p95 {p95(v) * scale:.1f} {unit}"
        )


@dataclass
class Ratio:
    """subject / baseline: `value` over all samples, `per_round` the same ratio in each
    round of interleaved samples (its lowest and highest are the spread)."""

    label: str
    value: float
    per_round: list[float]
    target: float
    higher_is_better: bool = False

    @property
    def ok(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def line(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        spread = f"{min(self.per_round):.2f}-{max(self.per_round):.2f}"
        return (
            f"{self.label}: {self.value:.2f}x (target {sign} {self.target:g}x; "
            f"rounds {spread}) {'OK' if self.ok else 'OVER'}"
        )


def round_ratios(subject: Series, baseline: Series, stat=p95) -> list[float]:
    return [
        stat(s) / stat(b) for s, b in zip(subject.rounds, baseline.rounds, strict=True) if s and b
    ]


# --- Counters -------------------------------------------------------------------------------


@dataclass
class RedisCount:
    round_trips: int = 0
    commands: int = 0
    names: list[str] = field(default_factory=list)


@contextlib.contextmanager
def count_redis():
    """Count what this process sends to Redis (cache, rate limits, the Celery broker): a
    command is one round trip, a pipeline is one round trip carrying several commands."""
    found = RedisCount()
    single = redis.client.Redis._execute_command
    immediate = redis.client.Pipeline.immediate_execute_command
    execute = redis.client.Pipeline.execute

    def count_single(self, *args, **options):
        found.round_trips += 1
        found.commands += 1
        found.names.append(str(args[0]))
        return single(self, *args, **options)

    def count_immediate(self, *args, **options):
        found.round_trips += 1
        found.commands += 1
        found.names.append(str(args[0]))
        return immediate(self, *args, **options)

    def count_pipeline(self, *args, **options):
        stack = len(self.command_stack)
        if stack:
            found.round_trips += 1
            found.commands += stack
            found.names.append(f"pipeline({stack})")
        return execute(self, *args, **options)

    redis.client.Redis._execute_command = count_single
    redis.client.Pipeline.immediate_execute_command = count_immediate
    redis.client.Pipeline.execute = count_pipeline
    try:
        yield found
    finally:
        redis.client.Redis._execute_command = single
        redis.client.Pipeline.immediate_execute_command = immediate
        redis.client.Pipeline.execute = execute


def history_models() -> list:
    return [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]


def history_rows() -> int:
    """Every django-simple-history row in the database."""
    return sum(m.objects.count() for m in history_models())


@dataclass
class RequestCost:
    queries: int
    redis_round_trips: int
    redis_commands: int
    history_rows: int
    status: int
    sql: list[str] = field(default_factory=list)
    redis: list[str] = field(default_factory=list)


def request_cost(send) -> RequestCost:
    """What `send()` (one request through Django's test client, in this process, after-commit
    work included: the tasks it publishes) costs in SQL statements, Redis round trips and
    history rows."""
    before = history_rows()
    with CaptureQueriesContext(connection) as queries, count_redis() as sent:
        response = send()
    return RequestCost(
        queries=len(queries),
        redis_round_trips=sent.round_trips,
        redis_commands=sent.commands,
        history_rows=history_rows() - before,
        status=response.status_code,
        sql=[q["sql"][:160] for q in queries.captured_queries],
        redis=sent.names,
    )

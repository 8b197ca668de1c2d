"""Where the bench runs unless DATABASE_URL / REDIS_URL say otherwise: its own database
(dropped and created again by every run) and its own Redis databases (10, the cache 11)."""

BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fairlead_bench"
BENCH_REDIS_URL = "redis://127.0.0.1:6379/10"
BENCH_SECRET_KEY = "bench-only-secret-key-never-used-in-production-0123456789abcdef"

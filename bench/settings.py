"""Settings for the bench's own gunicorn, Celery worker and in-process measurements.

The project's settings, production-like (DEBUG off, PostgreSQL, Redis), on the bench's own
database and Redis databases, plus the bench app (the baseline view and task). Only what a
laptop cannot have differs from production: plain HTTP, email kept in memory (sending is
recorded exactly as with SMTP), and rate limits high enough for a load test (the limiter
still runs and counts, per visitor address from X-Forwarded-For as behind a proxy).
"""

import os

from bench.defaults import BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_SECRET_KEY

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
os.environ.setdefault("REDIS_URL", BENCH_REDIS_URL)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings import *  # noqa: E402, F403
from config.settings import INSTALLED_APPS, STORAGES  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]  # testserver: in-process counts
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# No collectstatic on a fresh clone; pages name their assets the same way either way.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PROXY_COUNT = 1
INTAKE_RATE_LIMIT = "10000000/h"
CALL_SIMULATOR = False

"""Fairlead settings: one module, configured from the environment.

The defaults are the embedded set-up (SQLite, Celery's filesystem broker, console
email) so `make run` needs nothing but Python. Production differs only by
environment variables; README.md lists them.
"""

import hashlib
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# Local overrides (make run writes one); variables already in the environment win.
ENV_FILE = Path(env("FAIRLEAD_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL used in emails and SMS, where there is no request to build it from. Unset,
# it is the local server `make run` starts (PORT, exported to every process as WEB_PORT), so
# a second checkout on another port gets links to itself.
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env('WEB_PORT', default='8000')}")
SITE_URL = SITE_URL.rstrip("/")
# What emails call the site ("Hello from Fairlead!"); django.contrib.sites is not installed.
SITE_NAME = "Fairlead"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "allauth",
    "allauth.account",
    "axes",
    "simple_history",
    "marketplace",
    "billing",
    "territories",
    "leads",
    "calls",
    "credits",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: a NUL would be a 500 on PostgreSQL.
    "marketplace.nul.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "marketplace.middleware.AttributionMiddleware",
    "marketplace.middleware.TimeZoneMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers and one writer overlap, and
    # IMMEDIATE transactions take the write lock up front instead of failing on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A covering index's extra columns (INCLUDE, leads.Offer's offer_shown_keys_idx) are for
    # PostgreSQL's index-only scans; SQLite builds the index without them, as it should.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    SILENCED_SYSTEM_CHECKS = []
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: every query here is short, and compiling one costs more than it
    # saves (routing a lead to a thousand pros spent 60-115 ms compiling, 50 ms running).
    # Behind PgBouncer, which refuses startup options, set DATABASE_JIT_OFF=false and turn
    # it off on the role instead: ALTER ROLE fairlead SET jit = off.
    DATABASE_JIT_OFF = env.bool("DATABASE_JIT_OFF", default=True)
    # Queries compiled with prepared=True (marketplace/compiled.py: intake's duplicate check)
    # are prepared on the server, so PostgreSQL plans them once per connection; psycopg
    # prepares no other statement by itself. Behind a PgBouncer in transaction mode that
    # does not keep prepared statements (before 1.21, or max_prepared_statements 0), set
    # DATABASE_PREPARED_STATEMENTS=false.
    DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)


def _postgres_options(database: dict) -> None:
    """A PostgreSQL connection's options: `-c jit=off` added to any it has; and statements
    prepared only when asked (`prepare=True`), never after a number of runs. Django turns
    preparing off altogether (None)."""
    options = database.setdefault("OPTIONS", {})
    given = options.get("options", "")
    if DATABASE_JIT_OFF and "jit" not in given:
        options["options"] = f"{given} -c jit=off".strip()
    if DATABASE_PREPARED_STATEMENTS:
        options.setdefault("prepare_threshold", sys.maxsize)


if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    _postgres_options(DATABASES["default"])
# A read replica of the primary (PostgreSQL streaming replication) serves analytics and
# reports: the reads marked with marketplace.replica.replica_reads (config/db_router.py).
# Without it, everything reads from the primary. Tests mirror it onto the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].update(
        CONN_MAX_AGE=DATABASES["default"].get("CONN_MAX_AGE", 0),
        CONN_HEALTH_CHECKS=True,
        TEST={"MIRROR": "default"},
    )
    _postgres_options(DATABASES["replica"])
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # The cache gets its own database, next to the broker's: clearing it (tests, ops)
    # must never drop queued tasks.
    _broker = urlsplit(REDIS_URL)
    _cache_db = int(_broker.path.strip("/") or 0) + 1
    REDIS_CACHE_URL = env(
        "REDIS_CACHE_URL", default=urlunsplit(_broker._replace(path=f"/{_cache_db}"))
    )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "fairlead",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # django-ratelimit warns that a per-process cache counts per process; acceptable for
    # the single-process embedded set-up, which is not a production configuration.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001", "django_ratelimit.E003"]

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "marketplace.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out login never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "leads:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "marketplace:home"

ACCOUNT_ADAPTER = "marketplace.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Fairlead] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# django-axes throttles failed logins (below); allauth's own counter would answer first.
ACCOUNT_RATE_LIMITS = {"login_failed": None}

# Failed log-ins (browser form and API token) are throttled three ways (marketplace/logins.py):
# per email + IP by django-axes; per account (the email, from any address) after more
# failures, each lock twice as long as the last, the owner emailed a reset link; per IP
# across every email. django-axes compares one limit with the largest of its counters and
# forgets them after its cool-off, so the other two are our own rows, plugged in as its handler.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "marketplace.adapters.LoginGuardHandler"
AXES_USERNAME_CALLABLE = "marketplace.adapters.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "marketplace.adapters.lockout_response"
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=10)
LOGIN_ACCOUNT_WINDOW = timedelta(hours=env.int("LOGIN_ACCOUNT_WINDOW_HOURS", default=24))
LOGIN_ACCOUNT_COOLOFF = timedelta(minutes=env.int("LOGIN_ACCOUNT_COOLOFF_MINUTES", default=15))
LOGIN_ACCOUNT_COOLOFF_MAX = timedelta(hours=env.int("LOGIN_ACCOUNT_COOLOFF_MAX_HOURS", default=24))
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=20)
LOGIN_IP_WINDOW = timedelta(minutes=env.int("LOGIN_IP_WINDOW_MINUTES", default=60))
LOGIN_IP_COOLOFF = timedelta(minutes=env.int("LOGIN_IP_COOLOFF_MINUTES", default=60))
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "marketplace.http.client_ip"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Fairlead <no-reply@fairlead.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Payments and messaging (an integration is on when its keys are set) -------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# The one currency balances are kept in (DESIGN, Money): money Stripe reports in any other
# is never credited; it waits for finance (billing.models.UnmatchedPayment).
STRIPE_CURRENCY = "usd"
# A refund, dispute or payment_intent.succeeded whose Checkout completion has not arrived
# after this long is shown to finance as unmatched (it is still applied if it arrives).
STRIPE_UNMATCHED_AFTER = timedelta(minutes=env.int("STRIPE_UNMATCHED_AFTER_MINUTES", default=60))
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
# Where the twilio client sends its REST calls: Twilio itself, or a stand-in that speaks its
# API (a fake in the fault tests, a sandbox in staging).
TWILIO_API_URL = env("TWILIO_API_URL", default="https://api.twilio.com").rstrip("/")
# Without Twilio (a laptop's `make run`), the call simulator signs its webhook requests with
# a token derived from SECRET_KEY, accepted only with DEBUG on; never in production.
if DEBUG and not TWILIO_AUTH_TOKEN:
    TWILIO_AUTH_TOKEN = "simulator-" + hashlib.sha256(SECRET_KEY.encode()).hexdigest()[:32]

# --- Calls (calls/): Fairlead's tracking numbers, screened and forwarded live -------------
# How long a pro's phone rings before the next pro is tried.
CALL_RING_SECONDS = env.int("CALL_RING_SECONDS", default=20)
# A bridged call that lasts at least this long is qualified, and only then charged.
CALL_QUALIFIED_SECONDS = env.int("CALL_QUALIFIED_SECONDS", default=60)
# Record bridged calls (the greeting says so) for the pro and for credit reviews.
CALL_RECORDING = env.bool("CALL_RECORDING", default=True)
# How many pros a caller may be offered to, one after another, before the call ends with
# "a pro will call you back" (each rings up to CALL_RING_SECONDS).
CALL_MAX_PROS = env.int("CALL_MAX_PROS", default=3)
# The call simulator (calls/simulator.py) outside DEBUG: a staging site's choice. Its calls
# charge real balances, so production leaves it off.
CALL_SIMULATOR = env.bool("CALL_SIMULATOR", default=False)

# --- Celery ---------------------------------------------------------------------------------
CELERY_FS_DIR = BASE_DIR / env("CELERY_FS_DIR", default=str(VAR_DIR / "celery"))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control", "results"):
        (CELERY_FS_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "control_folder": str(CELERY_FS_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env(
        "CELERY_RESULT_BACKEND", default=f"file://{CELERY_FS_DIR / 'results'}"
    )
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Routing, waves and offer messages go to "<default queue>-fast" (celery-fast), which its
# own worker consumes (Procfile's worker-fast, docker-compose's worker-fast), so an offer
# never waits behind confirmation emails or reports (marketplace/tasking.py).
CELERY_TASK_ROUTES = ["marketplace.tasking.route_task"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged after it ran, and goes back on the queue if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker or beat that loses Redis keeps trying to reconnect (every 30 s at most) for as
# long as it takes, instead of exiting after 100 tries (about 45 minutes) and relying on a
# supervisor to start it again.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Celery's Django fixup closes every database connection before and after each task unless
# this is set: a new PostgreSQL backend for every task, whose cold caches cost routing about
# 20 ms. Workers keep their connection as web processes do instead (CONN_MAX_AGE, checked
# before reuse: config/celery.py), and still start a new one every this many tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "marketplace.tasks.record_heartbeat",
        "schedule": timedelta(minutes=1),
    },
    "route-unrouted-leads": {
        "task": "leads.tasks.sweep_unrouted_leads",
        "schedule": timedelta(minutes=1),
    },
    "sweep-notifications": {
        "task": "marketplace.tasks.sweep_notifications",
        "schedule": timedelta(minutes=1),
    },
    "forget-login-failures": {
        "task": "marketplace.tasks.forget_login_failures",
        "schedule": timedelta(hours=1),
    },
    "flag-overdue-credit-claims": {
        "task": "credits.tasks.flag_overdue_claims",
        "schedule": timedelta(minutes=15),
    },
    "invite-due-reviews": {
        "task": "leads.tasks.invite_due_reviews",
        "schedule": timedelta(hours=1),
    },
    "send-due-waves": {
        "task": "leads.tasks.send_due_waves",
        "schedule": timedelta(seconds=30),
    },
    "renew-subscriptions": {
        "task": "territories.tasks.renew_subscriptions",
        "schedule": timedelta(minutes=15),
    },
    "flag-unmatched-stripe-events": {
        "task": "billing.tasks.flag_unmatched_stripe_events",
        "schedule": timedelta(minutes=15),
    },
    "renew-memberships": {
        "task": "billing.tasks.renew_memberships",
        "schedule": timedelta(minutes=15),
    },
    "rebuild-analytics": {
        "task": "credits.tasks.rebuild_analytics",
        "schedule": crontab(hour=9, minute=41),  # after the star scores, night across the US
    },
    "recompute-star-scores": {
        "task": "leads.tasks.recompute_star_scores",
        "schedule": crontab(hour=9, minute=17),  # 09:17 UTC: night across the US
    },
    "expire-offers-and-leads": {
        "task": "leads.tasks.expire_offers_and_leads",
        "schedule": timedelta(minutes=1),
    },
    "settle-stale-calls": {
        "task": "calls.tasks.settle_stale_calls",
        "schedule": timedelta(minutes=1),
    },
}
# When the broker is down, give up publishing quickly: the request is answered and a
# sweep re-sends the work later, instead of the homeowner waiting on retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a request without credentials then gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested beyond 32 levels is a 400, not a RecursionError (marketplace.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "marketplace.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "marketplace.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["marketplace.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "marketplace.schema.AutoSchema",
    "EXCEPTION_HANDLER": "marketplace.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fairlead API",
    "DESCRIPTION": "Lead marketplace for home-service contractors. Money is integer cents "
    '(`*_cents`), times are ISO 8601 UTC, errors are `{"field": ["message"]}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # marketplace.converters.IdConverter: a row id, an integer as Django's <int:> would be.
    "PATH_CONVERTER_OVERRIDES": {"id": int},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.schema.add_error_responses",
    ],
}

# The audit trail is read only (marketplace.adminkit.HistoryAdmin): no "revert" button.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Security -------------------------------------------------------------------------------
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto, set TRUST_X_FORWARDED_PROTO=true.
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Fairlead -------------------------------------------------------------------------------
# A heartbeat older than this means no worker or no beat is running (see /health/).
HEARTBEAT_MAX_AGE = timedelta(minutes=env.int("HEARTBEAT_MAX_AGE_MINUTES", default=5))

# Marketplace waves: minutes after a lead opens that elite, pro and base members see it.
WAVE_DELAYS_MINUTES = [int(m) for m in env.list("WAVE_DELAYS_MINUTES", default=["0", "10", "20"])]

# Pros whose star score (leads/scoring.py: reviews, recent ones weighing more, and speed of
# first contact), unrounded, is below this get no marketplace leads; pros without a review
# yet have no score and are not held back. Territory and profile leads are not gated.
STAR_SCORE_THRESHOLD = env.int("STAR_SCORE_THRESHOLD", default=80)

# A message claimed for sending longer ago than this, and neither sent nor failed, lost its
# worker (killed mid-send) and is queued again by the sweep. Keep it above the task time
# limit (CELERY_TASK_TIME_LIMIT, 5 minutes), so a send still in progress is never taken.
NOTIFICATION_STUCK_AFTER = timedelta(
    minutes=env.int("NOTIFICATION_STUCK_AFTER_MINUTES", default=10)
)
# A provider outage outlasting the task's quick retries: the message is kept and tried again,
# further apart, for this long from when it was written, then failed for ops to see.
NOTIFICATION_GIVE_UP_AFTER = timedelta(
    hours=env.int("NOTIFICATION_GIVE_UP_AFTER_HOURS", default=24)
)

# How long a contractor has to accept an offer, and a lead to find its pros.
OFFER_TTL_MINUTES = env.int("OFFER_TTL_MINUTES", default=60)
LEAD_TTL_HOURS = env.int("LEAD_TTL_HOURS", default=48)

# How often the Offers page and the notification badge refresh themselves.
DASHBOARD_POLL_SECONDS = env.int("DASHBOARD_POLL_SECONDS", default=30)

# Quote requests per IP (django-ratelimit syntax), and the least seconds a person takes.
INTAKE_RATE_LIMIT = env("INTAKE_RATE_LIMIT", default="20/h")
INTAKE_MIN_FILL_SECONDS = env.int("INTAKE_MIN_FILL_SECONDS", default=3)
# Open leads that routing has not taken after this long are sent again (broker was down…).
ROUTING_SWEEP_AFTER = timedelta(minutes=env.int("ROUTING_SWEEP_AFTER_MINUTES", default=2))
# django-ratelimit keys "ip" on the same client address as django-axes.
RATELIMIT_IP_META_KEY = "marketplace.http.ratelimit_ip"
RATELIMIT_FAIL_OPEN = True

# Credit policy (credits/policy.py): the claim window, the first-call window of the
# non-contact schedule, and the review target in business days.
CREDIT_CLAIM_WINDOW_DAYS = env.int("CREDIT_CLAIM_WINDOW_DAYS", default=5)
CREDIT_FIRST_CALL_MINUTES = env.int("CREDIT_FIRST_CALL_MINUTES", default=15)
CREDIT_REVIEW_BUSINESS_DAYS = env.int("CREDIT_REVIEW_BUSINESS_DAYS", default=2)
# A contact attempt is evidence for the non-contact schedule only when it was logged this
# soon after it happened; later entries are kept and shown as "logged later".
CONTACT_ATTEMPT_LOG_WINDOW_MINUTES = env.int("CONTACT_ATTEMPT_LOG_WINDOW_MINUTES", default=120)


def _int_map(name: str, default: str) -> dict[str, int]:
    """An environment variable like "pro=4900,elite=14900" as {"pro": 4900, "elite": 14900}."""
    pairs = (item.split("=", 1) for item in env(name, default=default).split(",") if item)
    return {key.strip(): int(value) for key, value in pairs}


# Exclusive territories (territories/pricing.py). The monthly fee of a (zip, category) is
# TERRITORY_FEE_PERCENT of the job value it is expected to bring in a month (its leads of
# the last 12 months, at least TERRITORY_MIN_MONTHLY_LEADS), times the demand index,
# never below the floor. Volume discounts are "zips=percent" pairs.
TERRITORY_FEE_PERCENT = env.int("TERRITORY_FEE_PERCENT", default=5)
TERRITORY_MIN_MONTHLY_LEADS = env.int("TERRITORY_MIN_MONTHLY_LEADS", default=1)
TERRITORY_FEE_FLOOR_CENTS = env.int("TERRITORY_FEE_FLOOR_CENTS", default=2_900)
TERRITORY_VOLUME_DISCOUNTS = _int_map("TERRITORY_VOLUME_DISCOUNTS", "5=10,10=15")
TERRITORY_EXTRA_CATEGORY_DISCOUNT_PERCENT = env.int(
    "TERRITORY_EXTRA_CATEGORY_DISCOUNT_PERCENT", default=20
)
# The fee per qualified lead delivered through a territory, by category slug ("default"
# for the rest), instead of the marketplace's 1%.
TERRITORY_LEAD_FEE_CENTS = _int_map("TERRITORY_LEAD_FEE_CENTS", "default=1500")
if "default" not in TERRITORY_LEAD_FEE_CENTS or min(TERRITORY_LEAD_FEE_CENTS.values()) < 1:
    # Every delivered lead is a purchase with its ledger entry, so a fee is never zero.
    raise ImproperlyConfigured(
        "TERRITORY_LEAD_FEE_CENTS needs a default and fees of at least 1 cent, "
        'e.g. "default=1500,roofing=3000".'
    )
# How long the territory's subscriber alone may accept a lead before the marketplace.
TERRITORY_WINDOW_MINUTES = env.int("TERRITORY_WINDOW_MINUTES", default=15)
# A renewal the balance cannot pay: days before the territory (or tier) is let go.
SUBSCRIPTION_GRACE_DAYS = env.int("SUBSCRIPTION_GRACE_DAYS", default=3)
# Monthly membership fees by tier; the tier sets the marketplace wave.
MEMBERSHIP_FEES_CENTS = _int_map("MEMBERSHIP_FEES_CENTS", "base=0,pro=4900,elite=14900")

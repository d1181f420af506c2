"""Tidu settings, read from the environment (django-environ).

The embedded default is a SQLite file with Celery running tasks in-process; production sets
DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis). Every variable is documented in .env.example.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
SECRET_KEY_FROM_ENVIRONMENT = bool(SECRET_KEY)
if not SECRET_KEY:
    # Commands that serve nothing (migrate, makemigrations, workers) run with a throwaway key; serving
    # without DEBUG refuses to start (config/wsgi.py) and `check --deploy` fails (tracker/checks.py).
    SECRET_KEY = "insecure-" + secrets.token_urlsafe(32)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "simple_history",
    "django_celery_beat",
    "tracker",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "api.middleware.no_store_middleware",
    # Last, as django-axes requires: it turns a lockout raised during login into its response.
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
                "tracker.admin.reports.report_dashboard",  # lazy: only the admin home reads it
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'tidu.sqlite3'}")}
# A web or worker process keeps its database connection between requests and tasks (checked before
# reuse): opening a PostgreSQL connection costs more than an API lookup's seven queries together.
# 0 closes it after every request, as Django does by default.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a demo recompute writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["timeout"] = 30
    # The metrics' (fiscal year, enterprise) index carries revenue for PostgreSQL's index-only
    # scans; SQLite builds it without, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.static.ManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploaded import files and the rejected-rows workbooks; served only through the admin (permission-checked).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filtersets.SearchFilter",
        "api.filtersets.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Counted in the default cache (CACHES below): shared by every process when CACHE_URL is Redis.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="6000/hour"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tidu (梯度) API",
    "DESCRIPTION": "Enterprise-tier cultivation tracker: enterprises, clusters, metrics, designations "
    "and eligibility. Money in CNY yuan (except *_usd); ratios are fractions 0–1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to swagger.io's online validator (the page works offline; the CSP would refuse it anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are JSON. The form parsers above serve the browsable API's HTML forms, whose
    # encodings cannot carry null, a list of objects or a typed boolean (an empty field is read as
    # null, an absent checkbox as false): they are not part of the documented contract.
    "PARSER_WHITELIST": ["api.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.request_decimals"],
    # Choice sets that share a field name with another resource's ("status", "kind"); the first two keep
    # the names integrators already generate clients from.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "tracker.models.designations.DesignationStatus",
        "KindEnum": "tracker.models.evaluation.EvaluationRun.Kind",
        "BatchStatusEnum": "tracker.models.batches.DesignationBatch.Status",
        "BatchKindEnum": "tracker.models.batches.DesignationBatch.Kind",
    },
}

# The default cache holds the API throttle counts. Without CACHE_URL it is per process (locmem): with
# several gunicorn workers each would count on its own, so production sets CACHE_URL to Redis.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL", backend="django.core.cache.backends.redis.RedisCache")}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tidu"}}

# Admin login lockout (django-axes): 5 failures for one username from one address lock that pair out
# for 30 minutes. The lockout page says so in Chinese (config/lockout.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner line at every start
# Attempts and lockouts are operated with axes' commands (docs/operations.md), not admin pages.
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# Behind nginx the client address is in X-Forwarded-For; without a proxy that header is the client's
# own invention (a way around the lockout), so only REMOTE_ADDR counts.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# Content-Security-Policy (django-csp) on every page: nothing from outside this site, no inline script
# (the Swagger UI's initialiser is served as a file: api/schema.py DocsView). Inline styles are
# allowed: the admin's widgets and Swagger UI set style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# API tokens (django-rest-knox, docs/accounts.md): hashed, named, expiring; `Authorization: Token …`.
KNOX_TOKEN_MODEL = "tracker.ApiToken"  # noqa: S105 (a model name, not a secret)
# Knox's migrations create its own token table even when the model is swapped out (as here); without
# them no such table exists (a stray one references auth_user and breaks the test database's flush).
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}

# Celery: without a broker, tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# Redis emulates acks with a visibility timeout: keep it well above the longest chunk, or a
# chunk still running is handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
# Two queues. The chunks of a full run (the nightly, the run after a new ruleset, a rebuild: 200 tasks
# at 1M enterprises, 2,000 at 10M) wait on "bulk"; what a person waits for (a save's run, an import,
# an export, a ruleset preview) and the reports on the default queue. A worker consumes both, by turns
# (the Redis transport moves the queue it last took from to the back), so a save waits behind at most
# one chunk per worker process rather than behind a whole run. `celery worker -Q bulk` makes a worker
# that takes only the bulk (docs/operations.md, "More hosts").
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("bulk"))

# Tidu's own knobs
TIDU = {
    # A near miss: at most MAX_FAILING failing criteria, each changeable and within TOLERANCE of its bar.
    "NEAR_MISS_TOLERANCE": env.float("TIDU_NEAR_MISS_TOLERANCE", default=0.15),
    "NEAR_MISS_MAX_FAILING": env.int("TIDU_NEAR_MISS_MAX_FAILING", default=2),
    "RECOMPUTE_CHUNK_SIZE": env.int("TIDU_RECOMPUTE_CHUNK_SIZE", default=5000),
    "REVIEW_DUE_DAYS": env.int("TIDU_REVIEW_DUE_DAYS", default=90),
    # Lifetime of a new API token unless the creator says otherwise (admin, `api_token create --days`).
    "API_TOKEN_DAYS": env.int("TIDU_API_TOKEN_DAYS", default=90),
    "BULK_QUEUE": "bulk",  # of CELERY_TASK_QUEUES: a full run's chunks
}

# Operations (issue 13): logs, metrics, heartbeats, health, the chunk attempt cap. One block, so that
# the branches that also edit this file merge cleanly.
import logging  # noqa: E402

from tracker.observability.logs import logging_config  # noqa: E402

# JSON lines on stdout (one object per line, with run_id/chunk_id on pipeline lines); text for DEBUG.
LOGGING = logging_config(
    fmt=env.str("LOG_FORMAT", default="text" if DEBUG else "json"), level=env.str("LOG_LEVEL", default="INFO")
)
# Python warnings become log lines too, so that every line a process writes is in that format.
logging.captureWarnings(True)
# Workers log through LOGGING above instead of Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# DatabaseScheduler plus a heartbeat and a lease: a second beat waits as a standby.
CELERY_BEAT_SCHEDULER = "tracker.observability.beat:LeasedDatabaseScheduler"
# Request latency by route (django-prometheus); /metrics is served by api.metrics.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
TIDU |= {
    # A chunk started this many times without finishing (killed, out of memory, past the hard time
    # limit, or failing) is given up and its run fails with the reason.
    "CHUNK_MAX_ATTEMPTS": env.int("TIDU_CHUNK_MAX_ATTEMPTS", default=3),
    # A worker or beat silent for longer is counted dead by /health/ and the metrics.
    "HEARTBEAT_STALE_SECONDS": env.int("TIDU_HEARTBEAT_STALE_SECONDS", default=60),
    # /health/ fails when the last nightly run finished longer ago than this (or failed).
    "HEALTH_NIGHTLY_MAX_AGE_HOURS": env.int("TIDU_HEALTH_NIGHTLY_MAX_AGE_HOURS", default=26),
    # Each worker serves its Prometheus metrics here (0: off); deploy/run gives instance N port + N - 1.
    "WORKER_METRICS_PORT": env.int("TIDU_WORKER_METRICS_PORT", default=0),
    "WORKER_METRICS_ADDRESS": env.str("TIDU_WORKER_METRICS_ADDRESS", default="127.0.0.1"),
    # A run that wrote at least this fraction of the results table is followed by ANALYZE (the rule
    # autovacuum uses, applied as soon as the run closes, and also where autovacuum is off).
    "ANALYZE_AFTER_FRACTION": env.float("TIDU_ANALYZE_AFTER_FRACTION", default=0.1),
}

# Tier reports (issue 11): the nightly reports and their email notices. One block, for clean merges.
TIDU |= {
    # Local time by which the night's reports must exist: a run not finished by then yields reports
    # from the previous run's results, marked as such (rebuilt when the run completes).
    "REPORT_DEADLINE": env.str("TIDU_REPORT_DEADLINE", default="07:30"),
    # The address the notice emails link to (the admin's report page is under it).
    "SITE_URL": env.str("TIDU_SITE_URL", default="http://127.0.0.1:8000"),
    # /health/'s "report" check fails when the last nightly report is older than this.
    "HEALTH_REPORT_MAX_AGE_HOURS": env.int("TIDU_HEALTH_REPORT_MAX_AGE_HOURS", default=26),
}
# Email: EMAIL_URL (smtp://user:password@host:587?tls=True …), or the EMAIL_* variables one by one;
# without either, messages are printed on the console (EMAIL_BACKEND can name the file backend).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tidu@localhost")

# Safe writes (issue 10): plausible dates and the API's If-Match. One block, for clean merges.
TIDU |= {
    # Dates staff enter (recognition, validity) and a run's as_of must lie between EARLIEST_DATE and
    # today plus YEARS_AHEAD years (a run: RUN_YEARS_AHEAD). 1800-01-01 or 9999-12-31 is a typing error.
    "EARLIEST_DATE": env.str("TIDU_EARLIEST_DATE", default="2000-01-01"),
    "DATES_YEARS_AHEAD": env.int("TIDU_DATES_YEARS_AHEAD", default=10),
    "RUN_YEARS_AHEAD": env.int("TIDU_RUN_YEARS_AHEAD", default=1),
    # When on, an API PUT/PATCH/DELETE of a versioned record without If-Match is answered 428.
    "REQUIRE_IF_MATCH": env.bool("TIDU_REQUIRE_IF_MATCH", default=False),
}

# Excel exports (issue 12): large lists are written by a worker. One block, for clean merges.
TIDU |= {
    # A changelist export of more rows than this is queued as a job: a worker writes the file and the
    # user follows its progress, then downloads it. Up to it, the response streams the file at once.
    "EXPORT_INLINE_MAX_ROWS": env.int("TIDU_EXPORT_INLINE_MAX_ROWS", default=200_000),
    # A finished export's file is deleted this many days after it was written (the job stays, as the
    # record of who exported what).
    "EXPORT_KEEP_DAYS": env.int("TIDU_EXPORT_KEEP_DAYS", default=7),
    # The soft time limit of one export job, in seconds (the hard limit follows by the same margin as
    # CELERY_TASK_TIME_LIMIT follows CELERY_TASK_SOFT_TIME_LIMIT). Keep it below CELERY_VISIBILITY_TIMEOUT.
    "EXPORT_TIME_LIMIT": env.int("TIDU_EXPORT_TIME_LIMIT", default=1800),
}

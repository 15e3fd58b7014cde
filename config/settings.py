"""Settings for Customer Groups, read from the environment.

A clean checkout runs with nothing set: SQLite under ``var/``, Celery on kombu's
``filesystem://`` transport under ``var/celery/``, local-memory cache, debug on.
Production sets ``DATABASE_URL``, ``CELERY_BROKER_URL`` (or ``REDIS_URL``),
``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and ``DJANGO_DEBUG=false``.
Every variable is listed in ``.env.example``.
"""

import base64
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-customer-groups-development-only"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not DEBUG:
    missing = [
        name
        for name, value in (
            ("DJANGO_SECRET_KEY", SECRET_KEY),
            ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off, so these environment variables must be set: "
            + ", ".join(missing)
            + ". See .env.example."
        )
else:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "django_countries",
    "django_celery_beat",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "customers",
    "engagement",
    "targeting",
    "notifications",
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
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.statement_timeout.StatementTimeoutMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "customers.context_processors.current_partner",
                "engagement.context_processors.segment_rules",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'customer_groups.sqlite3'}"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: compiling a statement costs 5–50 ms, and the dashboard's never
    # run long enough to win it back (6.3 ms of an 18 ms live estimate whose
    # membership probes made its estimated cost look large).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a Celery worker writes; the busy
    # timeout makes a writer wait for the other instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# PostgreSQL statement timeouts in seconds, per kind of process (0: none; see
# config/statement_timeout.py). Web processes answer a partner within
# seconds or not at all; a worker's recompute of a 1M-row app takes seconds,
# and the timeout stays under the recompute task's 15-minute soft time limit
# so a runaway statement fails cleanly in the database first. Commands
# (seed, import, benchmark) run without one.
WEB_STATEMENT_TIMEOUT = env.int("DATABASE_WEB_STATEMENT_TIMEOUT", default=5)
WORKER_STATEMENT_TIMEOUT = env.int("DATABASE_WORKER_STATEMENT_TIMEOUT", default=14 * 60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://customer-groups")
}
# With a cache every process shares (CACHE_URL at Redis or memcached), a
# request reads its session from the cache, not the database; a cache private
# to each process could keep serving a session another one ended.
_PROCESS_CACHES = ("LocMemCache", "DummyCache")
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"].endswith(_PROCESS_CACHES)
    else "django.contrib.sessions.backends.cached_db"
)

_PASSWORD_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_PASSWORD_VALIDATION}.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes), on /accounts/login/ and /admin/login/
# alike. Wrong passwords count per account (from any address) and per client
# address (across accounts): a list of lock-out parameters is an OR. An
# account at the limit is refused from every address, an address at the
# limit for every account, the right password too, until
# SIGN_IN_LOCKOUT_MINUTES after the last failed try (a try during the
# lock-out starts the wait again), or until support staff delete the
# attempts in the admin or run `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: it refuses a locked-out sign-in before the
    # password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "customers.views.sign_in_locked_out"
# Failed tries are kept (until the cool-off); successful sign-ins are not
# logged a second time (Django keeps each user's last_login).
AXES_DISABLE_ACCESS_LOG = True
# The client address is REMOTE_ADDR unless a reverse proxy is trusted to set
# a header: DJANGO_CLIENT_IP_HEADER names it (X-Forwarded-For, X-Real-IP…) and
# DJANGO_CLIENT_IP_PROXY_COUNT says how many proxies in front of Django
# append to it. The address the nearest of them saw is taken, counting from
# the right, so what a client writes into the header itself never counts.
# Off by default: without a proxy that sets the header, a client could set
# it and pass for any address.
_client_ip_header = env.str("DJANGO_CLIENT_IP_HEADER", default="")
if _client_ip_header:
    _client_ip_header = _client_ip_header.upper().replace("-", "_")
    if not _client_ip_header.startswith("HTTP_"):
        _client_ip_header = f"HTTP_{_client_ip_header}"
    AXES_IPWARE_META_PRECEDENCE_ORDER = (_client_ip_header, "REMOTE_ADDR")
    # django-ipware counts the proxies after the client inside the header:
    # the nearest proxy's own address is REMOTE_ADDR, not in the header.
    AXES_IPWARE_PROXY_COUNT = env.int("DJANGO_CLIENT_IP_PROXY_COUNT", default=1) - 1
    # Not strict: addresses a client prepends must not void the header.
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Numbers: templates group thousands with ``intcomma`` (or ``number_format``
# with ``force_grouping``), never everywhere: USE_THOUSAND_SEPARATOR would
# also group ids and coordinates written into URLs, form values and SVG.
# ``config/formats`` holds where our locales differ from Django's (the French
# thousands separator is CLDR's narrow no-break space, as Babel writes money).
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request bodies. The segment editor posts one field per chosen value of a
# list: its largest valid definition (20 OR statements x 20 filters, each a
# list of 100 of the 249 markets, with 4 more fields a filter and 8 for the
# page) is 41,608 fields, hence 45,000 (room for a few more fields a filter).
# tests/engagement/test_request_size.py fails if the editor needs more. The
# work stays bounded: Django reads a body once, linearly, and refuses it past
# 45,000 fields or 2.5 MB of field names and values (the editor's worst case
# holds 1.0 MB of them, a 3.5 MB multipart body read in 1.1 s of CPU). Part
# headers do not count towards the 2.5 MB but are at most 1 KB each: the most
# a client can make Django read is 44 MB in 1.6 s of CPU, cut to a fraction
# of that by the reverse proxy's body limit (README: 8 MB).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 45_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default: 2.5 MB

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# HTTPS: on by default when debug is off. Plain HTTP is redirected to HTTPS,
# except the health check, which load balancers probe over plain HTTP.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS is only sent on HTTPS responses; a year is what browsers' preload
# lists ask for. Preloading is a commitment the operator makes, so it is off
# unless asked for (and its deploy check, W021, is silenced meanwhile).
SECURE_HSTS_SECONDS = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# TLS terminated at a proxy: "HEADER,value", e.g. HTTP_X_FORWARDED_PROTO,https.
# Set it only when the proxy always sets (or strips) that header: a client
# could otherwise claim HTTPS on a plain connection.
_proxy_ssl_header = env.list("DJANGO_SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "DJANGO_SECURE_PROXY_SSL_HEADER must be HEADER,value, "
        "e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None

# E-mail, for password reset. EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.com:587; development prints e-mail to
# the console, production defaults to an SMTP server on localhost:25.
_email = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# A mail server that does not answer must not hold a web worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Customer Groups <no-reply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. The zero-setup broker is kombu's filesystem transport: messages are
# files under var/celery/, so `make run` needs no Redis. Production points
# CELERY_BROKER_URL (or REDIS_URL) at Redis.
_CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
_CELERY_PROCESSED_DIR = VAR_DIR / "celery" / "processed"
_CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str(
    "REDIS_URL", default="filesystem://"
)
# Redis transport options (README, "When the broker or a worker fails"):
# - visibility_timeout: Redis keeps a delivered task in its "unacked" set
#   until the worker acknowledges it (acks_late: after it ran) and hands it
#   to another worker once it is older than this. Kombu's default, one hour,
#   is how long a killed worker's recompute used to stall. It must exceed
#   the longest a task may legitimately stay unacknowledged, or Redis
#   redelivers a task that is still running: a recompute's hard time limit
#   (16 min) plus its longest retry countdown (10 min), both in
#   engagement/tasks/segments.py; the segment sweeper recovers most lost
#   tasks long before.
# - socket timeouts: a publish to a Redis that is down or stopped answering
#   fails in seconds (the sweeper sends it later) instead of holding the web
#   request. Measured: a stopped Redis refuses in ~0.3 s, a frozen one
#   (SIGSTOP) times out in ~5 s; without them a frozen Redis held the save
#   forever. An unreachable host costs at most three 3 s connects.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 30 * 60,
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in (_CELERY_QUEUE_DIR, _CELERY_PROCESSED_DIR, _CELERY_CONTROL_DIR):
        folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_CELERY_QUEUE_DIR),
        "data_folder_out": str(_CELERY_QUEUE_DIR),
        "processed_folder": str(_CELERY_PROCESSED_DIR),
        "store_processed": False,
        "control_folder": str(_CELERY_CONTROL_DIR),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
# A publish that fails is tried twice more, 0.25 s apart, then given up: the
# request is saved and the sweeper sends it (Celery's default waits longer
# between four attempts).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.25,
    "interval_max": 0.25,
}
# A segment whose requested recompute is not applied this long after the
# request is asked for again by the sweeper (engagement.services.membership).
# Longer than a task normally waits in the queue; short enough that a
# lost request shows within minutes.
SEGMENT_SWEEP_GRACE_SECONDS = env.int("SEGMENT_SWEEP_GRACE_SECONDS", default=300)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A line per request would be a line per toast posted to WNS.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# Product rules (product.md): the privacy floor of segments and the size cap
# of known user groups.
SEGMENT_MIN_SIZE = env.int("SEGMENT_MIN_SIZE", default=100)
KNOWN_USER_GROUP_MAX_EMAILS = env.int("KNOWN_USER_GROUP_MAX_EMAILS", default=10_000)
# The segment editor's live estimate: counted exactly up to this many available
# app customers, above it from a uniform sample of about this many of them,
# read further for a segment that might be above 1% of the app (README "Live
# estimates").
ESTIMATE_EXACT_MAX_ROWS = env.int("ESTIMATE_EXACT_MAX_ROWS", default=50_000)
ESTIMATE_SAMPLE_SIZE = env.int("ESTIMATE_SAMPLE_SIZE", default=20_000)
# The most an estimate reads: a 5% margin at 1% of the app takes ~152,000.
ESTIMATE_SAMPLE_MAX_SIZE = env.int("ESTIMATE_SAMPLE_MAX_SIZE", default=160_000)
# How long a sampled estimate is kept (in the cache, under its sample's
# version and the definition): a recompute or a new sample changes the key.
ESTIMATE_CACHE_SECONDS = env.int("ESTIMATE_CACHE_SECONDS", default=600)

# Push notifications (README "Notifications"). WNS's OAuth token endpoint:
# production's by default, the local stand-in (manage.py wns_standin, which
# make run starts) in development.
WNS_TOKEN_URL = env.str(
    "WNS_TOKEN_URL",
    default="http://127.0.0.1:8600/accounts/token"
    if DEBUG
    else "https://login.live.com/accesstoken.srf",
)
# Where seed_demo points the demo customers' channels (the stand-in).
WNS_STANDIN_URL = env.str("WNS_STANDIN_URL", default="http://127.0.0.1:8600")
# Channels a delivery task takes, and how many it claims before posting them
# (what a worker killed mid-batch leaves unknown: never posted again).
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=500)
NOTIFICATION_CLAIM_SIZE = env.int("NOTIFICATION_CLAIM_SIZE", default=50)
# Posts WNS answered 406 or 5xx (or no answer) are tried again, this many
# times in all, with a backoff doubling from NOTIFICATION_RETRY_SECONDS.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=30)
# A delivery claimed this long ago whose worker never settled it (killed
# mid-post) is settled as failed, unknown: it is never posted again.
NOTIFICATION_CLAIM_TIMEOUT_SECONDS = env.int(
    "NOTIFICATION_CLAIM_TIMEOUT_SECONDS", default=600
)
# Keys of secrets stored encrypted (an app's WNS client secret): Fernet keys,
# comma separated, the first encrypts, all decrypt (rotation). Unset: one key
# derived from DJANGO_SECRET_KEY.
SECRETS_ENCRYPTION_KEYS = env.list("SECRETS_ENCRYPTION_KEYS", default=[])
for _key in SECRETS_ENCRYPTION_KEYS:
    try:
        _fernet_key_checked = base64.urlsafe_b64decode(_key.encode())
    except ValueError:
        _fernet_key_checked = b""
    if len(_fernet_key_checked) != 32:
        raise ImproperlyConfigured(
            "SECRETS_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded "
            'bytes each, e.g. from python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"), comma separated.'
        )

# What follows a change of customer data, and the demo groups: customers calls
# these by dotted path (customers/hooks.py), so it never imports engagement.
CUSTOMER_DATA_CHANGED = "engagement.services.customer_data.customer_data_changed"
DEMO_DATA_SEEDED = [
    "engagement.services.demo.demo_groups_seed",
    "targeting.services.demo.demo_targeting_seed",
    "notifications.services.demo.demo_notifications_seed",
]

# Where a customer group is used (its page lists the uses): engagement asks
# these by dotted path (engagement/selectors/uses.py), so it never imports
# the apps that use groups.
CUSTOMER_GROUP_USES = [
    "targeting.selectors.uses.flight_uses",
    "targeting.selectors.uses.audience_uses",
    "targeting.selectors.uses.offer_uses",
    "notifications.selectors.notification_uses",
]

# The API (README "API"): Django REST framework, described by drf-spectacular.
# Tokens are the only way in (no sessions, so no CSRF); throttles count per
# token; every error is a JSON body with a code (api/exceptions.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Groups API",
    "DESCRIPTION": (
        "Store services resolve what one customer gets of an app; partners "
        "automate their customer groups. Send a token: "
        "`Authorization: Bearer <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "GroupKindEnum": "engagement.models.GroupKind",
        "SegmentStatusEnum": "engagement.models.SegmentStatus",
    },
}
# Requests per token and per period (second, minute, hour or day).
API_THROTTLE_RATES = {
    "store": env.str("API_THROTTLE_STORE", default="6000/minute"),
    "partner": env.str("API_THROTTLE_PARTNER", default="600/minute"),
}
# A request body over this many bytes is refused (413) before it is read.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# How often a token's "last used" is written (a read on every request, a
# write at most once per this many seconds).
API_TOKEN_LAST_USED_SECONDS = env.int("API_TOKEN_LAST_USED_SECONDS", default=60)
# Channel URIs the API registers: https addresses at these hosts (a leading
# dot: the domain and its subdomains). The workers post toasts with the app's
# WNS token to them, so no other host may be registered.
WNS_CHANNEL_HOSTS = env.list(
    "WNS_CHANNEL_HOSTS",
    default=[".notify.windows.com"] + (["127.0.0.1"] if DEBUG else []),
)

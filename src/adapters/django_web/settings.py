"""Django settings, all read from the environment through config.read_config()."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from adapters.django_web.config import read_config

SHOP_CONFIG = read_config()
_c = SHOP_CONFIG

SECRET_KEY = _c.secret_key
DEBUG = _c.debug
ALLOWED_HOSTS = _c.allowed_hosts
CSRF_TRUSTED_ORIGINS = _c.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    # A dotted name, not an import: Django loads the app (models, migrations) by it.
    "adapters.persistence.apps.PersistenceConfig",
    "adapters.django_web.apps.WebConfig",
]

MIDDLEWARE = [
    "adapters.django_web.middleware.JsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the storefront's, the admin's, the API docs') straight from gunicorn,
    # with cache headers and compression; a miss goes on to the JSON 404.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware, letting the user backend use what the session's
    # read brought (with sessions in Redis: both in one MGET, see persistence's sessions.py).
    "adapters.persistence.sessions.SessionUserMiddleware",
    "adapters.django_web.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "adapters.django_web.urls"
WSGI_APPLICATION = "adapters.django_web.wsgi.application"
AUTH_USER_MODEL = "shop.Customer"  # persistence's model, named by its app label only
APPEND_SLASH = False  # every route answers with and without the slash

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def _database(url: str) -> dict[str, object]:
    db = dj_database_url.parse(url)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if db["NAME"] not in ("", ":memory:"):
            Path(str(db["NAME"])).parent.mkdir(parents=True, exist_ok=True)
        # IMMEDIATE transactions: writers queue up instead of failing with "locked".
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        # Persistent connections; no health-check query before every request (a
        # connection the server dropped fails one request and is then replaced).
        db["CONN_MAX_AGE"] = 300
        # Parameters travel apart from the SQL (no quoting in Python), and a statement a
        # connection has run twice is prepared: PostgreSQL then neither parses nor plans
        # it again (it did both for every statement, a third of its CPU in the checkout).
        # Django turns psycopg's preparing off unless asked, for the sake of poolers.
        db["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": 2,
            **db.get("OPTIONS", {}),
        }
    return db


DATABASES = {"default": _database(_c.database_url)}

# The job engine: a job is a row in the shop's database, written in the transaction of
# the change that causes it; `shop worker` (and `shop serve`'s own) runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mails (SHOP_EMAIL_URL; files in <SHOP_VAR_DIR>/mail by default).
globals().update(_c.email)
DEFAULT_FROM_EMAIL = _c.email_from
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _cache(url: str) -> dict[str, object]:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "adapters.django_web.cache.ShopRedisCache", "LOCATION": url}
    if url == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    # Default: a table in the shop's own database, shared by every worker and instance.
    return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "shop_cache"}


CACHES = {"default": _cache(_c.cache_url)}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # With a shared in-memory cache, an API request needs no query to know its caller:
    # its session and its user (entry and stamp) in one MGET (sessions.py).
    SESSION_ENGINE = "adapters.persistence.sessions"
    # Django loads backends and middleware by dotted name: these strings, like
    # AUTH_USER_MODEL and the persistence app in INSTALLED_APPS, are the one way settings
    # name persistence; no module of the web adapter imports it (the import-linter
    # contract in pyproject.toml).
    AUTHENTICATION_BACKENDS = ["adapters.persistence.auth_backend.CachedUserBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if _c.insecure_fast_hasher:
    # Only for test servers: hashing at Django's default strength dominates their runtime.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = str(_c.var_dir / "static")
# WhiteNoise serves the apps' static folders as they are (no collectstatic step for
# `shop serve`), indexed once at start. Names are not hashed, so a file is cached for an
# hour and then revalidated (ETag, Last-Modified).
WHITENOISE_USE_FINDERS = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise also reads it (empty)
WHITENOISE_AUTOREFRESH = _c.debug
WHITENOISE_MAX_AGE = 3600

# Security defaults (see docs/reliability.md).
SESSION_COOKIE_AGE = 14 * 24 * 3600  # Django's default; a guest bucket lives as long
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _c.secure_cookies
CSRF_COOKIE_SECURE = _c.secure_cookies
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = _c.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = _c.hsts_seconds > 0
SECURE_HSTS_PRELOAD = _c.hsts_seconds >= 31536000  # the preload list asks for a year
SECURE_SSL_REDIRECT = _c.ssl_redirect
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]  # load balancers probe over plain HTTP
if _c.trusted_proxies:
    # The proxy in front terminates TLS and says so; only trust it when one is declared.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = _c.max_body_bytes

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["adapters.django_web.auth.CsrfSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["adapters.django_web.negotiation.FastJsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["adapters.django_web.negotiation.StrictJsonParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "adapters.django_web.negotiation.AlwaysJson",
    "EXCEPTION_HANDLER": "adapters.django_web.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "adapters.django_web.schema.ShopAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "Register, fill the bucket, order, pay. See api-contract.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "DEFAULT_GENERATOR_CLASS": "adapters.django_web.schema.ShopSchemaGenerator",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The shop's own settings, for the composition root.
SHOP = {
    "currency": _c.currency,
    "reservation_minutes": _c.reservation_minutes,
    "public_url": _c.public_url,
    "login_limit_per_username": _c.login_limit_per_username,
    "login_limit_per_address": _c.login_limit_per_address,
    "login_window_seconds": _c.login_window_seconds,
    "trusted_proxies": _c.trusted_proxies,
    "payments": _c.payments,
    "language": _c.language,
    "email_from": _c.email_from,
    "reconcile_after_minutes": _c.reconcile_after_minutes,
    "webhooks": _c.webhooks,
    "guest_reservation_minutes": _c.guest_reservation_minutes,
    "guest_max_units": _c.guest_max_units,
    "guest_buckets_per_hour": _c.guest_buckets_per_hour,
    "bucket_merge": _c.bucket_merge,
    "guest_bucket_seconds": SESSION_COOKIE_AGE,
    "country": _c.country,
}

# The job engine: a job is a row in the shop's database, written in the transaction that
# causes it; `shop manage db_worker` runs them (SELECT ... FOR UPDATE SKIP LOCKED).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CSRF_FAILURE_VIEW = "adapters.django_web.errors.csrf_failure"

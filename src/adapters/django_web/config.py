"""The shop's configuration, read from the environment once (see api-contract.md)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

DEMO_IBAN = "PL61109010140000071219812874"
DEMO_HOLDER = "Demo Shop Sp. z o.o."
# PayU's public sandbox POS (see shared/reference/payu-rest-api.md).
PAYU_SANDBOX = {
    "base_url": "https://secure.snd.payu.com",
    "pos_id": "300746",
    "client_id": "300746",
    "client_secret": "2ee86a66e5d97e3fadc400c9f19b065d",
    "second_key": "b6ca15b0d1020e8094d9b5f8d163db54",
}

# Seconds between webhook attempts: a first attempt, then one retry per entry (contract).
WEBHOOK_RETRIES = "5,300,1800,7200,18000,36000,86400"


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(env: Mapping[str, str], name: str, default: str) -> list[str]:
    return [item.strip() for item in env.get(name, default).split(",") if item.strip()]


def _secret_key(env: Mapping[str, str], var_dir: Path) -> str:
    if env.get("SHOP_SECRET_KEY"):
        return env["SHOP_SECRET_KEY"]
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Created with owner-only permissions: the key signs sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


@attrs.frozen(kw_only=True)
class ShopConfig:
    var_dir: Path
    database_url: str
    secret_key: str = attrs.field(repr=False)
    debug: bool
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    public_url: str
    currency: str
    reservation_minutes: float
    cache_url: str
    secure_cookies: bool
    hsts_seconds: int
    ssl_redirect: bool
    trusted_proxies: int
    max_body_bytes: int
    insecure_fast_hasher: bool
    login_limit_per_username: int
    login_limit_per_address: int
    login_window_seconds: int
    payments: dict[str, Any]
    email: dict[str, Any] = attrs.field(factory=dict, repr=False)  # Django's EMAIL_* settings
    email_from: str = "shop@localhost"
    language: str = "en"
    reconcile_after_minutes: float = 15.0
    webhooks: dict[str, Any] = attrs.field(factory=dict)
    guest_reservation_minutes: float = 15
    guest_max_units: int = 10
    guest_buckets_per_hour: int = 20
    bucket_merge: str = "sum"
    country: str = "PL"  # the default country of addresses (ISO 3166-1 alpha-2)


LANGUAGES = ("en", "pl")


def email_settings(url: str, var_dir: Path) -> dict[str, Any]:
    """Django's e-mail settings from SHOP_EMAIL_URL: ``smtp://user:pass@host:port``
    (``smtp+tls://`` STARTTLS, ``smtp+ssl://`` TLS from the start), ``console://``,
    ``file:///dir``; empty: files in ``<SHOP_VAR_DIR>/mail``."""
    from urllib.parse import unquote, urlsplit

    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(var_dir / "mail"),
        }
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "file":
        path = unquote(parts.path) or str(var_dir / "mail")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": path,
        }
    if scheme in ("smtp", "smtp+tls", "smtp+ssl"):
        ssl = scheme == "smtp+ssl"
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if ssl else 587 if scheme == "smtp+tls" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": ssl,
            "EMAIL_TIMEOUT": 10,
        }
    raise ValueError(
        f"SHOP_EMAIL_URL: unknown scheme {parts.scheme!r} "
        "(smtp://, smtp+tls://, smtp+ssl://, console://, file:///dir)"
    )


def read_config(env: Mapping[str, str] | None = None) -> ShopConfig:
    env = os.environ if env is None else env
    var_dir = Path(env.get("SHOP_VAR_DIR", "var")).resolve()
    public_url = env.get("SHOP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    secret_key = _secret_key(env, var_dir)
    return ShopConfig(
        var_dir=var_dir,
        database_url=env.get("SHOP_DATABASE_URL") or f"sqlite:///{var_dir / 'shop.sqlite3'}",
        secret_key=secret_key,
        debug=_flag(env, "SHOP_DEBUG"),
        allowed_hosts=_list(env, "SHOP_ALLOWED_HOSTS", "localhost,127.0.0.1"),
        csrf_trusted_origins=_list(env, "SHOP_CSRF_TRUSTED_ORIGINS", ""),
        public_url=public_url,
        currency=env.get("SHOP_CURRENCY", "PLN").upper(),
        reservation_minutes=float(env.get("SHOP_RESERVATION_MINUTES", "30")),
        cache_url=env.get("SHOP_CACHE_URL", "db"),
        secure_cookies=_flag(env, "SHOP_SECURE_COOKIES"),
        # Behind TLS (SHOP_SECURE_COOKIES=1) browsers are told to stay on HTTPS.
        hsts_seconds=int(
            env.get("SHOP_HSTS_SECONDS", "31536000" if _flag(env, "SHOP_SECURE_COOKIES") else "0")
        ),
        ssl_redirect=_flag(env, "SHOP_SSL_REDIRECT", default=_flag(env, "SHOP_SECURE_COOKIES")),
        trusted_proxies=int(env.get("SHOP_TRUSTED_PROXIES", "0")),
        max_body_bytes=int(env.get("SHOP_MAX_BODY_BYTES", str(256 * 1024))),
        insecure_fast_hasher=_flag(env, "SHOP_INSECURE_FAST_HASHER"),
        login_limit_per_username=int(env.get("SHOP_LOGIN_LIMIT_USERNAME", "5")),
        login_limit_per_address=int(env.get("SHOP_LOGIN_LIMIT_ADDRESS", "50")),
        login_window_seconds=int(env.get("SHOP_LOGIN_WINDOW_SECONDS", str(15 * 60))),
        webhooks={
            "timeout": float(env.get("SHOP_WEBHOOK_TIMEOUT", "10")),
            "retry_schedule": [
                int(item) for item in _list(env, "SHOP_WEBHOOK_RETRY_SCHEDULE", WEBHOOK_RETRIES)
            ],
            "allow_http": _flag(env, "SHOP_WEBHOOK_ALLOW_HTTP"),
            "allow_private": _flag(env, "SHOP_WEBHOOK_ALLOW_PRIVATE"),
        },
        payments={
            "public_url": public_url,
            "secret": secret_key,
            "currency": env.get("SHOP_CURRENCY", "PLN").upper(),
            "card_provider": env.get("SHOP_CARD_PROVIDER", "sandbox"),
            "transfer_provider": env.get("SHOP_TRANSFER_PROVIDER", "bank_transfer"),
            "payu_provider": env.get("SHOP_PAYU_PROVIDER", "payu"),
            "stripe": {
                "api_key": env.get("SHOP_STRIPE_API_KEY", ""),
                "webhook_secret": env.get("SHOP_STRIPE_WEBHOOK_SECRET", ""),
                "api_base": env.get("SHOP_STRIPE_API_BASE") or None,
            },
            "transfer": {
                "iban": env.get("SHOP_TRANSFER_IBAN", DEMO_IBAN),
                "holder": env.get("SHOP_TRANSFER_HOLDER", DEMO_HOLDER),
            },
            "payu": {
                "base_url": env.get("SHOP_PAYU_BASE_URL", PAYU_SANDBOX["base_url"]),
                "pos_id": env.get("SHOP_PAYU_POS_ID", PAYU_SANDBOX["pos_id"]),
                "client_id": env.get("SHOP_PAYU_CLIENT_ID", PAYU_SANDBOX["client_id"]),
                "client_secret": env.get("SHOP_PAYU_CLIENT_SECRET", PAYU_SANDBOX["client_secret"]),
                "second_key": env.get("SHOP_PAYU_SECOND_KEY", PAYU_SANDBOX["second_key"]),
                "notify_url": f"{public_url}/api/payments/payu/notify",
                "continue_url": f"{public_url}/",
            },
        },
        email=email_settings(env.get("SHOP_EMAIL_URL", ""), var_dir),
        email_from=env.get("SHOP_EMAIL_FROM") or "shop@localhost",
        language=_language(env.get("SHOP_LANGUAGE", "")),
        reconcile_after_minutes=float(env.get("SHOP_RECONCILE_AFTER_MINUTES") or "15"),
        guest_reservation_minutes=float(env.get("SHOP_GUEST_RESERVATION_MINUTES", "15")),
        guest_max_units=int(env.get("SHOP_GUEST_MAX_UNITS", "10")),
        guest_buckets_per_hour=int(env.get("SHOP_GUEST_BUCKETS_PER_HOUR", "20")),
        bucket_merge=env.get("SHOP_BUCKET_MERGE", "sum").strip().lower(),
        country=(env.get("SHOP_COUNTRY") or "PL").strip().upper(),
    )


def _language(value: str) -> str:
    language = (value or "en").strip().lower()
    if language not in LANGUAGES:
        raise ValueError(f"SHOP_LANGUAGE: {value!r} is not one of {', '.join(LANGUAGES)}")
    return language

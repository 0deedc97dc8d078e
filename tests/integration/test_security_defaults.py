"""Secure defaults: no debug, careful cookies, security headers, the deploy check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.django_web.config import read_config
from tests.integration.conftest import Api

PRODUCTION = {
    "SHOP_SECURE_COOKIES": "1",
    "SHOP_ALLOWED_HOSTS": "shop.example.com",
    "SHOP_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
}


def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    env = {"SHOP_VAR_DIR": str(tmp_path)}
    assert read_config(env).debug is False
    assert read_config({**env, "SHOP_DEBUG": "1"}).debug is True


def test_the_secret_key_is_generated_once_outside_the_repository(tmp_path: Path) -> None:
    first = read_config({"SHOP_VAR_DIR": str(tmp_path)}).secret_key
    again = read_config({"SHOP_VAR_DIR": str(tmp_path)}).secret_key
    assert first == again and len(first) >= 50
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0, "only the owner may read the key"
    assert (
        read_config({"SHOP_VAR_DIR": str(tmp_path), "SHOP_SECRET_KEY": "x" * 60}).secret_key
        == "x" * 60
    )
    tracked = subprocess.run(
        ["git", "ls-files"], capture_output=True, text=True, check=False
    ).stdout
    assert "secret_key" not in tracked


def test_cookies_are_httponly_where_they_can_be_and_same_site_lax(customer: Api) -> None:
    cookies = customer.client.cookies
    session, csrf = cookies["sessionid"], cookies["csrftoken"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert csrf["samesite"] == "Lax"
    assert not csrf["httponly"], "clients read the CSRF cookie to echo it in X-CSRFToken"
    assert not session["secure"], "Secure only when SHOP_SECURE_COOKIES=1 (plain HTTP locally)"


def test_production_settings_make_cookies_secure_and_hsts_on(tmp_path: Path) -> None:
    config = read_config({**PRODUCTION, "SHOP_VAR_DIR": str(tmp_path)})
    assert config.secure_cookies and config.ssl_redirect
    assert config.hsts_seconds >= 31536000
    assert config.csrf_trusted_origins == ["https://shop.example.com"]


def test_responses_carry_the_security_headers(anon: Api) -> None:
    for path in ("/api/products", "/api/nowhere", "/healthz"):
        response = anon.get(path)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"


def test_bodies_over_the_limit_are_refused_before_anything_reads_them(
    customer: Api, settings: Any
) -> None:
    body = b'{"payment": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    response = customer.send("POST", "/api/orders", raw=body)
    assert response.status_code == 413 and response.json()["code"] == 1007


def deploy_check(extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "SHOP_DEBUG"}
    env = {
        **base,
        "SHOP_VAR_DIR": str(tmp_path),
        "SHOP_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SHOP_SECRET_KEY": secrets.token_urlsafe(60),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "adapters.django_web.cli", "manage", "check", "--deploy",
         "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_deploy_check_passes_with_production_settings(tmp_path: Path) -> None:
    result = deploy_check(PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("setting", "warning"),
    [({"SHOP_SECURE_COOKIES": "0"}, "security.W012"), ({"SHOP_DEBUG": "1"}, "security.W018")],
)
def test_the_deploy_check_catches_a_weakened_setting(
    setting: dict[str, str], warning: str, tmp_path: Path
) -> None:
    result = deploy_check({**PRODUCTION, **setting}, tmp_path)
    assert result.returncode != 0 and warning in result.stdout + result.stderr


def test_a_cross_site_post_is_refused_and_a_trusted_origin_is_not(customer: Any) -> None:
    from django.test import override_settings

    evil = customer.client.post(
        "/api/orders", {"payment": "card"}, format="json", HTTP_ORIGIN="https://evil.example",
        HTTP_X_CSRFTOKEN=customer.client.cookies["csrftoken"].value,
    )  # fmt: skip
    assert evil.status_code == 403 and evil.json()["code"] == 3003
    with override_settings(CSRF_TRUSTED_ORIGINS=["https://evil.example"]):
        trusted = customer.client.post(
            "/api/orders", {"payment": "card"}, format="json", HTTP_ORIGIN="https://evil.example",
            HTTP_X_CSRFTOKEN=customer.client.cookies["csrftoken"].value,
        )  # fmt: skip
    assert trusted.status_code != 403, "the trusted origin passes CSRF (bucket empty: 409)"

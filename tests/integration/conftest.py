"""Integration fixtures: DRF's APIClient with CSRF checks on, a catalog, customers.

Every response body any test receives is checked for passwords and hashes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.doubles import payu, stripe_api  # noqa: F401 - fixtures

PASSWORD = "Sekret-Passw0rd-42"


def configured_database_url() -> str | None:
    """The database URL the suite runs against (None: the default SQLite)."""
    import os

    return os.environ.get("SHOP_DATABASE_URL")


SECRET_MARKERS = ("md5$", "pbkdf2", "argon2", "bcrypt", "sha256$")


class Api:
    """A browser-like client: cookie jar, CSRF header on unsafe requests."""

    def __init__(self, seen: list[tuple[str, str]]):
        from rest_framework.test import APIClient

        self.client = APIClient(enforce_csrf_checks=True)
        self.seen = seen
        self.user_id: str | None = None

    def csrf(self) -> str:
        self.client.get("/api/csrf")
        return self.client.cookies["csrftoken"].value

    def _record(self, path: str, response: Any) -> Any:
        self.seen.append((path, response.content.decode(errors="replace")))
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self._record(path, self.client.get(path, params or None))

    def send(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        csrf: bool | str = True,
        raw: bytes | None = None,
        **extra: Any,
    ) -> Any:
        headers = dict(extra)
        if csrf is True:
            token = self.client.cookies.get("csrftoken")
            headers["HTTP_X_CSRFTOKEN"] = token.value if token else self.csrf()
        elif isinstance(csrf, str):
            headers["HTTP_X_CSRFTOKEN"] = csrf
        body = raw if raw is not None else (json.dumps(data) if data is not None else "")
        call = getattr(self.client, method.lower())
        response = call(
            path, body, content_type=headers.pop("content_type", "application/json"), **headers
        )
        return self._record(path, response)

    def post(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self.send("POST", path, data, **kw)

    def put(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self.send("PUT", path, data, **kw)

    def patch(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self.send("PATCH", path, data, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.send("DELETE", path, None, **kw)

    def register(self, username: str | None = None, **extra: Any) -> dict[str, Any]:
        username = username or f"user_{uuid.uuid4().hex[:10]}"
        body = {
            "username": username,
            "password": PASSWORD,
            "email": f"{username}@example.com",
            **extra,
        }
        response = self.post("/api/register", body)
        assert response.status_code == 201, response.content
        self.username = username
        return response.json()

    def login(self, username: str | None = None, password: str = PASSWORD) -> Any:
        response = self.post(
            "/api/login", {"username": username or self.username, "password": password}
        )
        if response.status_code == 200:
            self.user_id = response.json()["user"]
        return response

    def signed_up(self) -> Api:
        self.register()
        assert self.login().status_code == 200
        return self


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # Tests may use a fast hasher; production keeps Django's default strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        # A table cache rolls back with each test; any other must be emptied by hand.
        from django.core.cache import cache

        cache.clear()
    # An estimated count is kept a few seconds per filter: a new test's rows are new.
    from adapters.persistence.repositories.counting import forget_estimates

    forget_estimates()


@pytest.fixture
def seen_bodies() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    yield seen
    for path, text in seen:
        assert PASSWORD not in text, f"{path} answered with a password"
        for marker in SECRET_MARKERS:
            assert marker not in text, f"{path} answered with a password hash"


@pytest.fixture
def anon(db: Any, seen_bodies: list[tuple[str, str]]) -> Api:
    return Api(seen_bodies)


@pytest.fixture
def new_api(db: Any, seen_bodies: list[tuple[str, str]]) -> Any:
    return lambda: Api(seen_bodies)


@pytest.fixture
def customer(new_api: Any) -> Api:
    return new_api().signed_up()


@pytest.fixture
def other(new_api: Any) -> Api:
    return new_api().signed_up()


@pytest.fixture
def staff(new_api: Any) -> Api:
    from django.contrib.auth import get_user_model

    api = new_api()
    api.register()
    get_user_model().objects.filter(username=api.username).update(is_staff=True)
    assert api.login().status_code == 200
    return api


@pytest.fixture
def make_product(db: Any) -> Any:
    from adapters.django_web.containers import use_cases

    def make(*, stock: int = 10, price: str = "10.00", **kw: Any) -> str:
        kw.setdefault("name", f"product-{uuid.uuid4().hex[:6]}")
        return str(use_cases().create_product()(price=Decimal(price), stock=stock, **kw).id)

    return make


def error_of(response: Any) -> tuple[int, int]:
    """(HTTP status, contract code), checking the error shape on the way."""
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    return response.status_code, body["code"]


@pytest.fixture
def postgres_only(transactional_db: Any) -> None:
    """Row-lock races need PostgreSQL; on SQLite they are skipped, and say so."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (run with SHOP_DATABASE_URL=postgres://...)")


def race(*calls: Any, timeout: float = 30.0) -> list[Any]:
    """Run the calls at the same moment in threads; each result or raised exception."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Any) -> None:
        try:
            barrier.wait(timeout)
            results[i] = call()
        except Exception as error:  # the outcome under test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results

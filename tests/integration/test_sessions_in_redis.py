"""Sessions and logged-in users in Redis (production's setting): the account tests run
again there, and one cache round trip serves both the session and its user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from adapters.django_web.sessions import UID_COOKIE
from tests.integration.conftest import Api
from tests.integration.test_accounts_api import (  # noqa: F401 - run again here
    test_login_as_someone_else_on_the_same_client_gets_a_fresh_session,
    test_login_rotates_the_session_key_and_the_csrf_token,
    test_logout_ends_the_session_server_side,
    test_profile_is_a_page_with_exactly_one_result,
    test_put_profile_username_change_is_the_new_login,
    test_setpassword_changes_it_and_only_the_new_one_logs_in,
    test_setpassword_keeps_this_session_and_logs_out_the_others,
)

REDIS_URL = "redis://127.0.0.1:6379/8"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason=f"needs Redis at {REDIS_URL}")


@pytest.fixture(autouse=True)
def sessions_in_redis(db: Any) -> Iterator[None]:
    middleware = list(settings.MIDDLEWARE)
    if "adapters.django_web.sessions.ReadAheadMiddleware" not in middleware:
        auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
        middleware.insert(auth, "adapters.django_web.sessions.ReadAheadMiddleware")
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "adapters.django_web.cache.ShopRedisCache",
                "LOCATION": REDIS_URL,
            }
        },
        SESSION_ENGINE="adapters.django_web.sessions",
        AUTHENTICATION_BACKENDS=["adapters.persistence.auth_backend.CachedUserBackend"],
        MIDDLEWARE=middleware,
    ):
        cache.clear()
        yield
        cache.clear()


class CountingCache:
    """Counts the cache calls a request makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls: list[str] = []
        for name in ("get", "get_many"):
            original = getattr(type(cache._cache), name)

            def counted(
                client: Any, *args: Any, _name: str = name, _f: Any = original, **kw: Any
            ) -> Any:
                self.calls.append(_name)
                return _f(client, *args, **kw)

            monkeypatch.setattr(type(cache._cache), name, counted)


def test_login_leaves_a_user_hint_and_logout_takes_it_away(new_api: Any) -> None:
    api: Api = new_api().signed_up()
    assert api.client.cookies[UID_COOKIE].value == api.user_id
    assert api.client.cookies[UID_COOKIE]["httponly"]
    assert api.get("/api/logout").status_code == 200
    assert api.client.cookies[UID_COOKIE].value == "", "deleted"
    assert api.get("/api/profile").status_code == 403


def test_a_logged_in_request_reads_session_and_user_in_one_round_trip(
    new_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api: Api = new_api().signed_up()
    assert api.get("/api/profile").status_code == 200  # the user's entry is cached now
    counting = CountingCache(monkeypatch)
    profile = api.get("/api/profile")
    assert profile.status_code == 200 and profile.json()["results"][0]["username"] == api.username
    assert counting.calls == ["get_many"]


def test_a_forged_hint_changes_nobody(new_api: Any) -> None:
    mallory: Api = new_api().signed_up()
    alice: Api = new_api().signed_up()
    assert alice.get("/api/profile").status_code == 200  # alice's entry is cached
    mallory.client.cookies[UID_COOKIE] = alice.user_id
    assert mallory.get("/api/profile").json()["results"][0]["username"] == mallory.username
    assert mallory.client.cookies[UID_COOKIE].value == mallory.user_id, "hint set right"


def test_the_catalog_reads_no_session_even_for_a_logged_in_browser(
    new_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api: Api = new_api().signed_up()
    counting = CountingCache(monkeypatch)
    assert api.get("/api/products").status_code == 200
    assert counting.calls == []


@pytest.mark.parametrize("hint", ["not-a-uuid", "x" * 2000, "\u00e9:*?{}", ""])
def test_a_garbage_hint_changes_nothing_either(
    new_api: Any, monkeypatch: pytest.MonkeyPatch, hint: str
) -> None:
    api: Api = new_api().signed_up()
    api.client.cookies[UID_COOKIE] = hint
    counting = CountingCache(monkeypatch)
    profile = api.get("/api/profile")
    # Nothing is read for a hint that is no user id: the session alone (GET), then its
    # user's entry and stamp (one MGET, see auth_backend).
    assert counting.calls == ["get", "get_many"]
    assert profile.status_code == 200
    assert profile.json()["results"][0]["username"] == api.username

"""Sessions and logged-in users in Redis (production's setting): the account tests run
again there, and a logged-in request reads its session (GET) and its user (entry and
stamp, one MGET) from the cache, nothing from the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.integration.conftest import Api
from tests.integration.live_server import redis_url
from tests.integration.test_accounts_api import (  # noqa: F401 - run again here
    test_login_as_someone_else_on_the_same_client_gets_a_fresh_session,
    test_login_rotates_the_session_key_and_the_csrf_token,
    test_logout_ends_the_session_server_side,
    test_profile_is_a_page_with_exactly_one_result,
    test_put_profile_username_change_is_the_new_login,
    test_setpassword_changes_it_and_only_the_new_one_logs_in,
    test_setpassword_keeps_this_session_and_logs_out_the_others,
)

REDIS_URL = redis_url(8)


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason=f"needs Redis at {REDIS_URL}")


@pytest.fixture(autouse=True)
def sessions_in_redis(db: Any) -> Iterator[None]:
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "adapters.django_web.cache.ShopRedisCache",
                "LOCATION": REDIS_URL,
            }
        },
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
        AUTHENTICATION_BACKENDS=["adapters.persistence.auth_backend.CachedUserBackend"],
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


def test_a_logged_in_request_reads_its_session_and_its_user_from_the_cache(
    new_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api: Api = new_api().signed_up()
    assert api.get("/api/profile").status_code == 200  # the user's entry is cached now
    counting = CountingCache(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        profile = api.get("/api/profile")
    assert profile.status_code == 200 and profile.json()["results"][0]["username"] == api.username
    # The session, then the user's entry with its stamp in one MGET (see auth_backend).
    assert counting.calls == ["get", "get_many"]
    # Only the profile's own read: neither the session nor the user came from SQL.
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_the_catalog_reads_no_session_even_for_a_logged_in_browser(
    new_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api: Api = new_api().signed_up()
    counting = CountingCache(monkeypatch)
    assert api.get("/api/products").status_code == 200
    assert counting.calls == []


def test_a_leftover_shop_uid_cookie_naming_someone_else_changes_nobody(new_api: Any) -> None:
    """Browsers may still carry the removed ``shop_uid`` hint: it is not read, not set."""
    mallory: Api = new_api().signed_up()
    alice: Api = new_api().signed_up()
    assert alice.get("/api/profile").status_code == 200  # alice's entry is cached
    mallory.client.cookies["shop_uid"] = alice.user_id
    assert mallory.get("/api/profile").json()["results"][0]["username"] == mallory.username
    assert mallory.client.cookies["shop_uid"].value == alice.user_id, "not touched"

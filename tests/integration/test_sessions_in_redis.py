"""Sessions and logged-in users in Redis (production's setting): the account tests run
again there, and a logged-in request reads its session and its user (entry and stamp)
from the cache in one MGET, nothing from the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from adapters.persistence import sessions
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
        SESSION_ENGINE="adapters.persistence.sessions",
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
    # The session with its user's entry and stamp: one MGET (persistence's sessions.py).
    assert counting.calls == ["get_many"]
    # Only the profile's own read: neither the session nor the user came from SQL.
    assert len(queries) == 1, [q["sql"] for q in queries]


def _session_key(api: Api) -> str:
    return str(api.client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_a_process_new_to_a_session_reads_it_first_then_with_its_user(
    new_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker process (or one whose memory was full) has not seen the session:
    the session, then the user; from its next request on, both at once."""
    api: Api = new_api().signed_up()
    assert api.get("/api/profile").status_code == 200
    monkeypatch.setattr(sessions, "_USER_OF_SESSION", {})
    counting = CountingCache(monkeypatch)
    assert api.get("/api/profile").status_code == 200
    assert counting.calls == ["get", "get_many"]
    assert api.get("/api/profile").json()["results"][0]["username"] == api.username
    assert counting.calls == ["get", "get_many", "get_many"]


def test_a_session_remembered_for_someone_else_still_answers_as_its_own_user(
    new_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The remembered user only chooses which keys to read with the session: the session
    read says who the caller is, and another user's entry read alongside is not used."""
    alice: Api = new_api().signed_up()
    mallory: Api = new_api().signed_up()
    assert alice.get("/api/profile").status_code == 200  # alice's entry is cached
    assert mallory.get("/api/profile").status_code == 200
    sessions._USER_OF_SESSION[_session_key(mallory)] = alice.user_id
    counting = CountingCache(monkeypatch)
    answer = mallory.get("/api/profile")
    assert answer.status_code == 200
    assert answer.json()["results"][0]["username"] == mallory.username
    # Alice's keys came along, then mallory's own entry was read: and remembered.
    assert counting.calls == ["get_many", "get_many"]
    assert sessions._USER_OF_SESSION[_session_key(mallory)] == mallory.user_id


def test_a_session_ended_elsewhere_is_not_brought_back_by_the_memory(new_api: Any) -> None:
    """Logged out from another tab: the session is gone, whatever this process remembers
    of it."""
    api: Api = new_api().signed_up()
    assert api.get("/api/profile").status_code == 200
    key = _session_key(api)
    remembered = sessions._USER_OF_SESSION[key]
    other: Api = new_api()
    for name, morsel in api.client.cookies.items():
        other.client.cookies[name] = morsel.value
    assert other.post("/api/logout").status_code in (200, 204)
    sessions._USER_OF_SESSION[key] = remembered  # as another process would still have it
    answer = api.get("/api/profile")
    assert answer.status_code in (401, 403), answer.content

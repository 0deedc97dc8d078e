"""The login limits and the one-account-per-folded-name rule again with the cache,
sessions and users in Redis (production's setting), and the race between a password
change and another session's read of the cached user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.test import override_settings

from adapters.persistence.auth_backend import forget_user
from tests.integration.conftest import PASSWORD, Api, error_of
from tests.integration.live_server import redis_url
from tests.integration.test_login_limits import (  # noqa: F401 - run again here
    test_a_full_width_spelling_counts_against_the_ascii_account,
    test_a_look_alike_of_a_registered_name_is_409,
    test_a_look_alike_spelling_logs_in_to_the_account_and_shares_its_counter,
    test_a_right_password_change_resets_the_account_counter,
    test_admin_login_by_another_spelling_of_the_staff_name_works_and_resets,
    test_api_login_failures_lock_the_admin_login_too,
    test_failed_logins_throttle_the_password_change,
    test_one_name_registered_concurrently_in_two_spellings_makes_one_account,
    test_renaming_onto_a_look_alike_of_another_account_is_409,
    test_the_admin_login_counts_per_client_address_as_the_api_does,
    test_the_admin_login_is_throttled_like_the_api_login,
    test_wrong_old_passwords_are_throttled_like_logins,
    test_wrong_old_passwords_count_per_client_address,
)

REDIS_URL = redis_url(11)
NEW_PASSWORD = "An0ther-Lengthy-Secret!"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason=f"needs Redis at {REDIS_URL}")


@pytest.fixture(autouse=True)
def cache_in_redis(request: pytest.FixtureRequest) -> Iterator[None]:
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


def test_a_user_read_that_straddles_a_password_change_does_not_outlive_it(
    transactional_db: Any, new_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another session's request reads the user's row, the password change commits (and
    forgets the cached user), then that request caches the row it read: the old
    password's session hash. Seen as the changer's next request answering 403/3002 (its
    session, on the new hash, was flushed) while the other session stayed logged in."""
    here: Api = new_api().signed_up()
    elsewhere: Api = new_api()
    assert elsewhere.login(username=here.username).status_code == 200
    forget_user(here.user_id)  # nothing cached: elsewhere's next request reads the row
    read_row = ModelBackend.get_user

    def read_then_password_changes(backend: Any, user_id: Any) -> Any:
        row = read_row(backend, user_id)  # the old row ...
        monkeypatch.setattr(ModelBackend, "get_user", read_row)
        changed = here.put(
            f"/api/profile/{here.user_id}/setpassword",
            {"username": here.username, "old_password": PASSWORD, "password": NEW_PASSWORD},
        )
        assert changed.status_code == 200, changed.content  # ... committed and forgotten
        return row

    monkeypatch.setattr(ModelBackend, "get_user", read_then_password_changes)
    elsewhere.get("/api/profile")  # caches what it read before the change, after it

    assert here.get("/api/profile").status_code == 200, "the changer stays logged in"
    assert error_of(elsewhere.get("/api/profile")) == (403, 3002), "the others are out"
    again = here.put(
        f"/api/profile/{here.user_id}/setpassword",
        {"username": here.username, "old_password": NEW_PASSWORD, "password": PASSWORD},
    )
    assert again.status_code == 200, again.content

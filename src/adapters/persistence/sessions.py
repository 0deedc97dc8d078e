"""Django's ``cached_db`` sessions, whose cache read also brings the session's user.

A logged-in request needs its session and then its user's cache entry and stamp
(``auth_backend``): two round trips to the cache, because the user's keys are known
only once the session is read. A session's user never changes while its key lives
(Django's login gives a new key, logout deletes it), so this process remembers which
user each session key it has seen belongs to, and reads the three keys in one ``MGET``.

The memory is only a guess at which keys to fetch: the session read in that same
``MGET`` still says who the caller is, and the backend uses entries fetched alongside
it only for the user that session names (otherwise it reads its own, as before). Django
then checks the session's password hash against the entry as always.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import get_user as session_user
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.backends import cached_db
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from adapters.persistence.auth_backend import read_with_session, user_keys

# Session keys seen by this process and their user's id. Bounded: forgotten all at once
# when full, after which each session costs one more round trip on its next request.
_USER_OF_SESSION: dict[str, str] = {}
MAX_REMEMBERED = 50_000


def _remember(session_key: str | None, data: dict[str, Any]) -> None:
    user_id = data.get(SESSION_KEY)
    if not session_key:
        return
    if not user_id:
        _USER_OF_SESSION.pop(session_key, None)
        return
    if len(_USER_OF_SESSION) >= MAX_REMEMBERED:
        _USER_OF_SESSION.clear()
    _USER_OF_SESSION[session_key] = str(user_id)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        user_id = _USER_OF_SESSION.get(self.session_key or "")
        if user_id is None:
            data = super().load()
        else:
            keys = user_keys(user_id)
            try:
                found = self._cache.get_many([self.cache_key, *keys])
            except Exception:  # as Django's load: an unreadable key resets the session
                found = {}
            data = found.get(self.cache_key)
            if data is None:  # not cached (or gone): Django's way, from the table
                data = super().load()
            elif data.get(SESSION_KEY) == user_id:
                into = read_with_session.get()
                if into is not None:  # Django is resolving the request's user
                    into.update(user_id=user_id, entries={k: found[k] for k in keys if k in found})
        _remember(self.session_key, data)
        return data

    def save(self, must_create: bool = False) -> None:
        super().save(must_create)
        # At login: the next request of this session reads its user with it.
        _remember(self.session_key, self._session)

    def delete(self, session_key: str | None = None) -> None:
        _USER_OF_SESSION.pop(session_key or self.session_key or "", None)
        super().delete(session_key)


class SessionUserMiddleware(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware``, letting the user backend use what the
    session's read brought."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # Django's checks (the session middleware first)
        request.user = SimpleLazyObject(lambda: _user(request))


def _user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        token = read_with_session.set({})
        try:
            request._cached_user = session_user(request)  # type: ignore[attr-defined]
        finally:
            read_with_session.reset(token)
    return request._cached_user  # type: ignore[attr-defined]

"""Sessions in the shared cache (backed by the database), and one cache round trip for
the session and its user.

The session engine is Django's ``cached_db`` with one addition: a logged-in browser
also carries a ``shop_uid`` cookie naming its user, only a hint, and when a request
loads its session (requests that never look at it, like the catalog's, read nothing),
the session and that user's cache entry come back from one MGET instead of two GETs.
Who the caller is still comes from the session alone: an entry read for another user
id than the session's is not used.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.http import HttpRequest, HttpResponse

from adapters.persistence import auth_backend

UID_COOKIE = "shop_uid"


class SessionStore(cached_db.SessionStore):
    _user_hint: str | None = None

    def expect_user(self, user_id: str) -> None:
        """When the session is loaded (only if the request needs it), read this user's
        cache entry in the same round trip."""
        self._user_hint = user_id

    def load(self) -> dict[str, Any]:
        uid, self._user_hint = self._user_hint, None
        if uid is None:
            return super().load()
        try:
            found = self._cache.get_many([self.cache_key, *auth_backend.user_keys(uid)])
        except Exception:  # as cached_db does: the database still has the session
            return super().load()
        auth_backend.read_ahead(uid, found)
        data = found.get(self.cache_key)
        return data if data is not None else super().load()


def _user_id(hint: str | None) -> str | None:
    """The hint as a user id, or None when it is not one (nothing is read for it)."""
    try:
        return str(uuid.UUID(hint)) if hint else None
    except ValueError:
        return None


class ReadAheadMiddleware:
    """Between the session and authentication middleware (settings.MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        uid = _user_id(request.COOKIES.get(UID_COOKIE))
        if isinstance(session, SessionStore) and uid and session.session_key:
            session.expect_user(uid)
        try:
            response = self.get_response(request)
        finally:
            auth_backend.forget_read_ahead()
        return self._remember(request, response)

    @staticmethod
    def _remember(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Keep the hint in step with the session, when the request read it anyway."""
        session = getattr(request, "session", None)
        if session is None or not session.accessed:
            return response
        uid = session.get(SESSION_KEY)
        if uid and request.COOKIES.get(UID_COOKIE) != uid:
            response.set_cookie(
                UID_COOKIE,
                uid,
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        elif not uid and UID_COOKIE in request.COOKIES:
            response.delete_cookie(UID_COOKIE, samesite=settings.SESSION_COOKIE_SAMESITE)
        return response

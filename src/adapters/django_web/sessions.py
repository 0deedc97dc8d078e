"""Sessions in the shared cache (backed by the database), and one cache round trip for
the session and its user.

The session engine is Django's ``cached_db`` with one addition: data read ahead may be
handed to it. ``ReadAheadMiddleware`` does that read: a logged-in browser also carries
a ``shop_uid`` cookie naming its user, only a hint, so the session and the user's cache
entry come back from one MGET instead of two GETs. Who the caller is still comes from
the session alone: an entry read for another user id than the session's is not used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

from adapters.persistence import auth_backend

UID_COOKIE = "shop_uid"


class SessionStore(cached_db.SessionStore):
    _ahead: dict[str, Any] | None = None

    def read_ahead(self, data: dict[str, Any] | None) -> None:
        self._ahead = data

    def load(self) -> dict[str, Any]:
        data, self._ahead = self._ahead, None
        return data if data is not None else super().load()


class ReadAheadMiddleware:
    """Between the session and authentication middleware (settings.MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        uid = request.COOKIES.get(UID_COOKIE)
        if not isinstance(session, SessionStore) or not uid or not session.session_key:
            return self._remember(request, self.get_response(request))
        session_key, user_key = session.cache_key, auth_backend.user_key(uid)
        found = caches[settings.SESSION_CACHE_ALIAS].get_many([session_key, user_key])
        session.read_ahead(found.get(session_key))
        with auth_backend.read_ahead(uid, found.get(user_key)):
            response = self.get_response(request)
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

"""Session authentication with CSRF enforced on every unsafe request, logged in or not."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication


class CsrfSessionAuthentication(SessionAuthentication):
    """Django's session, plus Django's CSRF check on POST/PUT/PATCH/DELETE even before
    login (a forged login or register is an attack too)."""

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            self.enforce_csrf(request)
        if not user or not user.is_active:
            return None
        return (user, None)

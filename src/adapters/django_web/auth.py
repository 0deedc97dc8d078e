"""Session authentication with CSRF enforced on every unsafe request, logged in or not."""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck, SessionAuthentication

# Django's CSRF check keeps no state between requests, only what it reads once from the
# settings: one instance serves every request (DRF builds one per request, and Django's
# middleware set-up is not free), and a new one follows a change of those settings.
_CHECK = CSRFCheck(lambda request: None)


def _new_check(*, setting: str, **kwargs: Any) -> None:
    global _CHECK
    if setting.startswith("CSRF_"):
        _CHECK = CSRFCheck(lambda request: None)


setting_changed.connect(_new_check, dispatch_uid="shop-csrf-check")


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

    def enforce_csrf(self, request: Any) -> None:
        """DRF's check, with the shared checker."""
        _CHECK.process_request(request)  # puts the cookie's secret in request.META
        reason = _CHECK.process_view(request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")

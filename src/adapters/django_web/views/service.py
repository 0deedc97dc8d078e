"""Service routes: health, the OpenAPI schema and its docs page, the docs' static files."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.views import serve
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from adapters.django_web.errors import json_error, not_allowed
from adapters.django_web.transport_errors import RouteNotFound

SAFE = ("GET", "HEAD")


def healthz(request: HttpRequest) -> JsonResponse:
    if request.method not in SAFE:
        return not_allowed(SAFE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to reach the database is "down"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class _JsonErrors:
    """Errors, and the OPTIONS answer every API route gives, in JSON, not in the view's
    YAML or HTML renderer (the docs page's template cannot render either: 500)."""

    def handle_exception(self, exc: Exception) -> Response:
        response: Response = super().handle_exception(exc)  # type: ignore[misc]
        self._as_json()
        return response

    def options(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().options(request, *args, **kwargs)  # type: ignore[misc]
        self._as_json()
        return response

    def _as_json(self) -> None:
        request: Any = self.request  # type: ignore[attr-defined]
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


class SchemaView(_JsonErrors, SpectacularAPIView):
    pass


class DocsView(_JsonErrors, SpectacularSwaggerView):
    pass


def static_file(request: HttpRequest, path: str) -> HttpResponse:
    """The docs page's scripts and styles (and the admin's), found by the staticfiles
    finders: the docs need no outside host and no separate file server."""
    if request.method not in SAFE:
        return not_allowed(SAFE)
    try:
        return serve(request, path, insecure=True)
    except (Http404, SuspiciousOperation, ValueError, OSError):
        # Missing, or a name no file can have: outside the static roots ("..%2f"), a NUL
        # byte, too long for the file system. Each is a file that is not there.
        return json_error(RouteNotFound())

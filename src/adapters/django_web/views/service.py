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


_FRONT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop API</title></head>
<body><h1>Shop API</h1>
<p>There is no storefront here yet: this is the shop's HTTP API.</p>
<ul>
<li><a href="/api/docs">/api/docs</a>: the interactive API docs</li>
<li><a href="/api/schema">/api/schema</a>: the OpenAPI document</li>
<li><a href="/admin/">/admin/</a>: the admin site, for staff</li>
</ul></body></html>
"""


def front_door(request: HttpRequest) -> HttpResponse:
    """``/``: until the storefront exists, a visitor is pointed to the API docs (a small
    HTML page for a browser, the same links as JSON for an API client)."""
    if request.method not in SAFE:
        return not_allowed(SAFE)
    links = {"docs": "/api/docs", "schema": "/api/schema", "admin": "/admin/"}
    # A browser asks for HTML first; curl's */* and API clients get JSON.
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        answer = HttpResponse(_FRONT_PAGE, content_type="text/html; charset=utf-8")
    else:
        answer = JsonResponse(links)
    answer["Vary"] = "Accept"
    return answer

"""Service routes: health, the OpenAPI schema and its docs page, the docs' static files."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.views import serve
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from adapters.django_web.errors import json_error
from shop_domain.errors import MethodNotAllowed

SAFE = ("GET", "HEAD")


def healthz(request: HttpRequest) -> JsonResponse:
    if request.method not in SAFE:
        response = json_error(MethodNotAllowed())
        response["Allow"] = ", ".join(SAFE)
        return response
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to reach the database is "down"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class _JsonErrors:
    """Errors in the contract's JSON shape, not in the view's YAML or HTML renderer."""

    def handle_exception(self, exc: Exception) -> Response:
        response: Response = super().handle_exception(exc)  # type: ignore[misc]
        request: Any = self.request  # type: ignore[attr-defined]
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(_JsonErrors, SpectacularAPIView):
    pass


class DocsView(_JsonErrors, SpectacularSwaggerView):
    pass


def static_file(request: HttpRequest, path: str) -> HttpResponse:
    """The docs page's scripts and styles (and the admin's), found by the staticfiles
    finders: the docs need no outside host and no separate file server."""
    if request.method not in SAFE:
        return json_error(MethodNotAllowed())
    return serve(request, path, insecure=True)

"""Middleware that keeps every answer in the contract's JSON shape."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from adapters.django_web.errors import json_error
from shop_domain import errors as e

log = logging.getLogger("shop.errors")


class JsonErrorsMiddleware:
    """Refuses oversized bodies with 413/1007 before anything reads them, and turns an
    escaped exception (the database gone, say) into 500/1999 JSON instead of HTML."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(e.ValidationFailed(details={"Content-Length": ["not a number"]}))
        if self.limit is not None and length > self.limit:
            return json_error(e.RequestTooLarge(details={"limit_bytes": self.limit}))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse:
        if isinstance(exception, DatabaseError):
            log.error("database error: %s", exception)
            return json_error(e.InternalError("database unavailable"))
        log.exception("unexpected error", exc_info=exception)
        return json_error(e.InternalError())

"""Middleware that keeps every answer in the contract's JSON shape."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import LimitedStream
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from adapters.django_web import transport_errors as t
from adapters.django_web.errors import json_error, not_allowed, translate
from shop_domain import errors as e

log = logging.getLogger("shop.errors")


# Health probes come from load balancers that name the instance by its address.
HOST_FREE_PATHS = frozenset({"/healthz", "/healthz/"})
# The Django admin is pages and forms; its views answer any other method with a page.
ADMIN_METHODS = ("GET", "HEAD", "POST")
# An oversized body is read and dropped up to this many times the limit before the 413.
DISCARD_FACTOR = 16


class JsonErrorsMiddleware:
    """Refuses a Host the shop does not serve (400/1000) and oversized bodies (413/1007,
    chunked ones too) before anything reads them, answers the 404s and 405s of Django's
    own views (the admin's, the static files') in JSON, turns an escaped exception (the
    database gone, say) into 500/1999 JSON instead of HTML, and gives every answer its
    Content-Length."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in HOST_FREE_PATHS:
            try:
                # Checked first: a view building a link from it would fail after its work
                # was done (Django's CommonMiddleware, which would check it, is not used).
                request.get_host()
            except DisallowedHost:
                details = {"Host": ["not a host this shop serves (SHOP_ALLOWED_HOSTS)"]}
                return with_length(json_error(e.ValidationFailed(details=details)))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            details = {"Content-Length": ["not a number"]}
            return with_length(json_error(e.ValidationFailed(details=details)))
        if self.limit is not None and length > self.limit:
            return with_length(self._too_large(request, length))
        if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            refused = self._read_chunked(request)
            if refused is not None:
                return with_length(refused)
        return with_length(_json_405(self.get_response(request)))

    def _too_large(self, request: HttpRequest, length: int | None) -> HttpResponse:
        """413/1007, once what the client is still sending is read and dropped (up to
        DISCARD_FACTOR times the limit): closing the connection with a body unread makes
        the kernel reset it, and the client, still sending, often never sees the answer."""
        stream = request.META.get("wsgi.input")
        budget = DISCARD_FACTOR * (self.limit or 0)
        if stream is not None:
            if length is not None:
                stream = LimitedStream(stream, min(length, budget))
            with contextlib.suppress(Exception):  # a client gone or sending garbage
                while budget > 0 and (piece := stream.read(min(64 * 1024, budget))):
                    budget -= len(piece)
        return json_error(t.RequestTooLarge(details={"limit_bytes": self.limit}))

    def _read_chunked(self, request: HttpRequest) -> HttpResponse | None:
        """A body sent with Transfer-Encoding: chunked comes (de-chunked by gunicorn) with
        no CONTENT_LENGTH, and Django reads such a body as empty: a valid request was
        refused as "field required", an oversized one slipped past the limit. Read it
        here, one byte over the limit at most, and give the request its length; or the
        refusal."""
        stream = request.META.get("wsgi.input")
        if stream is None:
            return None
        try:
            raw = stream.read() if self.limit is None else stream.read(self.limit + 1)
        except Exception:  # the server's chunk parser: bad sizes, missing terminators
            details = {"body": ["malformed chunked body"]}
            return json_error(e.ValidationFailed(details=details))
        if self.limit is not None and len(raw) > self.limit:
            return self._too_large(request, None)
        request.META["CONTENT_LENGTH"] = str(len(raw))
        # Django made the request's stream from the (then unknown) length of 0.
        request._stream = LimitedStream(io.BytesIO(raw), len(raw))  # type: ignore[attr-defined]
        return None

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> Any:
        match = request.resolver_match
        # The admin site's own views, and the throttled login page routed ahead of them.
        admin_page = match is not None and "admin" in match.app_names
        if admin_page or request.path_info.startswith("/admin/"):
            if request.method not in ADMIN_METHODS:
                return not_allowed(ADMIN_METHODS)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse:
        # Django's own views (the admin, static files) raise Http404 and the like for a
        # client's mistake: those are the client's 4xx, not our 500.
        expected = translate(exception)
        if expected is not None:
            return json_error(expected)
        if isinstance(exception, DatabaseError):
            log.error("database error: %s", exception)
            return json_error(e.InternalError("database unavailable"))
        log.exception("unexpected error", exc_info=exception)
        return json_error(e.InternalError())


def _json_405(response: HttpResponse) -> HttpResponse:
    """Django's own views (the admin's login and logout) refuse a method with an empty
    HTML 405: the same answer in the contract's shape, with their Allow header."""
    if response.status_code != 405 or response.get("Content-Type", "").startswith(JSON):
        return response
    return not_allowed(tuple(m.strip() for m in response.get("Allow", "").split(",") if m))


JSON = "application/json"


def with_length(response: HttpResponse) -> HttpResponse:
    """Without a Content-Length, gunicorn frames the body in chunks and sends the closing
    chunk in a second write: two packets, and a client that must decode the framing, for
    every answer (what Django's CommonMiddleware does, without its URL rewriting)."""
    if not response.streaming and "Content-Length" not in response:
        response.headers["Content-Length"] = str(len(response.content))
    return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's messages (the admin's notices), with the storage made only when a view
    uses it: building it for every API request cost more than some whole views."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response  # never used: nothing to store
        return super().process_response(request, response)

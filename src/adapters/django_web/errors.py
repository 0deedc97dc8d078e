"""The one place that knows HTTP for errors: a table from error class to status, and the
handler that renders every error, ours and DRF's, as {"code", "message", "details"}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from adapters.django_web import transport_errors as t
from shop_domain import errors as e

log = logging.getLogger("shop.errors")

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: list[tuple[type[e.ShopError], int]] = [
    (e.TooManyRequests, 429),
    (t.RequestTooLarge, 413),
    (t.MethodNotAllowed, 405),
    (e.InternalError, 500),
    (e.CurrencyMismatch, 500),
    (e.Unprocessable, 422),
    (e.InvalidInput, 400),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.NotAllowed, 403),
    (e.Declined, 402),
    (e.Unavailable, 502),
]


def status_for(error: e.ShopError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def body(code: int, message: str, details: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details}


def shop_error_response(error: e.ShopError) -> Response:
    response = Response(body(error.code, error.text, error.details), status=status_for(error))
    if isinstance(error, e.TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def translate(exc: Exception) -> e.ShopError | None:
    """DRF's and Django's exceptions as the contract's errors (None: not one we expect).
    Used by DRF's handler and by the middleware, for what Django's own views raise (the
    admin's and the static files' Http404, say)."""
    if isinstance(exc, e.ShopError):
        return exc
    if isinstance(exc, drf.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return e.ValidationFailed(details=_string_keys(detail))
    if isinstance(exc, drf.ParseError):
        return e.ValidationFailed(details={"body": [str(exc.detail)]})
    if isinstance(exc, drf.UnsupportedMediaType):
        return e.ValidationFailed(details={"body": ["send JSON (Content-Type: application/json)"]})
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return t.NotAuthenticated()
    if isinstance(exc, drf.PermissionDenied | DjangoPermissionDenied):
        text = str(getattr(exc, "detail", exc))
        if text.startswith("CSRF Failed"):
            return t.CsrfFailed(details={"reason": text})
        return e.StaffOnly()
    if isinstance(exc, drf.NotFound | Http404):
        return t.RouteNotFound()
    if isinstance(exc, drf.MethodNotAllowed):
        return t.MethodNotAllowed()
    if isinstance(exc, drf.Throttled):
        return e.TooManyAttempts(retry_after=int(exc.wait or 60))
    if isinstance(exc, RequestDataTooBig):
        return t.RequestTooLarge()
    if isinstance(exc, SuspiciousOperation | BadRequest):  # what Django answers with 400
        return e.ValidationFailed(details={"request": [type(exc).__name__]})
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    error = translate(exc)
    if error is None:
        log.exception("unexpected error", exc_info=exc)
        error = e.InternalError()
    return shop_error_response(error)


def json_error(error: e.ShopError) -> JsonResponse:
    """The same shape for responses made outside DRF (middleware, 404 and 500 handlers)."""
    return JsonResponse(body(error.code, error.text, error.details), status=status_for(error))


def not_allowed(allowed: tuple[str, ...]) -> JsonResponse:
    """405/1006 from a plain Django view, with the methods it does answer."""
    response = json_error(t.MethodNotAllowed())
    response["Allow"] = ", ".join(allowed)
    return response


def handler404(request: object, exception: Exception | None = None) -> JsonResponse:
    return json_error(t.RouteNotFound())


def handler500(request: object) -> JsonResponse:
    return json_error(e.InternalError())


def handler403(request: object, exception: Exception | None = None) -> JsonResponse:
    return json_error(e.StaffOnly())


def handler400(request: object, exception: Exception | None = None) -> JsonResponse:
    return json_error(e.ValidationFailed())


def csrf_failure(request: object, reason: str = "") -> JsonResponse:
    return json_error(t.CsrfFailed(details={"reason": reason}))


def _string_keys(detail: Any) -> Any:
    """DRF words errors of list items under their index (an int): JSON keys are text."""
    if isinstance(detail, dict):
        return {str(k): _string_keys(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_string_keys(v) for v in detail]
    return detail

"""The Idempotency-Key header: the same key from the same customer with the same body
replays the first response and has no second effect; another body answers 422/1005.
Parallel requests with one key wait for the first and replay it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web.containers import idempotency_store
from adapters.django_web.errors import shop_error_response, status_for
from shop_domain.errors import (
    IdempotencyKeyReused,
    IdempotentRequestInProgress,
    ShopError,
    ValidationFailed,
)

WAIT_FOR_FIRST_SECONDS = 10.0


def _fingerprint(request: Request) -> str:
    data = request.data if isinstance(request.data, dict) else {"_": request.data}
    canonical = json.dumps(
        [request.method, request.path.rstrip("/"), data], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a view method of a logged-in customer route."""
    return _idempotent(handler, keep_failures=False)


def idempotent_keeping_failures(handler: Callable[..., Response]) -> Callable[..., Response]:
    """The same, but an answer of 500 or more is kept and replayed too: for a route whose
    failure may already have had an effect elsewhere (a refund recorded, its provider
    perhaps reached), so that a retry with the key never asks the provider again."""
    return _idempotent(handler, keep_failures=True)


def _idempotent(
    handler: Callable[..., Response], *, keep_failures: bool
) -> Callable[..., Response]:

    @wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        # META directly: request.headers would first build a dict of every header.
        key = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 255:
            raise ValidationFailed(details={"Idempotency-Key": ["1 to 255 characters"]})
        store = idempotency_store()
        customer = view.customer_id(request)
        fingerprint = _fingerprint(request)
        deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
        while True:
            claim = store.claim(customer, key, fingerprint, datetime.now(UTC))
            if claim.mine:
                break
            if claim.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            if claim.status_code is not None:
                replay = Response(claim.response, status=claim.status_code)
                replay["Idempotent-Replayed"] = "true"
                return replay
            if time.monotonic() > deadline:
                raise IdempotentRequestInProgress()
            time.sleep(0.05)
        try:
            response = handler(view, request, *args, **kwargs)
        except ShopError as error:
            if status_for(error) >= 500 and not keep_failures:  # worth retrying: key freed
                store.release(customer, key)
                raise
            response = shop_error_response(error)
        except BaseException:
            store.release(customer, key)
            raise
        store.complete(customer, key, response.status_code, response.data)
        return response

    return wrapper

"""The answers gunicorn writes by itself, in the contract's JSON error shape.

gunicorn refuses some requests before the application sees them: a request line over
its limit (414), header fields too large (431), a malformed request line or header
(400). For those it writes a small HTML page of its own; the contract says every error
is ``{"code", "message", "details"}``, never an HTML page. ``install()`` replaces
gunicorn's error writer in the process that serves the shop (wsgi.py calls it), keeping
gunicorn's status and reason.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from adapters.django_web import transport_errors as t
from shop_domain import errors as e

# gunicorn's status -> the contract's error.
_ERRORS: dict[int, type[e.ShopError]] = {
    400: e.ValidationFailed,
    414: t.RequestTooLarge,
    431: t.RequestTooLarge,
    500: e.InternalError,
}


def json_error_bytes(status: int, reason: str, message: str) -> bytes:
    """The whole HTTP answer gunicorn sends for a request it refused."""
    error = _ERRORS.get(status, e.ValidationFailed)
    details = {"reason": f"{reason}: {message}" if message else reason}
    body = json.dumps({"code": error.code, "message": error.message, "details": details})
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body.encode("ascii")


def install() -> None:
    """Under gunicorn only: its workers write refusals through ``gunicorn.util``."""
    util: Any = sys.modules.get("gunicorn.util")
    if util is None or getattr(util.write_error, "shop_json", False):
        return

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        util.write_nonblock(sock, json_error_bytes(status_int, reason, mesg))

    write_error.shop_json = True  # type: ignore[attr-defined]
    util.write_error = write_error

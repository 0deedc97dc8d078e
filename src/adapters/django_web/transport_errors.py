"""Errors of HTTP itself, not of the shop's rules: the web adapter raises and answers
them; the core never sees them. They keep the contract's codes and messages and sit in
the domain's categories where one fits, so that errors.py maps them with the rest.
No Django here: the unit test of the error table imports this module."""

from __future__ import annotations

from shop_domain.errors import NotAllowed, NotFound, ShopError


class RouteNotFound(NotFound):
    """No such route, or an id in a path that is not a UUID (404)."""

    code = 1004
    message = "not found"


class MethodNotAllowed(ShopError):
    """The route exists but not for this method (405)."""

    code = 1006
    message = "method not allowed"


class RequestTooLarge(ShopError):
    """The request (body, line or headers) is over the configured limit (413)."""

    code = 1007
    message = "request too large"


class NotAuthenticated(NotAllowed):
    """The route needs a logged-in customer and the request has no session (403)."""

    code = 3002
    message = "Authentication credentials were not provided."


class CsrfFailed(NotAllowed):
    """An unsafe request with a session but without a valid CSRF token (403)."""

    code = 3003
    message = "CSRF Failed"

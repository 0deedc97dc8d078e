"""Query-string checks and the pagination envelope {"count","next","previous","results"}."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from rest_framework import serializers
from rest_framework.request import Request

from adapters.django_web.fields import WholeNumber
from shop_app.ports.paging import MAX_PAGE_SIZE, Keyset, Page, PageRequest
from shop_domain.errors import ValidationFailed

PAGING_PARAMS = frozenset({"page", "page_size"})


class PageQuery(serializers.Serializer):
    page = WholeNumber(min_value=1, max_value=10**6, default=1)
    page_size = WholeNumber(min_value=1, max_value=MAX_PAGE_SIZE, default=20)


@functools.cache
def _shape(serializer: type[serializers.Serializer]) -> tuple[frozenset[str], dict[str, Any]]:
    """The parameters a query serializer knows, and what it answers to an empty query."""
    empty = serializer(data={})
    empty.is_valid(raise_exception=True)
    return frozenset(serializer().fields), dict(empty.validated_data)


def query(request: Request, serializer: type[serializers.Serializer] = PageQuery) -> dict[str, Any]:
    """Validate the query string: unknown parameters are refused, not ignored."""
    allowed, defaults = _shape(serializer)
    if not request.query_params:
        return dict(defaults)  # the usual request: nothing to check
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationFailed(details={name: ["unknown query parameter"] for name in unknown})
    s = serializer(data={k: request.query_params.get(k) for k in request.query_params})
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def page_request(params: dict[str, Any]) -> PageRequest:
    return PageRequest(page=params.get("page", 1), size=params.get("page_size", 20))


def _pairs(request: Request) -> list[tuple[str, str]]:
    seen: set[str] = set()
    pairs = []
    for key, values in request.query_params.lists():
        if key == "page":  # one page, at the place of the first
            if key in seen:
                continue
            values = values[:1]
        seen.add(key)
        pairs += [(key, value) for value in values]
    return pairs


def envelope(
    request: Request,
    page: Page[Any],
    asked: PageRequest,
    render: Callable[[Any], dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    base = request.build_absolute_uri(request.path)

    def link(number: int) -> str:
        # The query as asked, with its page changed in place (or added at the end).
        params = [(k, str(number) if k == "page" else v) for k, v in _pairs(request)]
        if "page" not in request.query_params:
            params.append(("page", str(number)))
        return f"{base}?{urlencode(params)}"

    last = max(1, -(-page.count // asked.size))
    items: Iterable[Any] = page.items
    return {
        "count": page.count,
        "next": link(asked.page + 1) if asked.page < last else None,
        "previous": link(asked.page - 1) if 1 < asked.page <= last + 1 else None,
        "results": [render(item) for item in items],
        **extra,
    }


# -- Keyset pages (the catalog's ``cursor``) ---------------------------------------------
# A cursor is opaque to clients: URL-safe base64 of JSON [ordering, value, id, backward].
# It is only read back for the ordering it was made for.


def cursor_token(ordering: str, value: Any, pk: Any, *, backward: bool = False) -> str:
    raw = json.dumps([ordering, str(value), str(pk), backward], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_after(ordering: str, value: Any, pk: Any) -> str:
    """The cursor of the page that follows the item (value, pk) in ``ordering``."""
    return cursor_token(ordering, value, pk)


def read_cursor(token: str, ordering: str, decode_value: Callable[[str], Any]) -> Keyset:
    """The place a cursor names (an empty cursor: the start); a cursor that is not one
    of ours, or made for another ordering, is a 1000 validation error."""
    if token == "":
        return Keyset()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, value, pk, backward = json.loads(raw)
        if made_for != ordering or not isinstance(backward, bool):
            raise ValueError(made_for)
        return Keyset(value=decode_value(value), id=str(uuid.UUID(pk)), backward=backward)
    except (ValueError, TypeError, binascii.Error, ArithmeticError):
        raise ValidationFailed(
            details={"cursor": ["not a cursor of this list and ordering"]}
        ) from None


def keyset_envelope(
    request: Request,
    page: Page[Any],
    ordering: str,
    key_of: Callable[[Any], tuple[Any, Any]],
    render: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """The envelope of a keyset page: ``next`` / ``previous`` carry cursors (the query's
    other parameters kept as asked), null at either end of the list."""
    base = request.build_absolute_uri(request.path)

    def link(token: str) -> str:
        params = [(k, v) for k, v in _pairs(request) if k != "cursor"]
        return f"{base}?{urlencode([*params, ('cursor', token)])}"

    items = list(page.items)
    nxt = prev = None
    if items and page.after:
        nxt = link(cursor_token(ordering, *key_of(items[-1])))
    if items and page.before:
        prev = link(cursor_token(ordering, *key_of(items[0]), backward=True))
    return {
        "count": page.count,
        "next": nxt,
        "previous": prev,
        "results": [render(item) for item in items],
    }

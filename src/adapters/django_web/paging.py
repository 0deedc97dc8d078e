"""Query-string checks and the pagination envelope {"count","next","previous","results"}."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from rest_framework import serializers
from rest_framework.request import Request

from adapters.django_web.fields import WholeNumber
from shop_app.ports.paging import MAX_PAGE_SIZE, Page, PageRequest
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

"""The catalog, open to everyone."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.presenters import product_json
from adapters.django_web.views.base import PublicView
from shop_app.ports.repositories import ProductFilter
from shop_app.read_models import ProductView
from shop_domain.errors import ValidationFailed
from shop_domain.ids import ProductId
from shop_domain.money import MAX_AMOUNT


class ProductQuery(paging.PageQuery):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(
        choices=["name", "-name", "price", "-price"], required=False, default="name"
    )
    # Keyset pages (this shop's extension): empty for the first page, then the cursor
    # of a `next` / `previous` link. Not with `page`.
    cursor = serializers.CharField(max_length=500, required=False, allow_blank=True)


def _price_value(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite() or abs(value) > MAX_AMOUNT:  # what a price column can hold
        raise ValueError(text)
    return value


def _name_value(text: str) -> str:
    if "\x00" in text or len(text) > 200:  # what a name column can hold
        raise ValueError(text)
    return text


def _key_of(ordering: str) -> Callable[[ProductView], tuple[Any, Any]]:
    if ordering.lstrip("-") == "price":
        return lambda p: (p.price.amount, p.id)
    return lambda p: (p.name, p.id)


class CatalogView(PublicView):
    """Browsing needs nobody's identity: skipping authentication spares every catalog
    read the session and user lookups (GET only, so no CSRF to enforce either)."""

    authentication_classes: list[Any] = []


class ListProductsView(CatalogView):
    @schema.operation(
        "products",
        (200, schema.ProductPage),
        {400: "1000 bad filter or page"},
        access="anonymous",
        parameters=[ProductQuery],
        description="Active products only; `name` is a case-insensitive substring match, `type` exact. "
        "`cursor` (empty for the first page) pages by keyset: `next` / `previous` then carry cursors.",
    )
    def get(self, request: Request) -> Response:
        params = paging.query(request, ProductQuery)
        asked = paging.page_request(params)
        ordering = params["ordering"]
        if "cursor" in params:
            if "page" in request.query_params:
                raise ValidationFailed(details={"cursor": ["not with page"]})
            decode = _price_value if ordering.lstrip("-") == "price" else _name_value
            keyset = paging.read_cursor(params["cursor"], ordering, decode)
            asked = attrs.evolve(asked, keyset=keyset)
        found = self.use.list_products()(
            filter=ProductFilter(
                name=params.get("name") or None,
                product_type=params.get("type") or None,
                ordering=ordering,
            ),
            page=asked,
        )
        if asked.keyset is not None:
            return Response(
                paging.keyset_envelope(request, found, ordering, _key_of(ordering), product_json)
            )
        return Response(paging.envelope(request, found, asked, product_json))


class ProductDetailView(CatalogView):
    @schema.operation(
        "product", (200, schema.Product), {404: "1045 product not found"}, access="anonymous"
    )
    def get(self, request: Request, product_id: UUID) -> Response:
        product = self.use.get_product()(product_id=ProductId(product_id))
        return Response(product_json(product))

"""The catalog, open to everyone."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.presenters import product_json
from adapters.django_web.views.base import PublicView
from shop_app.ports.repositories import ProductFilter
from shop_domain.ids import ProductId


class ProductQuery(paging.PageQuery):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(
        choices=["name", "-name", "price", "-price"], required=False, default="name"
    )


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
        description="Active products only; `name` is a case-insensitive substring match, `type` exact.",
    )
    def get(self, request: Request) -> Response:
        params = paging.query(request, ProductQuery)
        asked = paging.page_request(params)
        found = self.use.list_products()(
            filter=ProductFilter(
                name=params.get("name") or None,
                product_type=params.get("type") or None,
                ordering=params["ordering"],
            ),
            page=asked,
        )
        return Response(paging.envelope(request, found, asked, product_json))


class ProductDetailView(CatalogView):
    @schema.operation(
        "product", (200, schema.Product), {404: "1045 product not found"}, access="anonymous"
    )
    def get(self, request: Request, product_id: UUID) -> Response:
        product = self.use.get_product()(product_id=ProductId(product_id))
        return Response(product_json(product))

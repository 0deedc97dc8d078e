"""Staff routes: catalog and stock, every customer's orders, transfers paid by hand."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.fields import WholeNumber, money_amount
from adapters.django_web.presenters import OK_UPDATED, order_json, staff_product_json
from adapters.django_web.quick_check import validated
from adapters.django_web.views.base import StaffView
from shop_app.ports.events import EventView
from shop_app.ports.repositories import ProductFilter
from shop_domain.ids import OrderId, ProductId
from shop_domain.order import OrderStatus
from shop_domain.payment import ChangeSource


class ProductInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    price = money_amount()
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    product_type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=["new", "promotions", "sales"], required=False)
    stock = WholeNumber(min_value=0, max_value=10**9, required=False)
    active = serializers.BooleanField(required=False)


class PartialProductInput(ProductInput):
    name = serializers.CharField(max_length=200, required=False)
    price = money_amount(required=False)


class StaffProductsView(StaffView):
    @schema.operation(
        "staff_products",
        (200, schema.StaffProductPage),
        {400: "1000 bad query"},
        access="staff",
        parameters=schema.PAGING,
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.use.list_products()(filter=ProductFilter(active_only=False), page=asked)
        return Response(paging.envelope(request, found, asked, staff_product_json))

    @schema.operation(
        "staff_product_create",
        (201, schema.StaffProduct),
        {400: "1000 validation error"},
        request=ProductInput,
        name="StaffProduct",
        access="staff",
        fields={"price": schema.PriceInputField},
    )
    def post(self, request: Request) -> Response:
        data = validated(ProductInput, request.data)
        product = self.use.create_product()(**data)
        return Response(staff_product_json(product), status=201)


class StaffProductView(StaffView):
    @schema.operation(
        "staff_product", (200, schema.StaffProduct), {404: "1045 product not found"}, access="staff"
    )
    def get(self, request: Request, product_id: UUID) -> Response:
        product = self.use.get_product()(product_id=ProductId(product_id), include_inactive=True)
        return Response(staff_product_json(product))

    def _update(self, request: Request, product_id: UUID, partial: bool) -> Response:
        data: dict[str, Any] = validated(
            PartialProductInput if partial else ProductInput, request.data
        )
        product = self.use.update_product()(product_id=ProductId(product_id), **data)
        return Response(staff_product_json(product))

    @schema.operation(
        "staff_product_update",
        (200, schema.StaffProduct),
        {400: "1000 validation error", 404: "1045 product not found"},
        request=ProductInput,
        name="StaffProduct",
        access="staff",
        fields={"price": schema.PriceInputField},
    )
    def put(self, request: Request, product_id: UUID) -> Response:
        return self._update(request, product_id, partial=False)

    @schema.operation(
        "staff_product_patch",
        (200, schema.StaffProduct),
        {400: "1000 validation error", 404: "1045 product not found"},
        request=PartialProductInput,
        name="StaffProductPatch",
        access="staff",
        fields={"price": schema.PriceInputField},
    )
    def patch(self, request: Request, product_id: UUID) -> Response:
        return self._update(request, product_id, partial=True)

    @schema.operation(
        "staff_product_deactivate",
        (200, schema.StatusMessage),
        {404: "1045 product not found"},
        access="staff",
        description="Deactivates the product (it leaves the catalog).",
    )
    def delete(self, request: Request, product_id: UUID) -> Response:
        self.use.deactivate_product()(product_id=ProductId(product_id))
        return Response(OK_UPDATED)


class StatusQuery(paging.PageQuery):
    status = serializers.ChoiceField(choices=[s.value for s in OrderStatus], required=False)
    fulfilment = serializers.ChoiceField(choices=["shipped", "unshipped"], required=False)


class StaffOrdersView(StaffView):
    @schema.operation(
        "staff_orders",
        (200, schema.OrderPage),
        {400: "1000 bad query"},
        access="staff",
        parameters=[StatusQuery],
    )
    def get(self, request: Request) -> Response:
        params = paging.query(request, StatusQuery)
        asked = paging.page_request(params)
        status = OrderStatus(params["status"]) if params.get("status") else None
        shipped = {"shipped": True, "unshipped": False}.get(params.get("fulfilment") or "")
        found = self.use.list_orders()(page=asked, customer_id=None, status=status, shipped=shipped)
        return Response(paging.envelope(request, found, asked, order_json))


class EventQuery(paging.PageQuery):
    type = serializers.CharField(max_length=32, required=False)
    order = serializers.UUIDField(required=False)


def event_json(e: EventView) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "created_at": e.created_at.isoformat(),
        "sequence": e.sequence,
        "data": e.data,
    }


class StaffEventsView(StaffView):
    @schema.operation(
        "staff_events",
        (200, schema.EventPage),
        {400: "1000 bad query"},
        access="staff",
        parameters=[EventQuery],
        description="The event log, oldest first, by event type and/or order.",
    )
    def get(self, request: Request) -> Response:
        params = paging.query(request, EventQuery)
        asked = paging.page_request(params)
        order = params.get("order")
        found = self.use.list_events()(
            page=asked,
            type=params.get("type") or None,
            order_id=OrderId(order) if order is not None else None,
        )
        return Response(paging.envelope(request, found, asked, event_json))


class StaffOrderView(StaffView):
    @schema.operation(
        "staff_order", (200, schema.Order), {404: "1001 order not found"}, access="staff"
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        order = self.use.get_order()(order_id=OrderId(order_id), customer_id=None)
        return Response(order_json(order))


class StaffSetPaidView(StaffView):
    @schema.operation(
        "staff_order_set_paid",
        (200, schema.StatusMessage),
        {404: "1001 order not found", 409: "5001 order cannot be paid in its status"},
        access="staff",
        description="Confirms a bank transfer by hand.",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        self.use.mark_transfer_paid()(order_id=OrderId(order_id), source=ChangeSource.STAFF)
        return Response(OK_UPDATED)

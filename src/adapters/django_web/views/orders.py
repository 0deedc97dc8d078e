"""Orders: place from the bucket, list, read, cancel."""

from __future__ import annotations

from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.idempotency import idempotent
from adapters.django_web.presenters import OK_UPDATED, order_json
from adapters.django_web.quick_check import validated
from adapters.django_web.views import delivery
from adapters.django_web.views.base import ShopView
from adapters.django_web.views.refund_account import refund_account
from shop_domain.ids import OrderId


class OrdersView(ShopView):
    class Input(serializers.Serializer):
        payment = serializers.CharField(max_length=32)
        # Where a bank transfer refund goes (this shop's extension, see docs/contract-notes.md).
        refund_account = serializers.CharField(max_length=64, required=False, allow_blank=True)

    class Documented(Input, delivery.DeliveryInput):
        """The whole body, for the document: the delivery fields are checked apart
        (views/delivery.py), so that a Part 1 body keeps its quick check."""

        delivery_method = serializers.CharField(max_length=32, required=False)

    @schema.operation(
        "orders", (200, schema.OrderPage), {400: "1000 bad query"}, parameters=schema.PAGING
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.use.list_orders()(page=asked, customer_id=self.customer_id(request))
        return Response(paging.envelope(request, found, asked, order_json))

    @schema.operation(
        "order_place",
        (201, schema.Order),
        {
            400: "1000 validation error; 5003 payment method not available; "
            "1011 delivery method not available",
            404: "1010 address not found",
            409: "1083 bucket is empty; 1043 not enough products; 1008 same key in progress",
            422: schema.ERROR_TEXT[422],
        },
        request=Documented,
        name="OrderPlace",
        fields={"payment": schema.PaymentMethodField, "address": schema.AddressChoiceField},
        parameters=[schema.IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        order = self.use.place_order()(
            customer_id=self.customer_id(request),
            payment=data["payment"],
            delivery=delivery.delivery_choice(request.data),
            refund_account=refund_account(data.get("refund_account", "")),
        )
        return Response(order_json(order), status=201)


class OrderDetailView(ShopView):
    @schema.operation("order", (200, schema.Order), {404: "1001 order not found"})
    def get(self, request: Request, order_id: UUID) -> Response:
        order = self.use.get_order()(
            order_id=OrderId(order_id), customer_id=self.customer_id(request)
        )
        return Response(order_json(order))


class CancelOrderView(ShopView):
    @schema.operation(
        "order_cancel",
        (200, schema.StatusMessage),
        {
            400: "5003 the order's payment provider is no longer configured",
            404: "1001 order not found",
            409: "1003 only status new, to_pay, paid can be returned",
            502: "5005 payment provider unavailable (refund of a paid order)",
        },
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        self.use.cancel_order()(order_id=OrderId(order_id), customer_id=self.customer_id(request))
        return Response(OK_UPDATED)

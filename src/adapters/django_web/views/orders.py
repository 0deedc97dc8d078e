"""Orders: place from the bucket, list, read, cancel."""

from __future__ import annotations

from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging
from adapters.django_web.idempotency import idempotent
from adapters.django_web.presenters import OK_UPDATED, order_json
from adapters.django_web.views.base import ShopView, validated
from shop_domain.ids import OrderId


class OrdersView(ShopView):
    class Input(serializers.Serializer):
        payment = serializers.CharField(max_length=32)

    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.use.list_orders()(page=asked, customer_id=self.customer_id(request))
        return Response(paging.envelope(request, found, asked, order_json))

    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        order = self.use.place_order()(
            customer_id=self.customer_id(request), payment=data["payment"]
        )
        return Response(order_json(order), status=201)


class OrderDetailView(ShopView):
    def get(self, request: Request, order_id: UUID) -> Response:
        order = self.use.get_order()(
            order_id=OrderId(order_id), customer_id=self.customer_id(request)
        )
        return Response(order_json(order))


class CancelOrderView(ShopView):
    def post(self, request: Request, order_id: UUID) -> Response:
        self.use.cancel_order()(order_id=OrderId(order_id), customer_id=self.customer_id(request))
        return Response(OK_UPDATED)

"""Staff refund routes: refund lines, the delivery or a goodwill amount of a paid order,
list an order's refunds, mark a transfer refund's payout sent."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.fields import UUIDString, WholeNumber, money_amount
from adapters.django_web.idempotency import idempotent_keeping_failures
from adapters.django_web.presenters import refund_json
from adapters.django_web.quick_check import validated
from adapters.django_web.views.base import StaffView
from shop_app.ports.paging import Page
from shop_domain.ids import OrderId, OrderLineId, RefundId


class RefundLineInput(serializers.Serializer):
    order_product_uuid = UUIDString()
    quantity = WholeNumber(min_value=1, max_value=10**9)
    restock = serializers.BooleanField(required=False, default=False)


class RefundInput(serializers.Serializer):
    lines = RefundLineInput(many=True, required=False, max_length=1000)
    delivery = serializers.BooleanField(required=False, default=False)
    amount = money_amount(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MarkSentInput(serializers.Serializer):
    reference = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class OrderRefundsView(StaffView):
    @schema.operation(
        "staff_order_refunds",
        (200, schema.RefundPage),
        {400: "1000 bad query", 404: "1001 order not found"},
        access="staff",
        parameters=schema.PAGING,
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.use.list_refunds()(order_id=OrderId(order_id))
        page = Page(found[asked.offset : asked.offset + asked.size], len(found))
        return Response(paging.envelope(request, page, asked, refund_json))

    @schema.operation(
        "staff_order_refund",
        (201, schema.Refund),
        {
            400: "1000 validation error; 5003 the payment's provider is no longer configured",
            404: "1001 order not found",
            409: "5008 refund exceeds what can be refunded (also: order not paid, or "
            "returned); 5009 quantity exceeds what can be returned; 1008 same key in progress",
            422: schema.ERROR_TEXT[422],
            502: "5005 payment provider unavailable: the refund stays pending, nothing is "
            "refunded, and the provider is asked again later with the same idempotency key",
        },
        request=RefundInput,
        name="RefundCreate",
        access="staff",
        fields={"amount": schema.PriceInputField},
        parameters=[schema.IDEMPOTENCY_KEY],
    )
    @idempotent_keeping_failures
    def post(self, request: Request, order_id: UUID) -> Response:
        data: dict[str, Any] = validated(RefundInput, request.data)
        refund = self.use.refund_order()(
            order_id=OrderId(order_id),
            lines=[
                (OrderLineId(ln["order_product_uuid"]), ln["quantity"], ln["restock"])
                for ln in data.get("lines") or []
            ],
            delivery=data["delivery"],
            amount=data["amount"],
            reason=data["reason"],
        )
        return Response(refund_json(refund), status=201)


class MarkRefundSentView(StaffView):
    @schema.operation(
        "staff_refund_mark_sent",
        (200, schema.Refund),
        {
            400: "1000 validation error; 5003 not a bank transfer refund",
            404: "5010 refund not found",
        },
        request=MarkSentInput,
        name="RefundMarkSent",
        access="staff",
        description="Staff sent a bank transfer refund's payout: the refund succeeds.",
    )
    def post(self, request: Request, refund_id: UUID) -> Response:
        data = validated(MarkSentInput, request.data)
        refund = self.use.mark_refund_sent()(
            refund_id=RefundId(refund_id), reference=data["reference"]
        )
        return Response(refund_json(refund))

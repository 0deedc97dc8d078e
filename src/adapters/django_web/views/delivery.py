"""Addresses and delivery: the address book, the delivery methods (public list, staff
management), and staff marking an order shipped."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.fields import money_amount
from adapters.django_web.presenters import (
    OK_ADDRESS_REMOVED,
    OK_UPDATED,
    address_json,
    delivery_method_json,
    order_json,
    staff_delivery_method_json,
)
from adapters.django_web.quick_check import validated
from adapters.django_web.views.base import PublicView, ShopView, StaffView
from shop_app.use_cases.delivery import DeliveryChoice
from shop_domain.delivery import DeliveryKind
from shop_domain.errors import ValidationFailed
from shop_domain.ids import AddressId, OrderId

KINDS = [k.value for k in DeliveryKind]


class AddressInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    street = serializers.CharField(max_length=300)
    postal_code = serializers.CharField(max_length=16)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    is_default = serializers.BooleanField(required=False)


def _address_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "is_default"}


class AddressesView(ShopView):
    @schema.operation(
        "addresses", (200, schema.AddressPage), {400: "1000 bad query"}, parameters=schema.PAGING
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.use.list_addresses()(customer_id=self.customer_id(request), page=asked)
        return Response(paging.envelope(request, found, asked, address_json))

    @schema.operation(
        "address_create",
        (201, schema.Address),
        {400: "1000 validation error (postal code, phone, country)"},
        request=AddressInput,
        name="AddressInput",
    )
    def post(self, request: Request) -> Response:
        data = validated(AddressInput, request.data)
        entry = self.use.save_address()(
            customer_id=self.customer_id(request),
            fields=_address_fields(data),
            is_default=data.get("is_default", False),
        )
        return Response(address_json(entry), status=201)


class AddressView(ShopView):
    @schema.operation("address", (200, schema.Address), {404: "1010 address not found"})
    def get(self, request: Request, address_id: UUID) -> Response:
        entry = self.use.get_address()(
            customer_id=self.customer_id(request), address_id=AddressId(address_id)
        )
        return Response(address_json(entry))

    @schema.operation(
        "address_update",
        (200, schema.Address),
        {400: "1000 validation error", 404: "1010 address not found"},
        request=AddressInput,
        name="AddressInput",
        description="Replaces the address; without is_default it stays as it was.",
    )
    def put(self, request: Request, address_id: UUID) -> Response:
        data = validated(AddressInput, request.data)
        entry = self.use.save_address()(
            customer_id=self.customer_id(request),
            fields=_address_fields(data),
            is_default=data.get("is_default"),
            address_id=AddressId(address_id),
        )
        return Response(address_json(entry))

    @schema.operation(
        "address_remove", (200, schema.StatusMessage), {404: "1010 address not found"}
    )
    def delete(self, request: Request, address_id: UUID) -> Response:
        self.use.remove_address()(
            customer_id=self.customer_id(request), address_id=AddressId(address_id)
        )
        return Response(OK_ADDRESS_REMOVED)


class DeliveryMethodsView(PublicView):
    @schema.operation(
        "delivery_methods",
        (200, schema.DeliveryMethodPage),
        {400: "1000 bad query"},
        access="anonymous",
        parameters=schema.PAGING,
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.use.list_delivery_methods()(page=asked, active_only=True)
        return Response(paging.envelope(request, found, asked, delivery_method_json))


# --- placing an order with a delivery ------------------------------------------------


class DeliveryInput(serializers.Serializer):
    """The delivery fields of ``POST /api/orders`` (the order's view checks ``payment``)."""

    delivery_method = serializers.CharField(max_length=32)
    address = serializers.JSONField(required=False, allow_null=True)
    point_id = serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )


DELIVERY_FIELDS = ("delivery_method", "address", "point_id")


def delivery_choice(body: Any) -> DeliveryChoice | None:
    """The delivery asked for in an order's body; None when the body names none (the
    Part 1 order, which never reaches this serializer)."""
    if not isinstance(body, dict) or not any(body.get(k) is not None for k in DELIVERY_FIELDS):
        return None
    data = validated(DeliveryInput, body)
    address = data.get("address")
    if isinstance(address, str):
        try:
            address = AddressId(UUID(address))
        except ValueError:
            raise ValidationFailed(
                details={"address": ["an address uuid, or an address object"]}
            ) from None
    elif address is not None and not isinstance(address, dict):
        raise ValidationFailed(details={"address": ["an address uuid, or an address object"]})
    return DeliveryChoice(
        method=data["delivery_method"],
        address=address,
        point_id=(data.get("point_id") or "").strip().upper() or None,
    )


# --- staff ---------------------------------------------------------------------------


class DeliveryMethodInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=KINDS)
    price = money_amount()
    free_from = money_amount(required=False, allow_null=True)
    active = serializers.BooleanField(required=False)


class DeliveryMethodChange(serializers.Serializer):
    """PUT: every field but the code (which is the path's); PATCH: any of them."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=KINDS)
    price = money_amount()
    free_from = money_amount(required=False, allow_null=True)
    active = serializers.BooleanField(required=False)


class DeliveryMethodPatch(DeliveryMethodChange):
    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=KINDS, required=False)
    price = money_amount(required=False)


MONEY_FIELDS = {"price": schema.PriceInputField}


class StaffDeliveryMethodsView(StaffView):
    @schema.operation(
        "staff_delivery_methods",
        (200, schema.StaffDeliveryMethodPage),
        {400: "1000 bad query"},
        access="staff",
        parameters=schema.PAGING,
        description="Every delivery method, inactive ones too.",
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.use.list_delivery_methods()(page=asked, active_only=False)
        return Response(paging.envelope(request, found, asked, staff_delivery_method_json))

    @schema.operation(
        "staff_delivery_method_create",
        (201, schema.StaffDeliveryMethod),
        {400: "1000 validation error (also a code already used)"},
        request=DeliveryMethodInput,
        name="DeliveryMethodInput",
        access="staff",
        fields=MONEY_FIELDS,
    )
    def post(self, request: Request) -> Response:
        data = validated(DeliveryMethodInput, request.data)
        method = self.use.create_delivery_method()(**data)
        return Response(staff_delivery_method_json(method), status=201)


class StaffDeliveryMethodView(StaffView):
    @schema.operation(
        "staff_delivery_method",
        (200, schema.StaffDeliveryMethod),
        {404: "1013 delivery method not found"},
        access="staff",
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(staff_delivery_method_json(self.use.get_delivery_method()(code=code)))

    def _change(self, request: Request, code: str, serializer: type) -> Response:
        data = validated(serializer, request.data)
        method = self.use.update_delivery_method()(code=code, **data)
        return Response(staff_delivery_method_json(method))

    @schema.operation(
        "staff_delivery_method_update",
        (200, schema.StaffDeliveryMethod),
        {400: "1000 validation error", 404: "1013 delivery method not found"},
        request=DeliveryMethodChange,
        name="DeliveryMethodChange",
        access="staff",
        fields=MONEY_FIELDS,
    )
    def put(self, request: Request, code: str) -> Response:
        return self._change(request, code, DeliveryMethodChange)

    @schema.operation(
        "staff_delivery_method_patch",
        (200, schema.StaffDeliveryMethod),
        {400: "1000 validation error", 404: "1013 delivery method not found"},
        request=DeliveryMethodPatch,
        name="DeliveryMethodPatch",
        access="staff",
        fields=MONEY_FIELDS,
    )
    def patch(self, request: Request, code: str) -> Response:
        return self._change(request, code, DeliveryMethodPatch)

    @schema.operation(
        "staff_delivery_method_deactivate",
        (200, schema.StatusMessage),
        {404: "1013 delivery method not found"},
        access="staff",
        description="Deactivates the method (no longer offered; orders keep their copies).",
    )
    def delete(self, request: Request, code: str) -> Response:
        self.use.deactivate_delivery_method()(code=code)
        return Response(OK_UPDATED)


class FulfilInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True)
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True)


class StaffFulfilView(StaffView):
    @schema.operation(
        "staff_order_fulfil",
        (200, schema.Order),
        {
            400: "1000 validation error",
            404: "1001 order not found",
            409: "1012 order cannot be shipped in its status (not paid, or shipped already)",
        },
        request=FulfilInput,
        name="FulfilInput",
        access="staff",
        description="Marks a paid order shipped; the order.shipped event and e-mail follow.",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        data = validated(FulfilInput, request.data)
        order = self.use.fulfil_order()(
            order_id=OrderId(order_id),
            carrier=data.get("carrier", ""),
            tracking_number=data.get("tracking_number", ""),
        )
        return Response(order_json(order))

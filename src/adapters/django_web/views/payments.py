"""Payments: start, read, confirm; provider notifications; the sandbox's 3-D Secure page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import schema
from adapters.django_web.containers import card_challenge_page, use_cases
from adapters.django_web.errors import json_error, not_allowed
from adapters.django_web.idempotency import idempotent
from adapters.django_web.negotiation import AlwaysJson
from adapters.django_web.presenters import payment_json
from adapters.django_web.quick_check import validated
from adapters.django_web.transport_errors import RouteNotFound
from adapters.django_web.views.base import ShopView, client_address
from shop_domain.errors import ShopError
from shop_domain.ids import OrderId
from shop_domain.payment import OPEN, PaymentStatus


class PaymentView(ShopView):
    class Input(serializers.Serializer):
        method = serializers.CharField(max_length=32, required=False)

    @schema.operation(
        "payment", (200, schema.Payment), {404: "1001 order not found (or no payment yet)"}
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        payment = self.use.get_payment()(
            customer_id=self.customer_id(request), order_id=OrderId(order_id)
        )
        return Response(payment_json(payment))

    @schema.operation(
        "payment_start",
        (201, schema.Payment),
        {
            400: "1000 validation error; 5003 payment method not available",
            404: "1001 order not found",
            409: "5001 order cannot be paid in its status; 1008 same key in progress",
            422: schema.ERROR_TEXT[422],
            502: schema.ERROR_TEXT[502],
        },
        request=Input,
        name="PaymentStart",
        fields={"method": schema.PaymentMethodField},
        parameters=[schema.IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request: Request, order_id: UUID) -> Response:
        data = validated(self.Input, request.data)
        payment = self.use.start_payment()(
            customer_id=self.customer_id(request),
            order_id=OrderId(order_id),
            method=data.get("method"),
            customer_ip=client_address(request),
            customer_email=request.user.email,
        )
        return Response(payment_json(payment), status=201)


class ConfirmPaymentView(ShopView):
    class Input(serializers.Serializer):
        card_token = serializers.CharField(max_length=255, required=False)

    @schema.operation(
        "payment_confirm",
        (200, schema.Payment),
        {
            400: "1000 validation error; 5003 payment method not available",
            402: schema.ERROR_TEXT[402],
            404: "1001 order not found",
            409: "5001 no open payment, or the order cannot be paid in its status; 5011 the latest attempt failed or was canceled: start a new payment; 5007 transfers are confirmed on arrival; 1008 same key in progress",
            422: schema.ERROR_TEXT[422],
            502: schema.ERROR_TEXT[502],
        },
        request=Input,
        name="PaymentConfirm",
        parameters=[schema.IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request: Request, order_id: UUID) -> Response:
        params = validated(self.Input, request.data)
        payment = self.use.confirm_payment()(
            customer_id=self.customer_id(request), order_id=OrderId(order_id), params=params
        )
        return Response(payment_json(payment))


class _RawBody(BaseParser):
    """Providers sign their raw bytes: nothing may parse the body before it is verified."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        return stream.read() if stream is not None else b""


class _RawNegotiation(AlwaysJson):
    """Whatever the Content-Type (PayU sends ``application/json;charset=UTF-8``), the raw
    body goes to the signature check: AlwaysJson matches media types exactly, and
    would refuse every notification as unsupported media."""

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        return parsers[0]


class NotificationView(ShopView):
    """A provider's signed notification. No session, so no CSRF: the signature is the check."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    parser_classes = [_RawBody]
    content_negotiation_class = _RawNegotiation
    provider = ""

    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, bytes) else b""
        reply = self.use.apply_notification()(
            provider=self.provider, body=body, headers=dict(request.headers)
        )
        return Response(reply or {"status": "OK"})


class PayUNotificationView(NotificationView):
    provider = "payu"

    @schema.operation(
        "payu_notify",
        (200, schema.NOTIFICATION_REPLY),
        {
            400: "5003 provider not configured",
            403: "5004 invalid notification signature",
            409: "5006 amount mismatch",
        },
        request={"application/json": schema.RAW_NOTIFICATION},
        access="anonymous",
        parameters=[schema.signature_header("OpenPayU-Signature")],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class StripeWebhookView(NotificationView):
    provider = "stripe"

    @schema.operation(
        "stripe_webhook",
        (200, schema.NOTIFICATION_REPLY),
        {
            400: "5003 provider not configured",
            403: "5004 invalid notification signature",
            409: "5006 amount mismatch",
        },
        request={"application/json": schema.RAW_NOTIFICATION},
        access="anonymous",
        parameters=[schema.signature_header("Stripe-Signature")],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


SANDBOX_PAGE_METHODS = ("GET", "HEAD", "POST")


def sandbox_three_d_secure(request: HttpRequest, challenge: str) -> HttpResponse:
    """The card sandbox's own 3-D Secure page: the customer passes or fails the step,
    and the sandbox reports the outcome as a real provider would, by a signed
    notification."""
    if request.method not in SANDBOX_PAGE_METHODS:
        return not_allowed(SANDBOX_PAGE_METHODS)  # JSON, as every other 405
    try:
        gateway = card_challenge_page()
        if gateway is None:  # the configured card provider has a real bank behind it
            return json_error(RouteNotFound())
        payment_id, _ = gateway.read_challenge(challenge)
        use = use_cases()
        payment = use.get_payment_attempt()(payment_id=payment_id)
        # A settled payment is shown as settled: no buttons, and a stale page's POST
        # sends the bank's answer nowhere (it would only be news of an old check).
        settled = PaymentStatus(payment.status) not in OPEN
        if request.method == "POST" and not settled:
            succeeded = request.POST.get("outcome") == "succeed"
            body, headers = gateway.complete_challenge(challenge, succeeded)
            use.apply_notification()(provider=gateway.provider, body=body, headers=headers)
            payment = use.get_payment_attempt()(payment_id=payment_id)
        if request.method == "POST" or settled:
            page = gateway.render_result_page(
                challenge,
                status=PaymentStatus(payment.status),
                order_id=payment.order_id,
                already=settled,
            )
            return HttpResponse(page)
        return HttpResponse(gateway.render_challenge_page(challenge, get_token(request)))
    except ShopError as error:
        return json_error(error)

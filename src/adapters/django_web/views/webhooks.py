"""Staff routes for webhook endpoints and their delivery log (contract: "Events,
webhooks and e-mails")."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.containers import webhook_use_cases
from adapters.django_web.presenters import OK_UPDATED, when
from adapters.django_web.quick_check import validated
from adapters.django_web.views.base import StaffView
from shop_app.webhook_container import WebhookUseCases
from shop_domain.webhook import WILDCARD, DeliveryStatus, WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "order.created",
    "order.paid",
    "order.failed",
    "order.returned",
    "order.shipped",
    "payment.succeeded",
    "payment.failed",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
)


def endpoint_json(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "uuid": str(e.id),
        "url": e.url,
        "events": list(e.events),
        "description": e.description,
        "active": e.active,
        "created_at": when(e.created_at),
    }


def delivery_json(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "uuid": str(d.id),
        "event_id": d.event_id,
        "event_type": d.event_type,
        "status": d.status.value,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error or None,
        "next_attempt_at": when(d.next_attempt_at),
        "delivered_at": when(d.delivered_at),
    }


# --- the document's components: the dicts above, field by field ----------------------

EventTypeField = schema._enum("WebhookEventType", (*EVENT_TYPES, WILDCARD), "Event type, or *")
DeliveryStatusField = schema._enum(
    "WebhookDeliveryStatus", (s.value for s in DeliveryStatus), "Delivery status"
)


class WebhookEndpointOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=EventTypeField())
    description = serializers.CharField(allow_blank=True)
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookEndpointCreated(WebhookEndpointOut):
    secret = serializers.CharField(help_text="whsec_ + base64: shown in this answer only")


class WebhookDeliveryOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    event_id = serializers.CharField()
    event_type = serializers.CharField()
    status = DeliveryStatusField()
    attempts = serializers.IntegerField(min_value=0)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


WebhookEndpointPage = schema._page("WebhookEndpointPage", WebhookEndpointOut)
WebhookDeliveryPage = schema._page("WebhookDeliveryPage", WebhookDeliveryOut)


# --- input ---------------------------------------------------------------------------


class EventList(serializers.JSONField):
    """A list of event types (or ["*"]), checked as a whole: DRF's ListField reports the
    failing items under integer keys, which no JSON object can carry."""

    def to_internal_value(self, data: Any) -> list[str]:
        allowed = {*EVENT_TYPES, WILDCARD}
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError('a non-empty list of event types, or ["*"]')
        unknown = [item for item in data if not isinstance(item, str) or item not in allowed]
        if unknown:
            raise serializers.ValidationError(f"unknown event types: {unknown[:5]!r}"[:300])
        return list(dict.fromkeys(data))


@schema.extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": [*EVENT_TYPES, WILDCARD]}, "minItems": 1}
)
class EventListField(EventList):
    pass


class EndpointInput(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = EventListField(required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class PartialEndpointInput(EndpointInput):
    url = serializers.URLField(max_length=2000, required=False)


NOT_FOUND = "6001 webhook endpoint not found"
REFUSED = "6002 webhook address refused"


class WebhookStaffView(StaffView):
    @property
    def hooks(self) -> WebhookUseCases:
        return webhook_use_cases()


class WebhooksView(WebhookStaffView):
    @schema.operation(
        "staff_webhooks",
        (200, WebhookEndpointPage),
        {400: "1000 bad query"},
        access="staff",
        parameters=schema.PAGING,
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.hooks.list_endpoints()(page=asked)
        return Response(paging.envelope(request, found, asked, endpoint_json))

    @schema.operation(
        "staff_webhook_create",
        (201, WebhookEndpointCreated),
        {400: f"1000 validation error; {REFUSED}"},
        request=EndpointInput,
        name="WebhookEndpointInput",
        access="staff",
    )
    def post(self, request: Request) -> Response:
        data = validated(EndpointInput, request.data)
        endpoint = self.hooks.register_endpoint()(**data)
        return Response({**endpoint_json(endpoint), "secret": endpoint.secret}, status=201)


class WebhookView(WebhookStaffView):
    @schema.operation("staff_webhook", (200, WebhookEndpointOut), {404: NOT_FOUND}, access="staff")
    def get(self, request: Request, endpoint_id: UUID) -> Response:
        return Response(endpoint_json(self.hooks.get_endpoint()(endpoint_id=endpoint_id)))

    def _update(self, request: Request, endpoint_id: UUID, partial: bool) -> Response:
        data = validated(PartialEndpointInput if partial else EndpointInput, request.data)
        endpoint = self.hooks.update_endpoint()(endpoint_id=endpoint_id, **data)
        return Response(endpoint_json(endpoint))

    @schema.operation(
        "staff_webhook_update",
        (200, WebhookEndpointOut),
        {400: f"1000 validation error; {REFUSED}", 404: NOT_FOUND},
        request=EndpointInput,
        name="WebhookEndpointInput",
        access="staff",
    )
    def put(self, request: Request, endpoint_id: UUID) -> Response:
        return self._update(request, endpoint_id, partial=False)

    @schema.operation(
        "staff_webhook_patch",
        (200, WebhookEndpointOut),
        {400: f"1000 validation error; {REFUSED}", 404: NOT_FOUND},
        request=PartialEndpointInput,
        name="WebhookEndpointPatch",
        access="staff",
    )
    def patch(self, request: Request, endpoint_id: UUID) -> Response:
        return self._update(request, endpoint_id, partial=True)

    @schema.operation(
        "staff_webhook_delete",
        (200, schema.StatusMessage),
        {404: NOT_FOUND},
        access="staff",
        description="Removes the endpoint and its delivery log.",
    )
    def delete(self, request: Request, endpoint_id: UUID) -> Response:
        self.hooks.delete_endpoint()(endpoint_id=endpoint_id)
        return Response(OK_UPDATED)


class WebhookTestView(WebhookStaffView):
    @schema.operation(
        "staff_webhook_test",
        (202, WebhookDeliveryOut),
        {404: NOT_FOUND},
        access="staff",
        description="Queues a webhook.test event for this endpoint.",
    )
    def post(self, request: Request, endpoint_id: UUID) -> Response:
        delivery = self.hooks.send_test_event()(endpoint_id=endpoint_id)
        return Response(delivery_json(delivery), status=202)


class WebhookDeliveriesView(WebhookStaffView):
    @schema.operation(
        "staff_webhook_deliveries",
        (200, WebhookDeliveryPage),
        {400: "1000 bad query", 404: NOT_FOUND},
        access="staff",
        parameters=schema.PAGING,
    )
    def get(self, request: Request, endpoint_id: UUID) -> Response:
        asked = paging.page_request(paging.query(request))
        found = self.hooks.list_deliveries()(endpoint_id=endpoint_id, page=asked)
        return Response(paging.envelope(request, found, asked, delivery_json))


class WebhookRetryView(WebhookStaffView):
    @schema.operation(
        "staff_webhook_delivery_retry",
        (202, WebhookDeliveryOut),
        {404: "6001 webhook delivery not found"},
        access="staff",
        description="Sends a failed or dead delivery again now.",
    )
    def post(self, request: Request, delivery_id: UUID) -> Response:
        delivery = self.hooks.retry_delivery()(delivery_id=delivery_id)
        return Response(delivery_json(delivery), status=202)

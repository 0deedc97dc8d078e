"""Django admin for webhook endpoints (never their secrets) and the delivery log, with
an action that retries the chosen deliveries through the use case."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from adapters.django_web.containers import webhook_use_cases
from adapters.persistence import models as m


@admin.register(m.WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "events", "active", "description", "created_at")
    list_filter = ("active",)
    exclude = ("secret",)  # shown once, in the API's 201 answer
    readonly_fields = ("created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registered through the API, which checks the address and makes a secret


@admin.register(m.WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("event_id",)
    actions = ["retry_now"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in m.WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry the selected deliveries now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[m.WebhookDelivery]) -> None:
        retry = webhook_use_cases().retry_delivery()
        ids = list(queryset.values_list("id", flat=True))
        for delivery_id in ids:
            retry(delivery_id=delivery_id)
        self.message_user(request, f"{len(ids)} deliveries queued again", messages.SUCCESS)

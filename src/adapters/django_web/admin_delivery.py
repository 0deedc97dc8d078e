"""Django admin for delivery methods and addresses, and the order's delivery and
fulfilment: shown read-only (a frozen copy), shipped through the use case."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from adapters.django_web.admin import OrderAdmin
from adapters.django_web.containers import use_cases
from adapters.persistence import models as m
from shop_domain.errors import ShopError
from shop_domain.ids import OrderId


@admin.register(m.DeliveryMethod)
class DeliveryMethodAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "price", "free_from", "active")
    list_filter = ("active", "kind")
    search_fields = ("code", "name")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: orders name their method by code

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()


@admin.register(m.Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("customer", "name", "street", "postal_code", "city", "country", "is_default")
    list_filter = ("country",)
    search_fields = ("customer__username", "name", "city", "postal_code")
    readonly_fields = ("customer", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers keep their books through the API, which checks formats

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ShippedFilter(admin.SimpleListFilter):
    title = "fulfilment"
    parameter_name = "fulfilment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("shipped", "shipped"), ("unshipped", "not shipped")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("shipped", "unshipped"):
            return queryset.filter(shipped_at__isnull=self.value() == "unshipped")
        return queryset


DELIVERY_FIELDS = (
    "delivery_method", "delivery_name", "delivery_kind", "delivery_price",
    "delivery_address", "delivery_point_id",
)  # fmt: skip
FULFILMENT_FIELDS = ("shipped_at", "carrier", "tracking_number")


class DeliveredOrderAdmin(OrderAdmin):
    """The order admin with its delivery and fulfilment (read-only: the fulfil action
    goes through the use case, which records order.shipped and sends its e-mail)."""

    list_display = (*OrderAdmin.list_display, "delivery_name", "shipped_at")
    list_filter = (*OrderAdmin.list_filter, ShippedFilter, "delivery_kind")
    readonly_fields = (*OrderAdmin.readonly_fields, *DELIVERY_FIELDS, *FULFILMENT_FIELDS)
    actions = [*OrderAdmin.actions, "mark_shipped"]

    @admin.action(description="Mark shipped (paid orders)")
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for order in queryset:
            try:
                use_cases().fulfil_order()(order_id=OrderId(order.id))
                self.message_user(request, f"{order.id}: shipped")
            except ShopError as error:
                self.message_user(request, f"{order.id}: {error.text}", messages.ERROR)


admin.site.unregister(m.Order)
admin.site.register(m.Order, DeliveredOrderAdmin)

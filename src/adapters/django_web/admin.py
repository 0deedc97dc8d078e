"""Django's admin site for products and stock, orders, payments (with their status
history) and customers. Changes to payment state go through the use cases, and orders,
payments and their status history are never deleted here: they are the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from adapters.django_web import admin_refunds
from adapters.django_web.containers import use_cases
from adapters.django_web.errors import json_error
from adapters.django_web.throttling import login_throttle
from adapters.django_web.views.base import client_address
from adapters.persistence import models as m
from shop_domain import errors as e
from shop_domain.errors import ShopError, TooManyAttempts
from shop_domain.ids import OrderId
from shop_domain.payment import ChangeSource


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's login form behind the API login's limits: the same counters (per
    account, folded as its look-up is, and per client address as the API takes it) and
    the same lockout: while throttled even the right password is refused."""

    retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # the field errors say what is missing; no guess made
        throttle, address = login_throttle(), client_address(self.request)
        try:
            throttle.check(username, address)
        except TooManyAttempts as refused:
            self.retry_after = refused.retry_after
            raise ValidationError(
                "Too many failed login attempts. Try again in %(seconds)s seconds.",
                code="throttled",
                params={"seconds": refused.retry_after},
            ) from None
        try:
            cleaned = super().clean()
        except ValidationError:  # a wrong password, or not a staff account
            throttle.failed(username, address)
            raise
        throttle.succeeded(username)
        return cleaned


admin.site.login_form = ThrottledAdminLoginForm


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin site's login page, answering 429 with Retry-After while throttled
    (urls.py routes /admin/login/ here, ahead of the admin site's own routes)."""
    response = admin.site.login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if isinstance(form, ThrottledAdminLoginForm) and form.retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(form.retry_after)
    return response


@admin.register(m.Customer)
class CustomerAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Profile", {"fields": ("phone", "city")}))
    list_display = ("username", "email", "first_name", "last_name", "city", "is_staff")


@admin.register(m.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "product_type", "status", "price", "stock", "reserved", "active")
    list_filter = ("active", "status", "product_type")
    search_fields = ("name",)
    readonly_fields = ("reserved",)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown as they are: none added or deleted through the admin."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoDeletion:
    """No delete page, no bulk delete action: money leaves by refunds and cancellations
    (use cases that return stock and record who did what), never by losing the record.
    An order with no payment is no exception: it holds sold stock, which only cancelling
    returns, and it is the customer's history."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # Django's own refusal (PermissionDenied) in the contract's 403 shape, with why.
        return json_error(e.StaffOnly(details={"delete": [DELETE_REFUSED]}))


DELETE_REFUSED = "orders and payments are the audit trail: cancel or refund instead"


class OrderLineInline(ReadOnlyInline):
    model = m.OrderLine
    # Staff refund lines from the order page: the units to refund per line (and whether
    # they go back on hand), sent through the refund use case on save (admin_refunds).
    form = admin_refunds.OrderLineRefundForm
    readonly_fields = ("product", "product_name", "quantity", "unit_price", "returned")
    fields = (*readonly_fields, "refund_quantity", "restock")


class PaymentInline(ReadOnlyInline):
    model = m.Payment
    fields = ("method", "provider", "status", "amount", "currency", "external_ref", "created_at")
    readonly_fields = fields


@admin.register(m.Order)
class OrderAdmin(NoDeletion, admin.ModelAdmin):
    list_display = ("id", "customer", "status", "payment_method", "total", "created_at")
    list_filter = ("status", "payment_method")
    search_fields = ("id", "customer__username")
    readonly_fields = (
        "customer", "status", "payment_method", "total", "currency",
        "created_at", "paid_at", "paid_by", "refund_held", "refunded", "refund_account",
    )  # fmt: skip
    form = admin_refunds.OrderRefundForm
    inlines = [OrderLineInline, PaymentInline, admin_refunds.RefundInline]
    actions = ["mark_transfer_paid", "cancel_orders"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Orders change only through the use cases (row locks, events): never a save of
        the whole row from the admin's copy of it."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # No inline row is written from the admin: lines never change, payments and
        # refunds change through use cases. The lines' refund fields make one refund.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is m.OrderLine:
            admin_refunds.refund_lines(self, request, form, formset)

    @admin.action(description="Mark transfer paid (money arrived)")
    def mark_transfer_paid(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for order in queryset:
            try:
                use_cases().mark_transfer_paid()(
                    order_id=OrderId(order.id), source=ChangeSource.STAFF
                )
                self.message_user(request, f"{order.id}: paid")
            except ShopError as error:
                self.message_user(request, f"{order.id}: {error.text}", messages.ERROR)

    @admin.action(description="Cancel (return) orders")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for order in queryset:
            try:
                use_cases().cancel_order()(
                    order_id=OrderId(order.id), customer_id=None, source=ChangeSource.STAFF
                )
                self.message_user(request, f"{order.id}: returned")
            except ShopError as error:
                self.message_user(request, f"{order.id}: {error.text}", messages.ERROR)


class PaymentEventInline(ReadOnlyInline):
    model = m.PaymentEvent
    readonly_fields = ("at", "source", "old_status", "new_status", "note")


@admin.register(m.Payment)
class PaymentAdmin(NoDeletion, admin.ModelAdmin):
    list_display = ("id", "order", "method", "provider", "status", "amount", "created_at")
    list_filter = ("status", "method", "provider")
    search_fields = ("id", "external_ref", "order__id")
    readonly_fields = (
        "order", "customer", "method", "provider", "amount", "currency", "status",
        "external_ref", "next_action", "created_at", "seq",
    )  # fmt: skip
    inlines = [PaymentEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# Each registers its pages.
from adapters.django_web import admin_delivery, admin_webhooks  # noqa: E402, F401

"""Django admin for refunds: refund lines from the order page (through the refund use
case), every refund listed with its status and provider reference, and an action that
marks transfer payouts sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from adapters.django_web.containers import use_cases
from adapters.persistence import models as m
from shop_domain.errors import ShopError
from shop_domain.ids import OrderId, OrderLineId, RefundId


class OrderLineRefundForm(forms.ModelForm):  # type: ignore[type-arg]
    refund_quantity = forms.IntegerField(
        min_value=0, required=False, help_text="units to refund now"
    )
    restock = forms.BooleanField(required=False, help_text="they go back on hand")

    class Meta:
        model = m.OrderLine
        fields: list[str] = []


class OrderRefundForm(forms.ModelForm):  # type: ignore[type-arg]
    refund_reason = forms.CharField(
        max_length=500, required=False, help_text="reason of the refund of the lines below"
    )

    class Meta:
        model = m.Order
        fields: list[str] = []


def refund_lines(model_admin: Any, request: HttpRequest, form: Any, formset: Any) -> None:
    """The lines staff asked to refund on the order page, as one refund."""
    lines = [
        (OrderLineId(f.instance.pk), f.cleaned_data["refund_quantity"], f.cleaned_data["restock"])
        for f in formset.forms
        if f.cleaned_data.get("refund_quantity")
    ]
    if not lines:
        return
    order_id = OrderId(form.instance.pk)
    try:
        made = use_cases().refund_order()(
            order_id=order_id, lines=lines, reason=form.cleaned_data.get("refund_reason", "")
        )
        model_admin.message_user(
            request, f"refund {made.id}: {made.amount.amount} {made.amount.currency}, {made.status}"
        )
    except ShopError as error:
        model_admin.message_user(request, f"{order_id}: {error.text}", messages.ERROR)


class RefundInline(admin.TabularInline):  # type: ignore[type-arg]
    model = m.Refund
    extra = 0
    can_delete = False
    fields = ("amount", "status", "provider", "external_ref", "reason", "lines", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.Refund)
class RefundAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id", "order", "provider", "status", "amount", "currency", "external_ref", "created_at",
        "completed_at",
    )  # fmt: skip
    list_filter = ("status", "provider")
    search_fields = ("id", "external_ref", "order__id")
    readonly_fields = (
        "order", "payment", "provider", "amount", "currency", "status", "reason", "lines",
        "delivery", "external_ref", "created_at", "completed_at",
    )  # fmt: skip
    actions = ["mark_sent"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # refunds are made on the order page or through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail

    @admin.action(description="Mark transfer payouts sent")
    def mark_sent(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for refund in queryset:
            try:
                use_cases().mark_refund_sent()(refund_id=RefundId(refund.id))
                self.message_user(request, f"{refund.id}: sent")
            except ShopError as error:
                self.message_user(request, f"{refund.id}: {error.text}", messages.ERROR)

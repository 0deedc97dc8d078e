"""Django's admin site works, notices included (its message storage is made lazily)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from adapters.persistence import models as m
from tests.integration.conftest import Api

pytestmark = pytest.mark.django_db


def test_staff_add_a_product_in_the_admin_and_see_the_notice(make_product: Any) -> None:
    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "Boss-pass-2026")
    browser = Client()
    browser.force_login(boss)
    added = browser.post(
        "/admin/shop/product/add/",
        {"name": "Admin lamp", "description": "", "price": "19.90", "product_type": "lamp",
         "status": "new", "active": "on", "stock": "7"},
        follow=True,
    )  # fmt: skip
    assert added.status_code == 200
    notices = [str(message) for message in added.context["messages"]]
    assert any("Admin lamp" in notice and "added successfully" in notice for notice in notices)
    assert m.Product.objects.get(name="Admin lamp").stock == 7
    again = browser.get("/admin/shop/product/")
    assert again.status_code == 200 and not list(again.context["messages"]), "shown once"


# --- the audit trail: orders, payments and their history are never deleted here ----------


@pytest.fixture
def boss_browser() -> Client:
    boss = get_user_model().objects.create_superuser(
        f"boss_{uuid.uuid4().hex[:6]}", "boss@example.com", "Boss-pass-2026"
    )
    browser = Client()
    browser.force_login(boss)
    return browser


@pytest.fixture
def paid_order(customer: Api, make_product: Any) -> m.Order:
    """An order paid by card: its lines, one payment and that payment's status events."""
    product = make_product(stock=5, price="12.50")
    assert customer.post("/api/bucket", {"product": product, "quantity": 2}).status_code == 201
    order = customer.post("/api/orders", {"payment": "card"}).json()["order_uuid"]
    assert customer.post(f"/api/orders/{order}/payment", {}).status_code in (200, 201)
    paid = customer.post(f"/api/orders/{order}/payment/confirm", {"card_token": "pm_card_visa"})
    assert paid.json()["status"] == "succeeded", paid.content
    found = m.Order.objects.get(id=order)
    assert found.status == "paid" and m.PaymentEvent.objects.filter(payment__order=found)
    return found


def _trail(order: m.Order) -> tuple[int, int, int, int]:
    return (
        m.Order.objects.filter(id=order.id).count(),
        m.OrderLine.objects.filter(order=order).count(),
        m.Payment.objects.filter(order=order).count(),
        m.PaymentEvent.objects.filter(payment__order=order).count(),
    )


def test_staff_cannot_delete_a_paid_order_or_its_payment(
    boss_browser: Client, paid_order: m.Order
) -> None:
    before = _trail(paid_order)
    payment = m.Payment.objects.get(order=paid_order)
    for page in (
        f"/admin/shop/order/{paid_order.id}/delete/",
        f"/admin/shop/payment/{payment.id}/delete/",
    ):
        for refused in (boss_browser.get(page), boss_browser.post(page, {"post": "yes"})):
            assert refused.status_code == 403 and refused.json()["code"] == 3005
    assert _trail(paid_order) == before


def test_no_bulk_delete_of_orders_or_payments(boss_browser: Client, paid_order: m.Order) -> None:
    before = _trail(paid_order)
    payment = m.Payment.objects.get(order=paid_order)
    for listing, obj in (("order", paid_order), ("payment", payment)):
        page = boss_browser.get(f"/admin/shop/{listing}/")
        assert page.status_code == 200
        actions = page.context["action_form"]  # None: no action at all
        offered = [name for name, _ in actions.fields["action"].choices] if actions else []
        assert "delete_selected" not in offered
        boss_browser.post(
            f"/admin/shop/{listing}/",
            {"action": "delete_selected", "_selected_action": [str(obj.pk)], "post": "yes"},
        )
    assert _trail(paid_order) == before
    change = boss_browser.get(f"/admin/shop/order/{paid_order.id}/change/")
    assert f"/admin/shop/order/{paid_order.id}/delete/" not in change.content.decode()


def test_order_and_payment_rows_are_labelled_and_cannot_be_added(
    boss_browser: Client, paid_order: m.Order
) -> None:
    payment = m.Payment.objects.get(order=paid_order)
    for page in (
        f"/admin/shop/order/{paid_order.id}/change/",
        f"/admin/shop/payment/{payment.id}/change/",
    ):
        answer = boss_browser.get(page)
        html = answer.content.decode()
        assert " object (" not in html, "every inline row has a label of its own"
        inlines = answer.context["inline_admin_formsets"]
        assert inlines and not any(inline.has_add_permission for inline in inlines)
        # the admin's script offers "Add another" while MAX_NUM_FORMS exceeds TOTAL_FORMS
        for inline in inlines:
            management = inline.formset.management_form
            assert int(management["MAX_NUM_FORMS"].value()) <= management["TOTAL_FORMS"].value()
    order_page = boss_browser.get(f"/admin/shop/order/{paid_order.id}/change/").content.decode()
    line = m.OrderLine.objects.get(order=paid_order)
    assert f"2 x {line.product_name} at 12.50" in order_page
    payment_page = boss_browser.get(f"/admin/shop/payment/{payment.id}/change/").content.decode()
    assert "-&gt; succeeded" in payment_page


def test_an_order_without_payment_is_cancelled_not_deleted(
    boss_browser: Client, customer: Api, make_product: Any
) -> None:
    # Its lines hold sold stock that only cancelling returns (and it is the customer's history).
    product = make_product(stock=5)
    assert customer.post("/api/bucket", {"product": product, "quantity": 3}).status_code == 201
    order = customer.post("/api/orders", {"payment": "card"}).json()["order_uuid"]

    refused = boss_browser.post(f"/admin/shop/order/{order}/delete/", {"post": "yes"})

    assert refused.status_code == 403
    assert m.Order.objects.filter(id=order).exists()
    assert m.Product.objects.get(id=product).stock == 2


# --- delivery methods, and the order's delivery and fulfilment -----------------------------


def test_staff_manage_delivery_methods_and_ship_orders_in_the_admin(
    boss_browser: Client, paid_order: m.Order
) -> None:
    added = boss_browser.post(
        "/admin/shop/deliverymethod/add/",
        {"code": "courier", "name": "Courier", "kind": "courier", "price": "19.99",
         "free_from": "", "active": "on"},
        follow=True,
    )  # fmt: skip
    assert added.status_code == 200 and m.DeliveryMethod.objects.get(code="courier").active
    bad = boss_browser.post(
        "/admin/shop/deliverymethod/add/",
        {"code": "Bad Code", "name": "X", "kind": "courier", "price": "-1"},
    )
    assert bad.status_code == 200 and not m.DeliveryMethod.objects.filter(name="X").exists()
    page = boss_browser.get(f"/admin/shop/order/{paid_order.id}/change/")
    assert page.status_code == 200 and b"Delivery method" in page.content
    assert boss_browser.get("/admin/shop/order/?fulfilment=unshipped").status_code == 200
    shipped = boss_browser.post(
        "/admin/shop/order/",
        {"action": "mark_shipped", "_selected_action": [str(paid_order.id)]},
        follow=True,
    )
    assert shipped.status_code == 200
    paid_order.refresh_from_db()
    assert paid_order.shipped_at is not None
    assert m.Event.objects.filter(order_id=paid_order.id, type="order.shipped").count() == 1

"""The Django admin's refunds: lines refunded from the order page through the use case,
refunds listed with their status and provider reference, payouts marked sent."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from adapters.persistence import models as m
from tests.integration.conftest import Api
from tests.integration.test_refunds_api import line, order_now, pay_by_card, placed


def admin_client() -> Client:
    user = get_user_model().objects.create_user(
        username=f"admin_{uuid.uuid4().hex[:8]}", password=None, is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(user)
    return client


def management(prefix: str, ids: list[str], order: str) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(ids)),
        f"{prefix}-INITIAL_FORMS": str(len(ids)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, pk in enumerate(ids):
        data[f"{prefix}-{i}-id"] = pk
        data[f"{prefix}-{i}-order"] = order
    return data


def test_staff_refund_a_line_from_the_order_page(customer: Api, make_product: Any) -> None:
    order, (mug, pen) = placed(customer, make_product)
    pay_by_card(customer, order)
    o = order["order_uuid"]
    client = admin_client()
    page = f"/admin/shop/order/{o}/change/"
    assert client.get(page).status_code == 200
    lines = [line(order, mug), line(order, pen)]
    payments = [str(p) for p in m.Payment.objects.filter(order_id=o).values_list("id", flat=True)]
    data = {
        "refund_reason": "broken in transit",
        **management("lines", lines, o),
        **management("payments", payments, o),
        **management("refunds", [], o),
        "lines-0-refund_quantity": "2",
        "lines-0-restock": "on",
        "lines-1-refund_quantity": "",
        "_save": "Save",
    }

    answer = client.post(page, data)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    (made,) = order_now(customer, order)["refunds"]
    assert (made["amount"], made["reason"], made["status"]) == (
        "50.00",
        "broken in transit",
        "succeeded",
    )
    assert made["lines"] == [{"order_product_uuid": lines[0], "quantity": 2, "restock": True}]
    assert m.Order.objects.get(pk=o).status == "paid"  # the admin's save wrote no order row

    listing = client.get("/admin/shop/refund/").content.decode()
    assert made["refund_uuid"] in listing and "succeeded" in listing and "re_" in listing
    shown = client.get(page).content.decode()
    assert "broken in transit" in shown


def test_the_admin_marks_transfer_payouts_sent(
    customer: Api, staff: Api, make_product: Any
) -> None:
    order, _ = placed(customer, make_product, "transfer")
    customer.post(f"/api/orders/{order['order_uuid']}/payment", {})
    staff.post(f"/api/admin/orders/{order['order_uuid']}/set_paid", {})
    made = staff.post(f"/api/admin/orders/{order['order_uuid']}/refunds", {"amount": "3.00"}).json()
    client = admin_client()

    client.post(
        "/admin/shop/refund/", {"action": "mark_sent", "_selected_action": [made["refund_uuid"]]}
    )

    assert order_now(customer, order)["refunds"][0]["status"] == "succeeded"

"""The refund e-mail: one per refund (an order may have several), over a real SMTP
conversation, with the amount refunded; replayed jobs send nothing twice."""

from __future__ import annotations

from typing import Any

from adapters.persistence.models import SentEmail
from tests.integration.conftest import Api
from tests.integration.test_events_and_emails import (  # noqa: F401 - the smtp fixture
    Inbox,
    parts,
    run_all_jobs_again,
    run_jobs,
    smtp,
)
from tests.integration.test_refunds_api import pay_by_card, placed


def test_each_succeeded_refund_sends_one_refund_email(
    customer: Api,
    staff: Api,
    make_product: Any,
    smtp: Inbox,  # noqa: F811
) -> None:
    order, _ = placed(customer, make_product)
    pay_by_card(customer, order)
    path = f"/api/admin/orders/{order['order_uuid']}/refunds"
    assert staff.post(path, {"amount": "5.00", "reason": "late"}).status_code == 201
    assert staff.post(path, {"amount": "7.50"}).status_code == 201

    run_jobs()
    run_all_jobs_again()

    short = order["order_uuid"][:8]
    refunds = [m for m in smtp.messages if m["Subject"] == f"Refund for order {short}"]
    assert len(refunds) == 2
    texts = sorted(parts(m)["text/plain"] for m in refunds)
    assert "5.00 PLN of your order" in texts[0] and "(late)" in texts[0]
    assert "7.50 PLN of your order" in texts[1]
    assert SentEmail.objects.filter(kind="refund").count() == 2

"""`import_bank_statement` against the Django database.

The shipped MT940 fixtures pay orders with fixed ids (see payments/test_bank_transfer.py
for their titles and sums); those orders are created here through the repository with
exactly those ids, and their transfer payments started as the API would. A statement is
also written at test time for an order placed over HTTP.
"""

from __future__ import annotations

import pathlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from adapters.django_web.containers import use_cases
from adapters.payments.bank_transfer import transfer_title
from adapters.persistence import models as m
from adapters.persistence.unit_of_work import DjangoUnitOfWork
from shop_domain.ids import CustomerId, OrderId, OrderLineId
from shop_domain.money import Money
from shop_domain.order import Order, OrderLine, PaymentMethod
from tests.integration.conftest import PASSWORD, Api

FIXTURES = pathlib.Path(__file__).parent / "payments" / "fixtures"
FIRST = FIXTURES / "statement_2026-01-05.sta"
STRUCTURED = FIXTURES / "statement_2026-01-06_structured.sta"

EXACT = uuid.UUID("a0000000-0000-4000-8000-000000000001")
PARTIAL = uuid.UUID("b0000000-0000-4000-8000-000000000001")
OVER = uuid.UUID("c0000000-0000-4000-8000-000000000001")
MISTYPED = uuid.UUID("d0000000-0000-4000-8000-000000000001")
SUMS = {EXACT: "149.99", PARTIAL: "250.00", OVER: "80.00", MISTYPED: "59.90"}


def run(path: pathlib.Path | str) -> str:
    out, err = StringIO(), StringIO()
    call_command("import_bank_statement", str(path), stdout=out, stderr=err)
    return out.getvalue()


def status(order_id: uuid.UUID) -> str:
    return str(m.Order.objects.get(pk=order_id).status)


def payments(order_id: uuid.UUID) -> list[m.Payment]:
    return list(m.Payment.objects.filter(order_id=order_id).order_by("seq"))


def history(payment: m.Payment) -> list[tuple[str, str, str]]:
    return [(e.source, e.old_status, e.new_status) for e in payment.events.order_by("at", "id")]


@pytest.fixture
def fixture_orders(db: Any) -> CustomerId:
    """The four orders the fixture statements name, transfer payments started."""
    use = use_cases()
    customer = CustomerId(
        use.register_customer()(
            username=f"jan_{uuid.uuid4().hex[:8]}",
            password=PASSWORD,
            email=f"jan_{uuid.uuid4().hex[:8]}@example.com",
        ).id
    )
    for order_id, total in SUMS.items():
        product = use.create_product()(name=f"thing {total}", price=Decimal(total), stock=1)
        line = OrderLine(
            id=OrderLineId(uuid.uuid4()),
            product_id=product.id,
            product_name=product.name,
            quantity=1,
            unit_price=Money(Decimal(total)),
        )
        with DjangoUnitOfWork() as uow:
            uow.orders.add(
                Order.place(
                    id=OrderId(order_id),
                    customer_id=customer,
                    lines=(line,),
                    payment_method=PaymentMethod.TRANSFER,
                    currency="PLN",
                    at=datetime.now(UTC),
                )
            )
            uow.commit()
        payment = use.start_payment()(customer_id=customer, order_id=OrderId(order_id))
        assert payment.next_action is not None
        assert payment.next_action["title"] == transfer_title(order_id)
    return customer


def test_exact_sums_are_paid_and_the_rest_is_reported(fixture_orders: CustomerId) -> None:
    output = run(FIRST)

    assert status(EXACT) == "paid"
    (paid,) = payments(EXACT)
    assert paid.status == "succeeded"
    assert history(paid) == [("customer", "", "pending"), ("statement", "pending", "succeeded")]
    assert m.Order.objects.get(pk=EXACT).paid_by == paid.id
    for order_id in (PARTIAL, OVER, MISTYPED):
        assert status(order_id) == "to_pay"
        assert [p.status for p in payments(order_id)] == ["pending"]
    lines = output.splitlines()
    assert any(line.strip().startswith("underpaid") and str(PARTIAL) in line for line in lines)
    assert any(line.strip().startswith("overpaid") and str(OVER) in line for line in lines)
    assert sum(line.strip().startswith("unknown") for line in lines) == 3
    assert "no order has this title" in output and "no transfer title" in output
    # The mistyped title (two check digits swapped) is reported as such, as it was read.
    (mistyped,) = [line for line in lines if "check digits" in line]
    assert mistyped.strip().startswith("unknown")
    assert "title=SHOP064397391915443696 " in mistyped
    assert "the title's check digits are wrong" in mistyped
    assert str(EXACT) not in output  # what was paid needs no attention
    assert lines[-1] == (
        "6 credits: paid 1, already_paid 0, underpaid 1, overpaid 1, not_payable 0, unknown 3"
    )


def test_a_second_import_pays_nothing_twice(fixture_orders: CustomerId) -> None:
    run(FIRST)
    before = {
        p.id: (p.status, history(p)) for p in m.Payment.objects.filter(order_id__in=list(SUMS))
    }
    paid_at = m.Order.objects.get(pk=EXACT).paid_at

    output = run(FIRST)

    after = {
        p.id: (p.status, history(p)) for p in m.Payment.objects.filter(order_id__in=list(SUMS))
    }
    assert after == before
    assert m.Order.objects.get(pk=EXACT).paid_at == paid_at
    assert any(
        line.strip().startswith("already_paid") and str(EXACT) in line
        for line in output.splitlines()
    )
    assert output.splitlines()[-1] == (
        "6 credits: paid 0, already_paid 1, underpaid 1, overpaid 1, not_payable 0, unknown 3"
    )


def test_the_corrected_title_pays_and_part_payments_are_not_added_up(
    fixture_orders: CustomerId,
) -> None:
    run(FIRST)

    output = run(STRUCTURED)

    assert status(MISTYPED) == "paid"
    assert status(PARTIAL) == "to_pay"
    assert output.splitlines()[-1] == (
        "2 credits: paid 1, already_paid 0, underpaid 1, overpaid 0, not_payable 0, unknown 0"
    )


def test_money_for_a_returned_order_is_reported_not_paid(
    fixture_orders: CustomerId,
) -> None:
    use_cases().cancel_order()(order_id=OrderId(EXACT), customer_id=fixture_orders)

    output = run(FIRST)

    assert status(EXACT) == "returned"
    assert [p.status for p in payments(EXACT)] == ["canceled"]
    assert any(
        line.strip().startswith("not_payable") and str(EXACT) in line
        for line in output.splitlines()
    )


def _mt940(*credits: tuple[str, str, str]) -> str:
    """A valid MT940 statement with the given (amount, reference, purpose) credits."""
    lines = [
        ":20:STMTTEST",
        ":25:/PL61109010140000071219812874",
        ":28C:00001/001",
        ":60F:C260201PLN0,00",
    ]
    total = Decimal(0)
    for amount, reference, purpose in credits:
        total += Decimal(amount)
        lines.append(f":61:2602010201C{amount.replace('.', ',')}NTRFNONREF//{reference}")
        lines.append(f":86:{purpose}")
    lines.append(f":62F:C260201PLN{str(total).replace('.', ',')}")
    return "\n".join(lines) + "\n"


def test_a_statement_pays_an_order_placed_over_the_api(
    customer: Api, make_product: Any, tmp_path: pathlib.Path
) -> None:
    product = make_product(stock=5, price="33.30")
    customer.post("/api/bucket", {"product": product, "quantity": 3})
    order = customer.post("/api/orders", {"payment": "transfer"}).json()
    started = customer.post(f"/api/orders/{order['order_uuid']}/payment", {}).json()
    title = started["next_action"]["title"]
    spaced = f"{title[:4]} {title[4:8]}-{title[8:12]} {title[12:]}".lower()
    statement = tmp_path / "statement.sta"
    statement.write_text(_mt940(("99.90", "REF1", f"Zamowienie {spaced} dziekuje")))

    output = run(statement)

    assert output.splitlines()[-1].startswith("1 credits: paid 1,")
    answer = customer.get(f"/api/orders/{order['order_uuid']}").json()
    assert answer["status"] == "paid" and answer["date_paid"]
    payment = customer.get(f"/api/orders/{order['order_uuid']}/payment").json()
    assert payment["payment_uuid"] == started["payment_uuid"]
    assert payment["status"] == "succeeded"
    (row,) = payments(uuid.UUID(order["order_uuid"]))
    assert history(row)[-1] == ("statement", "pending", "succeeded")


def test_a_title_of_an_order_paid_by_card_is_reported_already_paid(
    customer: Api, make_product: Any, tmp_path: pathlib.Path
) -> None:
    customer.post("/api/bucket", {"product": make_product(price="10.00"), "quantity": 1})
    order = customer.post("/api/orders", {"payment": "transfer"}).json()
    path = f"/api/orders/{order['order_uuid']}/payment"
    title = customer.post(path, {}).json()["next_action"]["title"]
    customer.post(path, {"method": "card"})
    assert customer.post(f"{path}/confirm", {"card_token": "pm_card_visa"}).status_code == 200
    statement = tmp_path / "late.sta"
    statement.write_text(_mt940(("10.00", "REF2", title)))
    order_id = uuid.UUID(order["order_uuid"])
    before = [(p.id, p.status, history(p)) for p in payments(order_id)]

    output = run(statement)

    assert any(
        line.strip().startswith("already_paid") and order["order_uuid"] in line
        for line in output.splitlines()
    )
    assert [(p.id, p.status, history(p)) for p in payments(order_id)] == before
    assert customer.get(path).json()["method"] == "card"


@pytest.mark.parametrize(
    "content",
    [
        None,  # no such file
        "Date;Amount;Title\n2026-01-05;149.99;SHOP427204058494653091\n",
        ":20:X\n:61:garbage\n",
        "",
    ],
)
def test_a_file_that_is_no_statement_is_a_command_error(
    db: Any, tmp_path: pathlib.Path, content: str | None
) -> None:
    path = tmp_path / "statement.sta"
    if content is not None:
        path.write_text(content)

    with pytest.raises(CommandError, match="cannot read"):
        run(path)
    assert not m.Payment.objects.filter(status="succeeded").exists()

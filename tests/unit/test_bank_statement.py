"""Importing bank statement credits: exact sums pay orders, everything else is reported."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from adapters.payments.bank_transfer import (
    BankTransferGateway,
    transfer_title,
)
from shop_app.ports.payment_gateway import PaymentGateways
from shop_app.read_models import OrderView, PaymentView
from shop_app.use_cases.bank_statement import BankCredit, CreditOutcome, StatementReport
from shop_domain.errors import PaymentMethodNotAvailable
from shop_domain.money import Money
from shop_domain.order import OrderStatus, PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus
from tests.unit.shop import Shop, build_shop

IBAN = "PL61109010140000071219812874"


@pytest.fixture
def shop() -> Shop:
    """The unit-test shop with the real bank transfer provider serving ``transfer``."""
    shop = build_shop()
    bank = BankTransferGateway(IBAN, "Shop sp. z o.o.")
    shop.use.gateways.override(
        PaymentGateways(
            {
                PaymentMethod.CARD: shop.card,
                PaymentMethod.TRANSFER: bank,
                PaymentMethod.PAYU: shop.payu,
            }
        )
    )
    return shop


def transfer_order(
    shop: Shop, *, price: str = "49.95", quantity: int = 2
) -> tuple[OrderView, PaymentView]:
    customer = shop.customer()
    product = shop.product(price=price)
    shop.use.add_to_bucket()(customer_id=customer.id, product_id=product.id, quantity=quantity)
    order = shop.use.place_order()(customer_id=customer.id, payment="transfer")
    payment = shop.use.start_payment()(customer_id=customer.id, order_id=order.id)
    return order, payment


def title_of(payment: PaymentView) -> str:
    assert payment.next_action is not None
    return str(payment.next_action["title"])


def credit(amount: str, text: str, reference: str = "BR1") -> BankCredit:
    return BankCredit(amount=Money(Decimal(amount), "PLN"), text=text, reference=reference)


def run_import(shop: Shop, *credits: BankCredit) -> StatementReport:
    return shop.use.import_bank_credits()(credits=credits)


def payments_of(shop: Shop, order: OrderView) -> list[Payment]:
    return [p for p in shop.store.tables.payments.values() if p.order_id == order.id]


def status_of(shop: Shop, order: OrderView) -> OrderStatus:
    return shop.store.tables.orders[order.id].status


def test_the_exact_sum_with_the_title_pays_the_order(shop: Shop) -> None:
    order, payment = transfer_order(shop)
    title = title_of(payment)
    shop.clock.advance(days=1)

    report = run_import(shop, credit("99.90", f"Zaplata za zamowienie {title} Jan Kowalski"))

    (entry,) = report.paid
    assert entry.order_id == order.id
    assert entry.title == title
    assert entry.expected == order.total
    assert entry.payment_id == payment.id
    stored = shop.store.tables.orders[order.id]
    assert stored.status == OrderStatus.PAID
    assert stored.paid_at == shop.clock.now()
    assert stored.paid_by == payment.id
    (paid,) = payments_of(shop, order)
    assert paid.status == PaymentStatus.SUCCEEDED
    assert paid.history[-1].source == ChangeSource.STATEMENT
    view = shop.use.get_payment()(customer_id=order.customer_id, order_id=order.id)
    assert view.status == "succeeded"
    assert report.counts() == {
        "paid": 1,
        "already_paid": 0,
        "underpaid": 0,
        "overpaid": 0,
        "not_payable": 0,
        "unknown": 0,
    }


def test_importing_the_same_credits_twice_pays_nothing_twice(shop: Shop) -> None:
    order, payment = transfer_order(shop)
    statement = [credit("99.90", title_of(payment))]
    run_import(shop, *statement)
    paid_at = shop.store.tables.orders[order.id].paid_at
    history = list(payments_of(shop, order)[0].history)
    shop.clock.advance(hours=2)

    again = run_import(shop, *statement)

    assert again.paid == ()
    (entry,) = again.already_paid
    assert entry.order_id == order.id
    assert entry.payment_id == payment.id
    assert shop.store.tables.orders[order.id].paid_at == paid_at
    (only,) = payments_of(shop, order)
    assert only.history == history


@pytest.mark.parametrize(
    ("amount", "outcome"),
    [
        ("99.89", CreditOutcome.UNDERPAID),
        ("50.00", CreditOutcome.UNDERPAID),
        ("99.91", CreditOutcome.OVERPAID),
        ("1000.00", CreditOutcome.OVERPAID),
    ],
)
def test_another_sum_is_reported_and_changes_nothing(
    shop: Shop, amount: str, outcome: CreditOutcome
) -> None:
    order, payment = transfer_order(shop)

    report = run_import(shop, credit(amount, title_of(payment)))

    (entry,) = report.entries
    assert entry.outcome == outcome
    assert entry.order_id == order.id
    assert entry.expected == Money("99.90")
    assert entry.credit.amount == Money(amount)
    assert entry.payment_id is None
    assert report.paid == ()
    assert status_of(shop, order) == OrderStatus.TO_PAY
    assert [p.status for p in payments_of(shop, order)] == [PaymentStatus.PENDING]


def test_credits_without_a_title_of_an_order_are_unknown(shop: Shop) -> None:
    order, payment = transfer_order(shop)
    title = title_of(payment)
    mistyped = title[:-1] + str((int(title[-1]) + 1) % 10)
    nobodys = transfer_title(uuid.uuid4())

    report = run_import(
        shop,
        credit("99.90", f"Zamowienie {mistyped}"),
        credit("99.90", f"Zamowienie {nobodys}"),
        credit("99.90", "Zamowienie z 5 stycznia"),
    )

    assert [e.outcome for e in report.entries] == [CreditOutcome.UNKNOWN] * 3
    assert [e.note for e in report.unknown] == [
        "the title's check digits are wrong",
        "no order has this title",
        "no transfer title",
    ]
    assert report.unknown[0].title == mistyped  # the title it looked like
    assert report.unknown[1].title == nobodys
    assert report.unknown[2].title == ""
    assert all(e.order_id is None for e in report.unknown)
    assert status_of(shop, order) == OrderStatus.TO_PAY


def test_a_credit_naming_two_orders_pays_neither(shop: Shop) -> None:
    first, first_payment = transfer_order(shop)
    second, second_payment = transfer_order(shop)

    report = run_import(
        shop, credit("199.80", f"{title_of(first_payment)} {title_of(second_payment)}")
    )

    (entry,) = report.unknown
    assert entry.note == "several orders named"
    assert entry.title == f"{title_of(first_payment)}, {title_of(second_payment)}"
    assert status_of(shop, first) == status_of(shop, second) == OrderStatus.TO_PAY


def test_money_for_a_returned_order_is_reported_for_a_refund(shop: Shop) -> None:
    order, payment = transfer_order(shop)
    shop.use.cancel_order()(order_id=order.id, customer_id=order.customer_id)

    report = run_import(shop, credit("99.90", title_of(payment)))

    (entry,) = report.not_payable
    assert entry.order_id == order.id
    assert entry.note == "order is returned"
    assert status_of(shop, order) == OrderStatus.RETURNED


def test_another_currency_is_unknown(shop: Shop) -> None:
    order, payment = transfer_order(shop)

    report = run_import(
        shop, BankCredit(amount=Money("99.90", "EUR"), text=title_of(payment), reference="X")
    )

    (entry,) = report.unknown
    assert entry.order_id == order.id
    assert entry.note == "order is in PLN"
    assert status_of(shop, order) == OrderStatus.TO_PAY


def test_a_debit_or_zero_is_not_a_credit(shop: Shop) -> None:
    order, payment = transfer_order(shop)

    report = run_import(
        shop, credit("0.00", title_of(payment)), credit("-99.90", title_of(payment))
    )

    assert [e.note for e in report.unknown] == ["not a credit", "not a credit"]
    assert status_of(shop, order) == OrderStatus.TO_PAY


def test_a_transfer_started_twice_keeps_its_title_and_the_latest_attempt_succeeds(
    shop: Shop,
) -> None:
    order, first = transfer_order(shop)
    second = shop.use.start_payment()(customer_id=order.customer_id, order_id=order.id)
    assert title_of(second) == title_of(first)

    report = run_import(shop, credit("99.90", title_of(first)))

    assert report.paid[0].payment_id == second.id
    view = shop.use.get_payment()(customer_id=order.customer_id, order_id=order.id)
    assert (view.id, view.status) == (second.id, "succeeded")
    assert status_of(shop, order) == OrderStatus.PAID


def test_a_transfer_after_switching_to_card_records_a_transfer_payment(shop: Shop) -> None:
    order, transfer = transfer_order(shop)
    card = shop.use.start_payment()(customer_id=order.customer_id, order_id=order.id, method="card")

    report = run_import(shop, credit("99.90", title_of(transfer)))

    (entry,) = report.paid
    assert entry.payment_id not in (transfer.id, card.id)
    latest = shop.use.get_payment()(customer_id=order.customer_id, order_id=order.id)
    assert (latest.id, latest.method, latest.provider, latest.status) == (
        entry.payment_id,
        "transfer",
        "bank_transfer",
        "succeeded",
    )
    recorded = shop.store.tables.payments[latest.id]
    assert recorded.external_ref == title_of(transfer)
    assert [(h.source, h.new) for h in recorded.history] == [
        (ChangeSource.STATEMENT, PaymentStatus.PENDING),
        (ChangeSource.STATEMENT, PaymentStatus.SUCCEEDED),
    ]
    assert shop.store.tables.orders[order.id].paid_by == latest.id


def test_each_credit_is_its_own_unit_of_work(shop: Shop) -> None:
    order, payment = transfer_order(shop)

    def statement() -> Iterator[BankCredit]:
        yield credit("99.90", title_of(payment))
        raise OSError("the statement file broke off")

    with pytest.raises(OSError):
        shop.use.import_bank_credits()(credits=statement())

    assert status_of(shop, order) == OrderStatus.PAID


def test_the_report_keeps_statement_order_and_progress_counts_every_credit(
    shop: Shop,
) -> None:
    paid, paid_payment = transfer_order(shop)
    short, short_payment = transfer_order(shop)
    ticks: list[int] = []

    report = shop.use.import_bank_credits()(
        credits=iter(
            [
                credit("1.00", "no title here"),
                credit("10.00", title_of(short_payment)),
                credit("99.90", title_of(paid_payment)),
            ]
        ),
        progress=ticks.append,
    )

    assert ticks == [1, 1, 1]
    assert [e.outcome for e in report.entries] == [
        CreditOutcome.UNKNOWN,
        CreditOutcome.UNDERPAID,
        CreditOutcome.PAID,
    ]
    assert [e.order_id for e in report.entries] == [None, short.id, paid.id]


def test_a_paid_transfer_order_canceled_is_refunded_by_hand(shop: Shop) -> None:
    order, payment = transfer_order(shop)
    run_import(shop, credit("99.90", title_of(payment)))

    shop.use.cancel_order()(order_id=order.id, customer_id=None, source=ChangeSource.STAFF)

    assert status_of(shop, order) == OrderStatus.RETURNED
    # The payout waits for staff: the money is back only once they mark it sent.
    (refund,) = shop.store.tables.orders[order.id].refunds
    assert refund.status.value == "pending"
    assert shop.store.tables.payments[payment.id].status == PaymentStatus.SUCCEEDED
    shop.use.mark_refund_sent()(refund_id=refund.id)
    assert shop.store.tables.payments[payment.id].status == PaymentStatus.REFUNDED


def test_without_transfers_enabled_there_is_nothing_to_import() -> None:
    shop = build_shop()
    shop.use.gateways.override(
        PaymentGateways({PaymentMethod.CARD: shop.card, PaymentMethod.TRANSFER: None})
    )

    with pytest.raises(PaymentMethodNotAvailable):
        run_import(shop, credit("1.00", "x"))

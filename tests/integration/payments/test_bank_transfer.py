"""Bank transfers: the provider, its transfer titles, MT940 statements and their import.

The statements under ``fixtures/`` are written by hand in the SWIFT MT940 format
for orders with fixed ids (below), so their titles are known in advance. The
import runs on the in-memory adapters: no Django, no database.
"""

from __future__ import annotations

import pathlib
import re
import uuid
from decimal import Decimal

import pytest
from dependency_injector import providers
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.payments.bank_statement import Credit, Mt940StatementReader, read_mt940
from adapters.payments.bank_transfer import (
    BankTransferGateway,
    BankTransferTitles,
    find_mistyped_titles,
    find_titles,
    transfer_title,
)
from adapters.payments.fake import FakePaymentGateway
from adapters.persistence.in_memory import (
    FixedClock,
    InMemoryPaymentReplies,
    InMemoryStockHolds,
    InMemoryStore,
    InMemoryUnitOfWork,
    PlainPasswordHasher,
    SimplePasswordPolicy,
)
from adapters.persistence.system import UuidSource
from shop_app.containers import UseCases
from shop_app.ports.payment_gateway import PaymentGateways, PaymentRequest
from shop_app.use_cases.bank_statement import BankCredit, CreditOutcome, StatementReport
from shop_domain.errors import InvalidNotificationSignature, TransferConfirmedOnArrival
from shop_domain.ids import CustomerId, OrderId, OrderLineId, PaymentId
from shop_domain.money import Money
from shop_domain.order import Order, OrderLine, OrderStatus, PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FIRST = FIXTURES / "statement_2026-01-05.sta"
STRUCTURED = FIXTURES / "statement_2026-01-06_structured.sta"

IBAN = "PL61109010140000071219812874"
HOLDER = "Shop sp. z o.o."

# The orders the fixture statements pay, with their sums and (pinned) titles. A
# change of the title format would orphan every title customers already have.
EXACT = OrderId(uuid.UUID("a0000000-0000-4000-8000-000000000001"))
PARTIAL = OrderId(uuid.UUID("b0000000-0000-4000-8000-000000000001"))
OVER = OrderId(uuid.UUID("c0000000-0000-4000-8000-000000000001"))
MISTYPED = OrderId(uuid.UUID("d0000000-0000-4000-8000-000000000001"))
NOBODY = OrderId(uuid.UUID("f0000000-0000-4000-8000-000000000001"))  # no such order
SUMS = {EXACT: "149.99", PARTIAL: "250.00", OVER: "80.00", MISTYPED: "59.90"}
TITLES = {
    EXACT: "SHOP427204058494653091",
    PARTIAL: "SHOP461262594603441254",
    OVER: "SHOP760244005604642310",
    MISTYPED: "SHOP064397391915443669",
    NOBODY: "SHOP672095198380114371",
}
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Bank:
    """The core on in-memory adapters with the real bank transfer provider."""

    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.clock = FixedClock()
        self.gateway = BankTransferGateway(IBAN, HOLDER)
        self.use = UseCases(
            uow=providers.Factory(InMemoryUnitOfWork, self.store),
            stock_holds=InMemoryStockHolds(self.store),
            payment_replies=InMemoryPaymentReplies(self.store),
            clock=self.clock,
            ids=UuidSource(),
            hasher=PlainPasswordHasher(),
            password_policy=SimplePasswordPolicy(),
            gateways=PaymentGateways(
                {
                    PaymentMethod.CARD: FakePaymentGateway("card-fake"),
                    PaymentMethod.TRANSFER: self.gateway,
                    PaymentMethod.PAYU: None,
                }
            ),
            statement_titles=BankTransferTitles(),
        )
        self.customer = CustomerId(
            self.use.register_customer()(
                username="jan", password="correct-horse-9", email="jan@example.com"
            ).id
        )

    def order(self, order_id: OrderId, total: str) -> None:
        """An order of one line with this id and sum, transfer payment started."""
        product = self.use.create_product()(name=f"thing {total}", price=Decimal(total), stock=0)
        line = OrderLine(
            id=OrderLineId(uuid.uuid4()),
            product_id=product.id,
            product_name=product.name,
            quantity=1,
            unit_price=Money(Decimal(total)),
        )
        with InMemoryUnitOfWork(self.store) as uow:
            uow.orders.add(
                Order.place(
                    id=order_id,
                    customer_id=self.customer,
                    lines=(line,),
                    payment_method=PaymentMethod.TRANSFER,
                    currency="PLN",
                    at=self.clock.now(),
                )
            )
            uow.commit()
        self.use.start_payment()(customer_id=self.customer, order_id=order_id)

    def import_file(self, path: pathlib.Path) -> StatementReport:
        return self.use.import_bank_credits()(credits=Mt940StatementReader().read(path))

    def status(self, order_id: OrderId) -> OrderStatus:
        return self.store.tables.orders[order_id].status

    def payments(self, order_id: OrderId) -> list[Payment]:
        return [p for p in self.store.tables.payments.values() if p.order_id == order_id]


@pytest.fixture
def bank() -> Bank:
    bank = Bank()
    for order_id, total in SUMS.items():
        bank.order(order_id, total)
    return bank


def outcomes(report: StatementReport) -> list[tuple[str, CreditOutcome]]:
    return [(e.credit.reference, e.outcome) for e in report.entries]


# --- the provider -------------------------------------------------------------------


def test_start_tells_the_customer_where_to_send_how_much_with_which_title(bank: Bank) -> None:
    (payment,) = bank.payments(EXACT)

    assert payment.provider == "bank_transfer"
    assert payment.status == PaymentStatus.PENDING
    assert payment.external_ref == TITLES[EXACT]
    assert payment.next_action == {
        "type": "bank_transfer",
        "account_holder": HOLDER,
        "iban": IBAN,
        "title": TITLES[EXACT],
        "amount": "149.99",
        "currency": "PLN",
    }
    assert bank.status(EXACT) == OrderStatus.TO_PAY


def test_every_attempt_to_pay_one_order_carries_its_one_title(bank: Bank) -> None:
    bank.use.start_payment()(customer_id=bank.customer, order_id=OVER)

    first, second = bank.payments(OVER)
    assert first.id != second.id
    assert first.external_ref == second.external_ref == TITLES[OVER]
    assert second.next_action is not None and second.next_action["amount"] == "80.00"


def test_the_titles_of_the_fixture_orders_are_pinned() -> None:
    assert {order_id: transfer_title(order_id) for order_id in TITLES} == TITLES


def test_the_customer_cannot_confirm_a_transfer(bank: Bank) -> None:
    with pytest.raises(TransferConfirmedOnArrival) as raised:
        bank.use.confirm_payment()(customer_id=bank.customer, order_id=EXACT, params={})
    assert raised.value.code == 5007
    with pytest.raises(TransferConfirmedOnArrival):
        bank.gateway.confirm(bank.payments(EXACT)[0], {})


def test_banks_send_no_notifications() -> None:
    gateway = BankTransferGateway(IBAN, HOLDER)
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(b"{}", {})


def test_a_refund_is_a_payout_pending_until_staff_mark_it_sent(bank: Bank) -> None:
    bank.use.mark_transfer_paid()(order_id=EXACT)

    bank.use.cancel_order()(order_id=EXACT, customer_id=None, source=ChangeSource.STAFF)

    (payment,) = bank.payments(EXACT)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert bank.status(EXACT) == OrderStatus.RETURNED
    (refund,) = bank.use.list_refunds()(order_id=EXACT)
    assert refund.status == "pending"

    sent = bank.use.mark_refund_sent()(refund_id=refund.id, reference="payout 7")
    again = bank.use.mark_refund_sent()(refund_id=refund.id)

    assert (sent.status, again.status, again.external_ref) == ("succeeded",) * 2 + ("payout 7",)
    (payment,) = bank.payments(EXACT)
    assert payment.status == PaymentStatus.REFUNDED


def test_the_account_is_written_compact_whatever_the_configuration() -> None:
    gateway = BankTransferGateway(" pl61 1090 1014 0000 0712 1981 2874 ", f" {HOLDER} ")
    assert (gateway.iban, gateway.holder) == (IBAN, HOLDER)


@pytest.mark.parametrize(
    "iban",
    [
        "PL61109010140000071219812875",  # ISO check digits wrong
        "PL36109010150000071219812874",  # ISO check right, national check digit wrong
        "PL6110901014",
        "XX61109010140000071219812874",
        "not an iban",
        "",
    ],
)
def test_a_bad_account_stops_start_up(iban: str) -> None:
    with pytest.raises(ValueError, match="not a valid IBAN"):
        BankTransferGateway(iban, HOLDER)


def test_an_account_needs_a_holder() -> None:
    with pytest.raises(ValueError, match="holder"):
        BankTransferGateway(IBAN, "  ")


def test_amounts_are_given_with_two_decimals() -> None:
    gateway = BankTransferGateway(IBAN, HOLDER)
    request = PaymentRequest(
        payment_id=PaymentId(uuid.uuid4()),
        order_id=OrderId(uuid.uuid4()),
        amount=Money(Decimal(120), "EUR"),
        description="Order",
    )
    action = gateway.start(request).next_action
    assert action is not None
    assert (action["amount"], action["currency"]) == ("120.00", "EUR")


# --- titles -------------------------------------------------------------------------


def _prefix_number(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


@given(st.uuids())
def test_a_title_is_shop_16_digits_and_iso_7064_mod_97_10_check_digits(order: uuid.UUID) -> None:
    title = transfer_title(order)
    assert re.fullmatch(r"SHOP[0-9]{18}", title)
    assert int(_prefix_number("SHOP") + title[4:]) % 97 == 1
    assert transfer_title(order) == title
    assert find_titles(title) == [title]


@settings(max_examples=60, deadline=None)
@given(st.uuids())
def test_every_single_character_substitution_is_caught(order: uuid.UUID) -> None:
    title = transfer_title(order)
    for i, original in enumerate(title):
        for replacement in ALPHABET:
            if replacement != original:
                typo = title[:i] + replacement + title[i + 1 :]
                assert find_titles(f"Zamowienie {typo}") == [], typo


@settings(max_examples=200, deadline=None)
@given(st.uuids())
def test_every_transposition_of_neighbours_is_caught(order: uuid.UUID) -> None:
    title = transfer_title(order)
    for i in range(len(title) - 1):
        if title[i] != title[i + 1]:
            typo = title[:i] + title[i + 1] + title[i] + title[i + 2 :]
            assert find_titles(f"Zamowienie {typo}") == [], typo
            if typo.startswith("SHOP"):  # still title-shaped: reported as mistyped
                assert find_mistyped_titles(f"Zamowienie {typo}") == [typo], typo


def test_mistyped_titles_are_found_as_read_and_valid_ones_are_not() -> None:
    text = f"{TITLES[EXACT]} oraz shop 0643 9739 1915 4436 96 i SHOP1234"
    assert find_mistyped_titles(text) == ["SHOP064397391915443696"]
    assert find_mistyped_titles(TITLES[EXACT]) == []
    assert find_mistyped_titles("Zwrot za paczke, bez tytulu") == []


def test_the_sample_orders_survive_every_typo_check() -> None:
    for title in TITLES.values():
        digits = title[4:]
        for i in range(len(digits)):
            for d in "0123456789":
                if d != digits[i]:
                    assert find_titles("SHOP" + digits[:i] + d + digits[i + 1 :]) == []


@pytest.mark.parametrize(
    "text",
    [
        "SHOP427204058494653091",
        "zamowienie shop427204058494653091",
        "Zamowienie: SHOP-4272-0405-8494-6530-91, dziekuje",
        "S H O P 4272 0405 8494 6530 91",
        "Shop\u20134272\u00a00405 8494 6530\n91",
        "ZAMOWIENIESHOP427204058494653091X",
        "SVWZ+SHOP427204058494653091 / SHOP427204058494653091",
    ],
)
def test_titles_are_found_however_the_bank_spaces_and_cases_them(text: str) -> None:
    assert find_titles(text) == [TITLES[EXACT]]


def test_several_titles_are_found_in_order_each_once() -> None:
    text = f"{TITLES[OVER]} i {TITLES[EXACT].lower()} oraz {TITLES[OVER]} SHOP1234"
    assert find_titles(text) == [TITLES[OVER], TITLES[EXACT]]


def test_no_title_is_found_in_ordinary_text() -> None:
    assert find_titles("Przelew za fakture 2026/01/05 nr 4272040584946530 91 PLN") == []
    assert find_titles("") == []


# --- statements ---------------------------------------------------------------------


def test_an_mt940_statement_gives_its_credits_and_skips_debits() -> None:
    credits = read_mt940(FIRST)

    assert [c.reference for c in credits] == [f"BR260105000{n}" for n in range(1, 7)]
    assert [str(c.amount) for c in credits] == [
        "149.99 PLN",
        "100.00 PLN",
        "100.00 PLN",
        "59.90 PLN",
        "75.00 PLN",
        "20.00 PLN",
    ]
    assert {c.date.isoformat() for c in credits if c.date} == {"2026-01-05"}
    assert all(isinstance(c, BankCredit) for c in credits) and Credit is BankCredit
    assert credits[0].text == "Zamowienie shop-4272-0405-8494-6530-91 Jan Kowalski"
    # a purpose over two lines is one text
    assert credits[2].text == (
        "Anna Nowak ul. Polna 1 Krakow oplata za zamowienie SHOP7602440056 04642310 dziekuje"
    )


def test_structured_purposes_and_several_statements_in_one_file() -> None:
    credits = read_mt940(STRUCTURED)

    assert [(c.reference, c.text, c.date and c.date.isoformat()) for c in credits] == [
        ("BR2601060001", "Zamowienie SHOP0643973919154436 69", "2026-01-06"),
        ("BR2601070001", "SVWZ+SHOP461262594603441254 Rest", "2026-01-07"),
    ]


def test_a_statement_is_read_from_a_path_string_or_its_bytes() -> None:
    assert read_mt940(str(FIRST)) == read_mt940(FIRST.read_bytes()) == read_mt940(FIRST)


def test_a_statement_without_balances_needs_its_currency_named() -> None:
    data = b":20:X\n:25:/PL61109010140000071219812874\n:28C:1/1\n:61:2601050105C1,00NTRF\n:86:t\n"
    with pytest.raises(ValueError, match="currency"):
        read_mt940(data)
    (only,) = read_mt940(data, currency="PLN")
    assert only.amount == Money("1.00", "PLN")


@pytest.mark.parametrize(
    "data",
    [b"Date;Amount;Title\n2026-01-05;149.99;SHOP427204058494653091\n", b":20:X\n:61:garbage\n"],
)
def test_what_is_not_mt940_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="MT940"):
        read_mt940(data)


def test_a_missing_file_is_an_error_not_an_empty_statement(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_mt940(str(tmp_path / "nope.sta"))


# --- importing statements -----------------------------------------------------------


def test_importing_a_statement_pays_exact_sums_and_reports_the_rest(bank: Bank) -> None:
    report = bank.import_file(FIRST)

    assert outcomes(report) == [
        ("BR2601050001", CreditOutcome.PAID),
        ("BR2601050002", CreditOutcome.UNDERPAID),
        ("BR2601050003", CreditOutcome.OVERPAID),
        ("BR2601050004", CreditOutcome.UNKNOWN),  # mistyped check digits
        ("BR2601050005", CreditOutcome.UNKNOWN),  # a title of no order
        ("BR2601050006", CreditOutcome.UNKNOWN),  # no title
    ]
    assert [(e.order_id, e.expected) for e in report.paid + report.underpaid + report.overpaid] == [
        (EXACT, Money("149.99")),
        (PARTIAL, Money("250.00")),
        (OVER, Money("80.00")),
    ]
    assert [e.note for e in report.unknown] == [
        "the title's check digits are wrong",
        "no order has this title",
        "no transfer title",
    ]
    assert bank.status(EXACT) == OrderStatus.PAID
    (payment,) = bank.payments(EXACT)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.history[-1].source == ChangeSource.STATEMENT
    for order_id in (PARTIAL, OVER, MISTYPED):
        assert bank.status(order_id) == OrderStatus.TO_PAY
        assert [p.status for p in bank.payments(order_id)] == [PaymentStatus.PENDING]


def test_importing_the_same_statement_again_pays_nothing_twice(bank: Bank) -> None:
    bank.import_file(FIRST)
    before = {p.id: (p.status, len(p.history)) for p in bank.store.tables.payments.values()}
    paid_at = bank.store.tables.orders[EXACT].paid_at
    bank.clock.advance(days=1)

    again = bank.import_file(FIRST)

    assert again.paid == ()
    assert [(e.order_id, e.credit.reference) for e in again.already_paid] == [
        (EXACT, "BR2601050001")
    ]
    assert again.counts() == {
        "paid": 0,
        "already_paid": 1,
        "underpaid": 1,
        "overpaid": 1,
        "not_payable": 0,
        "unknown": 3,
    }
    after = {p.id: (p.status, len(p.history)) for p in bank.store.tables.payments.values()}
    assert after == before
    assert bank.store.tables.orders[EXACT].paid_at == paid_at


def test_the_corrected_title_pays_and_part_payments_are_not_added_up(bank: Bank) -> None:
    bank.import_file(FIRST)

    report = bank.import_file(STRUCTURED)

    assert outcomes(report) == [
        ("BR2601060001", CreditOutcome.PAID),
        ("BR2601070001", CreditOutcome.UNDERPAID),
    ]
    assert report.paid[0].order_id == MISTYPED
    assert bank.status(MISTYPED) == OrderStatus.PAID
    assert bank.status(PARTIAL) == OrderStatus.TO_PAY

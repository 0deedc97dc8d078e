"""Import the credits of a bank statement: money that carries an order's transfer
title and exactly its sum pays that order; everything else is reported for staff."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable

import attrs

from shop_app.ports.bank_statement import StatementTitles
from shop_app.ports.clock import Clock
from shop_app.ports.id_source import IdSource
from shop_app.ports.payment_gateway import PaymentGateways
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.use_cases.payments import settle
from shop_domain.ids import OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import Order, OrderStatus, PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus


@attrs.frozen(kw_only=True)
class BankCredit:
    """Money that arrived on the shop's account, as a bank statement tells it."""

    amount: Money
    text: str  # the transfer's purpose (description), where the customer put the title
    reference: str = ""  # the bank's reference of the entry
    date: dt.date | None = None  # value date


class CreditOutcome(enum.StrEnum):
    PAID = "paid"  # the exact sum of a payable order: the order is now paid
    ALREADY_PAID = "already_paid"  # the order was paid before (or this file was imported)
    UNDERPAID = "underpaid"  # less than the order's sum: nothing changes
    OVERPAID = "overpaid"  # more than the order's sum: nothing changes
    NOT_PAYABLE = "not_payable"  # the order was returned or failed: money to give back
    UNKNOWN = "unknown"  # no title, a title of no order, several orders, another currency


@attrs.frozen(kw_only=True)
class StatementEntry:
    """What became of one credit."""

    credit: BankCredit
    outcome: CreditOutcome
    title: str = ""  # the title that named the order (or the titles found, if none did)
    order_id: OrderId | None = None
    expected: Money | None = None  # the order's sum
    payment_id: PaymentId | None = None  # the succeeded payment (paid, already_paid)
    note: str = ""


@attrs.frozen(kw_only=True)
class StatementReport:
    """Every credit of an import, in statement order, grouped by outcome below."""

    entries: tuple[StatementEntry, ...] = ()

    def _of(self, outcome: CreditOutcome) -> tuple[StatementEntry, ...]:
        return tuple(e for e in self.entries if e.outcome == outcome)

    @property
    def paid(self) -> tuple[StatementEntry, ...]:
        return self._of(CreditOutcome.PAID)

    @property
    def already_paid(self) -> tuple[StatementEntry, ...]:
        return self._of(CreditOutcome.ALREADY_PAID)

    @property
    def underpaid(self) -> tuple[StatementEntry, ...]:
        return self._of(CreditOutcome.UNDERPAID)

    @property
    def overpaid(self) -> tuple[StatementEntry, ...]:
        return self._of(CreditOutcome.OVERPAID)

    @property
    def not_payable(self) -> tuple[StatementEntry, ...]:
        return self._of(CreditOutcome.NOT_PAYABLE)

    @property
    def unknown(self) -> tuple[StatementEntry, ...]:
        return self._of(CreditOutcome.UNKNOWN)

    def counts(self) -> dict[str, int]:
        """Number of credits per outcome, every outcome present."""
        return {o.value: len(self._of(o)) for o in CreditOutcome}


class ImportBankCredits:
    """Match statement credits to orders by transfer title and pay the exact ones.

    Each credit is handled in its own unit of work. A credit whose title names a
    payable order and whose amount equals the order's sum marks the transfer
    payment ``succeeded`` (source ``statement``) and the order ``paid``, as staff
    marking it paid would. Anything else changes nothing and is reported: an order
    already paid (so importing one file twice pays nothing twice), less or more
    than the sum, a returned or failed order, no title or a title of no order
    (titles with wrong check digits are not titles: ``titles.find`` drops them, and
    ``titles.find_mistyped`` finds them so that the report can say so, and which).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdSource,
        gateways: PaymentGateways,
        titles: StatementTitles,
    ):
        self._uow, self._clock, self._ids, self._gateways = uow, clock, ids, gateways
        self._titles = titles

    def __call__(
        self,
        *,
        credits: Iterable[BankCredit],
        progress: Callable[[int], None] | None = None,
    ) -> StatementReport:
        """``progress`` is called with 1 after each credit (it fits ``tqdm.update``)."""
        provider = self._gateways.for_method(PaymentMethod.TRANSFER).provider
        entries: list[StatementEntry] = []
        for credit in credits:
            titles = self._titles.find(credit.text)
            mistyped = self._titles.find_mistyped(credit.text) if not titles else []
            entries.append(self._import(credit, titles, mistyped, provider))
            if progress is not None:
                progress(1)
        return StatementReport(entries=tuple(entries))

    def _import(
        self, credit: BankCredit, titles: list[str], mistyped: list[str], provider: str
    ) -> StatementEntry:
        unknown = CreditOutcome.UNKNOWN
        if credit.amount.amount <= 0:
            return StatementEntry(credit=credit, outcome=unknown, note="not a credit")
        if not titles and mistyped:
            # Something that looks like a title, but a mistyped one: it names no order
            # (the check digits exist so that it cannot name the wrong one); say which.
            return StatementEntry(
                credit=credit,
                outcome=unknown,
                title=", ".join(mistyped),
                note="the title's check digits are wrong",
            )
        with self._uow as uow:
            named: dict[OrderId, str] = {}  # order -> the title that named it
            for title in titles:
                found = uow.payments.find_by_external_ref(provider, title)
                if found is not None:
                    named.setdefault(found.order_id, title)
            if len(named) != 1:
                note = "several orders named" if named else "no order has this title"
                shown = list(named.values()) if named else titles
                return StatementEntry(
                    credit=credit,
                    outcome=unknown,
                    title=", ".join(shown),
                    note=note if titles else "no transfer title",
                )
            ((order_id, title),) = named.items()
            # Lock order before payment, as every other use case does.
            order = uow.orders.get(order_id, for_update=True)
            if order is None:
                return StatementEntry(
                    credit=credit, outcome=unknown, title=title, note="order not found"
                )
            outcome, note = _judge(credit.amount, order)
            paid_by = order.paid_by
            if outcome == CreditOutcome.PAID:
                paid_by = self._pay(uow, order, title, provider)
                uow.commit()
        return StatementEntry(
            credit=credit,
            outcome=outcome,
            title=title,
            order_id=order.id,
            expected=order.total,
            payment_id=paid_by,
            note=note,
        )

    def _pay(self, uow: UnitOfWork, order: Order, title: str, provider: str) -> PaymentId:
        """As staff marking the transfer paid: the order's open transfer payment
        succeeds, or (another method was chosen since) a new one is recorded."""
        payment = uow.payments.latest_for(order.id, for_update=True)
        if payment is None or not payment.is_open or payment.provider != provider:
            payment = Payment.start(
                id=PaymentId(self._ids.new_id()),
                order_id=order.id,
                customer_id=order.customer_id,
                method=PaymentMethod.TRANSFER,
                provider=provider,
                amount=order.total,
                at=self._clock.now(),
                source=ChangeSource.STATEMENT,
            )
            payment.external_ref = title
            uow.payments.add(payment)
        settle(
            uow,
            payment,
            order,
            PaymentStatus.SUCCEEDED,
            clock=self._clock,
            source=ChangeSource.STATEMENT,
        )
        return payment.id


def _judge(amount: Money, order: Order) -> tuple[CreditOutcome, str]:
    """What a credit of ``amount`` naming ``order`` comes to (before paying it)."""
    if order.status == OrderStatus.PAID:
        return CreditOutcome.ALREADY_PAID, ""
    if not order.is_payable:
        return CreditOutcome.NOT_PAYABLE, f"order is {order.status.value}"
    if amount.currency != order.total.currency:
        return CreditOutcome.UNKNOWN, f"order is in {order.total.currency}"
    if amount < order.total:
        return CreditOutcome.UNDERPAID, ""
    if order.total < amount:
        return CreditOutcome.OVERPAID, ""
    return CreditOutcome.PAID, ""

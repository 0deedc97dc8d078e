"""Payments: start an attempt, confirm it, apply a provider's notification, mark a
transfer paid. Whatever arrives twice or races, an order is paid at most once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from shop_app.ports.clock import Clock
from shop_app.ports.events import EventType
from shop_app.ports.id_source import IdSource
from shop_app.ports.payment_gateway import (
    GatewayResult,
    Notification,
    PaymentGateway,
    PaymentGateways,
    PaymentRequest,
    StatusLookup,
)
from shop_app.ports.payment_replies import PaymentReplies
from shop_app.ports.reconciliation import StalePayments
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import OrderView, PaymentView
from shop_app.use_cases.orders import return_stock
from shop_app.use_cases.refunds import apply_refund_note
from shop_domain.errors import (
    AmountMismatch,
    NoPaymentAwaitsConfirmation,
    OrderNotFound,
    OrderNotPayable,
    PaymentDeclined,
    PaymentProviderUnavailable,
    ShopError,
    TransferConfirmedOnArrival,
)
from shop_domain.ids import CustomerId, OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import Order, PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus

log = logging.getLogger(__name__)


def settle(
    uow: UnitOfWork,
    payment: Payment,
    order: Order,
    status: PaymentStatus,
    *,
    clock: Clock,
    source: ChangeSource,
    order_failed: bool = False,
) -> bool:
    """Move a locked payment (and its locked order) forward to ``status``.

    Stale or repeated news (a late ``pending`` after ``succeeded``) changes nothing
    and returns False. Success pays the order unless it is already paid; a
    definitive failure fails the order and gives its stock back, but only when it is
    news of the order's current (latest) attempt: a cancellation of an attempt the
    customer abandoned (switched method) fails that attempt alone.
    """
    if status == payment.status or not payment.can_move_to(status):
        return False
    now = clock.now()
    payment.move_to(status, at=now, source=source)
    if not payment.is_open:
        payment.next_action = None  # nothing left for the customer to do
    order_event: EventType | None = None
    if status == PaymentStatus.SUCCEEDED and order.is_payable:
        order.mark_paid(payment.id, at=now)
        order_event = EventType.ORDER_PAID
    elif status in (PaymentStatus.FAILED, PaymentStatus.CANCELED) and order_failed:
        # A late failure never undoes a payment, and only the current attempt speaks
        # for the order (the order row is locked: no newer attempt can appear now).
        if order.is_payable and _is_current(uow, payment):
            order.fail()
            return_stock(uow, order)
            order_event = EventType.ORDER_FAILED
    uow.payments.save(payment)
    uow.orders.save(order)
    _record_settled(uow, payment, order, order_event, at=now)
    return True


def _record_settled(
    uow: UnitOfWork, payment: Payment, order: Order, order_event: EventType | None, *, at: datetime
) -> None:
    """The events of a settled payment, in the order a receiver should apply them:
    the order's news first (order.paid, order.failed), then the payment's."""
    if order_event is not None:
        uow.events.record(order_event, order_id=order.id, subject=OrderView.of(order), at=at)
    payment_event = {
        PaymentStatus.SUCCEEDED: EventType.PAYMENT_SUCCEEDED,
        PaymentStatus.FAILED: EventType.PAYMENT_FAILED,
        PaymentStatus.CANCELED: EventType.PAYMENT_FAILED,
    }.get(payment.status)  # refunded: the refund's own refund.* events tell it
    if payment_event is not None:
        uow.events.record(payment_event, order_id=order.id, subject=PaymentView.of(payment), at=at)


def _is_current(uow: UnitOfWork, payment: Payment) -> bool:
    latest = uow.payments.latest_for(payment.order_id)
    return latest is None or latest.id == payment.id


def give_back_stray_money(
    uow: UnitOfWork,
    payment: Payment,
    order: Order,
    *,
    gateways: PaymentGateways,
    clock: Clock,
    source: ChangeSource,
) -> None:
    """A payment that succeeded for an order it did not pay (the order was already paid
    by another attempt, or returned meanwhile) is refunded at once. A provider failure
    propagates: the caller rolls back and the provider's retry tries again."""
    if payment.status != PaymentStatus.SUCCEEDED or order.paid_by == payment.id:
        return
    result = gateways.by_provider(payment.provider).refund(payment)
    if result.status == PaymentStatus.REFUNDED:
        payment.move_to(
            PaymentStatus.REFUNDED, at=clock.now(), source=source,
            note=f"order {order.status.value}: money returned",
        )  # fmt: skip
    uow.payments.save(payment)


def _apply(payment: Payment, result: GatewayResult) -> None:
    if result.external_ref:
        payment.external_ref = result.external_ref
    payment.next_action = result.next_action


def _ask_locally(
    gateway: PaymentGateway, request: PaymentRequest
) -> GatewayResult | PaymentProviderUnavailable | PaymentDeclined | None:
    """The answer of a provider that calls no one (None for one that calls out): asked
    before the attempt is recorded, and never asked again."""
    if not gateway.answers_locally:
        return None
    try:
        return gateway.start(request)
    except (PaymentProviderUnavailable, PaymentDeclined) as error:
        return error


def payment_lines(order: Order) -> tuple[tuple[str, int, Money], ...]:
    """What the provider lists: the order's lines, and its delivery as one more line
    (name, 1, price) when it costs anything, so the lines add up to ``sum``."""
    lines = tuple((ln.product_name, ln.quantity, ln.unit_price) for ln in order.lines)
    if order.delivery is not None and order.delivery.price.amount > 0:
        lines += ((order.delivery.name, 1, order.delivery.price),)
    return lines


class StartPayment:
    """Start paying an order with its method (or switch to another). The attempt is
    recorded before a provider is called, so money never sits at a provider with no
    local record; a provider failure leaves the order payable. A provider that calls no
    one (``answers_locally``) answers first: its usual answer (pending) goes in with the
    attempt, any other is recorded after it. A provider is asked to start once."""

    def __init__(
        self,
        uow: UnitOfWork,
        replies: PaymentReplies,
        ids: IdSource,
        clock: Clock,
        gateways: PaymentGateways,
    ):
        self._uow, self._replies, self._ids = uow, replies, ids
        self._clock, self._gateways = clock, gateways

    def __call__(
        self,
        *,
        customer_id: CustomerId,
        order_id: OrderId,
        method: str | None = None,
        customer_ip: str = "",
        customer_email: str | None = None,
    ) -> PaymentView:
        """``customer_email`` (for providers that want the buyer's address) is looked up
        when the caller does not already know it."""
        with self._uow as uow:
            order = uow.orders.get(order_id, customer_id=customer_id, for_update=True)
            if order is None:
                raise OrderNotFound()
            order.ensure_payable()
            chosen = self._gateways.method(method or order.payment_method)
            gateway = self._gateways.for_method(chosen)
            if customer_email is None:
                customer = uow.customers.get(customer_id)
                customer_email = customer.email if customer else ""
            payment = Payment.start(
                id=PaymentId(self._ids.new_id()),
                order_id=order.id,
                customer_id=customer_id,
                method=chosen,
                provider=gateway.provider,
                amount=order.total,
                at=self._clock.now(),
            )
            request = PaymentRequest(
                payment_id=payment.id,
                order_id=order.id,
                amount=order.total,
                description=f"Order {order.id}",
                customer_email=customer_email,
                customer_ip=customer_ip,
                lines=payment_lines(order),
            )
            early = _ask_locally(gateway, request)
            pending_now = isinstance(early, GatewayResult) and early.status == PaymentStatus.PENDING
            if pending_now:
                assert isinstance(early, GatewayResult)
                _apply(payment, early)
            order.await_payment(chosen)
            uow.payments.add(payment)
            uow.orders.save(order)
            uow.commit()
        if pending_now:
            return PaymentView.of(payment)
        if isinstance(early, GatewayResult):
            return self._record(payment.id, order.id, early)
        try:
            if early is not None:
                raise early
            result = gateway.start(request)
        except (PaymentProviderUnavailable, PaymentDeclined):
            self._record(payment.id, order.id, GatewayResult(status=PaymentStatus.FAILED))
            raise
        return self._record(payment.id, order.id, result)

    def _record(
        self, payment_id: PaymentId, order_id: OrderId, result: GatewayResult
    ) -> PaymentView:
        if result.status == PaymentStatus.PENDING:
            return self._note_pending(payment_id, result)
        with self._uow as uow:
            order = uow.orders.get(order_id, for_update=True)
            payment = uow.payments.get(payment_id, for_update=True)
            assert order is not None and payment is not None
            _apply(payment, result)
            if not settle(
                uow,
                payment,
                order,
                result.status,
                clock=self._clock,
                source=ChangeSource.PROVIDER,
                order_failed=result.order_failed,
            ):
                uow.payments.save(payment)
            give_back_stray_money(
                uow, payment, order, gateways=self._gateways, clock=self._clock,
                source=ChangeSource.PROVIDER,
            )  # fmt: skip
            uow.commit()
        return PaymentView.of(payment)

    def _note_pending(self, payment_id: PaymentId, result: GatewayResult) -> PaymentView:
        """The usual answer (still pending): only the reference and the next action
        change, as one atomic change of its own."""
        payment = self._replies.note_reply(
            payment_id, external_ref=result.external_ref, next_action=result.next_action
        )
        assert payment is not None
        return PaymentView.of(payment)


class GetPayment:
    """The latest payment attempt of the caller's order."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, customer_id: CustomerId, order_id: OrderId) -> PaymentView:
        with self._uow.read_only() as uow:
            order = uow.orders.get(order_id, customer_id=customer_id)
            payment = uow.payments.latest_for(order_id) if order else None
        if payment is None:
            raise OrderNotFound()
        return PaymentView.of(payment)


class GetPaymentAttempt:
    """One payment attempt by its id, whoever's it is: for callers that hold a proof of
    it instead of a session (the card sandbox's signed 3-D Secure challenge)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, payment_id: PaymentId) -> PaymentView:
        with self._uow.read_only() as uow:
            payment = uow.payments.get(payment_id)
        if payment is None:
            raise OrderNotFound()
        return PaymentView.of(payment)


class ConfirmPayment:
    """Complete the latest payment (card token, or ask the provider for the status).

    The order and payment rows stay locked while the provider answers, so of two
    racing confirms the first wins and the other sees 409/5001. A payable order whose
    latest attempt already failed or was canceled answers 409/5011 (start a new one).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, gateways: PaymentGateways):
        self._uow, self._clock, self._gateways = uow, clock, gateways

    def __call__(
        self, *, customer_id: CustomerId, order_id: OrderId, params: Mapping[str, Any]
    ) -> PaymentView:
        declined: PaymentDeclined | None = None
        with self._uow as uow:
            found = uow.orders.lock_with_latest_payment(order_id, customer_id=customer_id)
            if found is None:
                raise OrderNotFound()
            order, payment = found
            if payment is None or not order.is_payable:
                raise OrderNotPayable(details={"status": order.status.value})
            if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
                # The order can still be paid, only not by this attempt: say so.
                raise NoPaymentAwaitsConfirmation(
                    details={"status": order.status.value, "payment_status": payment.status.value}
                )
            if not payment.is_open:
                raise OrderNotPayable(details={"status": order.status.value})
            gateway = self._gateways.by_provider(payment.provider)
            if not gateway.customer_confirms:
                raise TransferConfirmedOnArrival()
            try:
                result = gateway.confirm(payment, params)
            except PaymentDeclined as error:
                declined = error
                result = GatewayResult(status=PaymentStatus.FAILED)
            _apply(payment, result)
            if not settle(
                uow,
                payment,
                order,
                result.status,
                clock=self._clock,
                source=ChangeSource.CUSTOMER,
                order_failed=result.order_failed,
            ):
                uow.payments.save(payment)
            uow.commit()
        if declined is not None:
            raise declined
        return PaymentView.of(payment)


class ApplyNotification:
    """Apply a provider's signed notification. Repeats and stale statuses change
    nothing; an amount or currency other than the order's is refused."""

    def __init__(self, uow: UnitOfWork, clock: Clock, gateways: PaymentGateways):
        self._uow, self._clock, self._gateways = uow, clock, gateways

    def __call__(
        self, *, provider: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, Any] | None:
        gateway = self._gateways.by_provider(provider)
        note = gateway.parse_notification(body, headers)
        apply_notification(self._uow, provider, note, clock=self._clock, gateways=self._gateways)
        return note.reply


def apply_notification(
    unit_of_work: UnitOfWork,
    provider: str,
    note: Notification,
    *,
    clock: Clock,
    gateways: PaymentGateways,
) -> bool:
    """A provider's word on a payment (a notification, or the answer to a status
    query), applied forward only; an amount other than the payment's is refused.
    False when the payment is not ours or nothing changed."""
    if note.refund is not None:
        # News of one of our refunds; a full refund of a payment that paid nothing (see
        # give_back_stray_money) is no refund of ours and is applied to the payment.
        applied = apply_refund_note(unit_of_work, provider, note.refund, clock=clock)
        if applied is not None:
            return applied
    with unit_of_work as uow:
        found = (
            uow.payments.get(note.payment_id) if note.payment_id is not None else None
        ) or uow.payments.find_by_external_ref(provider, note.external_ref)
        if found is None or found.provider != provider:
            return False  # not ours: acknowledge so the provider stops retrying
        # Lock order before payment, as every other use case does.
        order = uow.orders.get(found.order_id, for_update=True)
        payment = uow.payments.get(found.id, for_update=True)
        assert order is not None and payment is not None
        if note.amount is not None and note.amount != payment.amount:
            raise AmountMismatch(
                details={"expected": str(payment.amount), "reported": str(note.amount)}
            )
        if note.external_ref and not payment.external_ref:
            payment.external_ref = note.external_ref
        if note.status == PaymentStatus.REFUNDED and order.refunds:
            # Money went back by the order's own refunds: each settles by its own news
            # (or the reconciliation job), never by a word on the whole payment.
            return False
        changed = settle(
            uow,
            payment,
            order,
            note.status,
            clock=clock,
            source=ChangeSource.PROVIDER,
            order_failed=note.order_failed,
        )
        give_back_stray_money(
            uow, payment, order, gateways=gateways, clock=clock, source=ChangeSource.PROVIDER
        )
        uow.commit()
    return changed


class ReconcilePayments:
    """Ask the provider about payments still open ``older_than`` after they started
    (their notification may have been lost) and apply the answer exactly like a
    notification. Payments older than ``max_age`` are no longer asked about."""

    def __init__(
        self, uow: UnitOfWork, clock: Clock, gateways: PaymentGateways, stale: StalePayments
    ):
        self._uow, self._clock, self._gateways, self._stale = uow, clock, gateways, stale

    def __call__(
        self,
        *,
        older_than: timedelta,
        max_age: timedelta = timedelta(days=7),
        limit: int = 100,
    ) -> int:
        """Returns how many payments changed."""
        now = self._clock.now()
        changed = 0
        for payment_id in self._stale.open_between(now - max_age, now - older_than, limit):
            with self._uow.read_only() as uow:
                payment = uow.payments.get(payment_id)
            if payment is None or not payment.is_open:
                continue
            try:
                gateway = self._gateways.by_provider(payment.provider)
                if not isinstance(gateway, StatusLookup):
                    continue  # nobody to ask (a bank transfer arrives on its own)
                note = gateway.look_up(payment)
                if note is None or note.status == payment.status:
                    continue
                note = attrs.evolve(note, payment_id=payment.id)
                if apply_notification(
                    self._uow, payment.provider, note, clock=self._clock, gateways=self._gateways
                ):
                    changed += 1
            except ShopError as error:  # provider down, amount refused: next time / staff
                log.warning("reconciliation of payment %s: %s", payment.id, error.code)
        return changed


class MarkTransferPaid:
    """Staff (or a bank statement import) confirm that a transfer arrived.

    With ``amount`` given (statement import) it must equal the order's sum exactly.
    An order already paid answers 409/5001, so a second import pays nothing twice.
    """

    def __init__(self, uow: UnitOfWork, ids: IdSource, clock: Clock, gateways: PaymentGateways):
        self._uow, self._ids, self._clock, self._gateways = uow, ids, clock, gateways

    def __call__(
        self,
        *,
        order_id: OrderId,
        source: ChangeSource = ChangeSource.STAFF,
        amount: Money | None = None,
    ) -> PaymentView:
        with self._uow as uow:
            order = uow.orders.get(order_id, for_update=True)
            if order is None:
                raise OrderNotFound()
            order.ensure_payable()
            if amount is not None and amount != order.total:
                raise AmountMismatch(
                    details={"expected": str(order.total), "received": str(amount)}
                )
            payment = uow.payments.latest_for(order.id, for_update=True)
            if payment is None or payment.method != PaymentMethod.TRANSFER or not payment.is_open:
                gateway = self._gateways.for_method(PaymentMethod.TRANSFER)
                payment = Payment.start(
                    id=PaymentId(self._ids.new_id()),
                    order_id=order.id,
                    customer_id=order.customer_id,
                    method=PaymentMethod.TRANSFER,
                    provider=gateway.provider,
                    amount=order.total,
                    at=self._clock.now(),
                    source=source,
                )
                uow.payments.add(payment)
            settle(uow, payment, order, PaymentStatus.SUCCEEDED, clock=self._clock, source=source)
            uow.commit()
        return PaymentView.of(payment)

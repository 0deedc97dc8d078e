"""Refunds: staff give back part or all of a paid order through the provider that took
the money; providers settle them (at once, by notification, or when asked by the
reconciliation job); staff mark transfer payouts sent.

Never more than was paid, however requests race: every refund is recorded under the
order's row lock (lock order: order, payment, products), checked by the domain there
and by the database's constraints. The provider is asked only after the refund is
committed as ``pending``, with the refund's id as its idempotency key, so a crash never
leaves money returned without a record, and asking again never refunds twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from shop_app.ports.clock import Clock
from shop_app.ports.events import EventType
from shop_app.ports.id_source import IdSource
from shop_app.ports.payment_gateway import (
    PaymentGateways,
    RefundLookup,
    RefundNote,
    RefundRequest,
    RefundResult,
)
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import OrderView, RefundView
from shop_domain.errors import (
    OrderNotFound,
    PaymentMethodNotAvailable,
    PaymentProviderUnavailable,
    RefundExceedsPaid,
    RefundNotFound,
    ShopError,
)
from shop_domain.ids import OrderId, OrderLineId, RefundId
from shop_domain.money import Money
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import ChangeSource, Payment, PaymentStatus
from shop_domain.refund import Refund, RefundLine, RefundStatus

log = logging.getLogger(__name__)


def paying_payment(uow: UnitOfWork, order: Order) -> Payment:
    """The payment that took the order's money, locked (after the order)."""
    payment = uow.payments.get(order.paid_by, for_update=True) if order.paid_by else None
    if payment is None:
        raise RefundExceedsPaid(details={"status": order.status.value, "refundable": "0.00"})
    return payment


def restock(uow: UnitOfWork, order: Order, lines: tuple[RefundLine, ...]) -> None:
    """The units of ``lines`` marked ``restock`` go back on hand."""
    back: dict[OrderLineId, int] = {ln.line_id: ln.quantity for ln in lines if ln.restock}
    if not back:
        return
    by_line = {ln.id: ln for ln in order.lines}
    products = uow.products.lock({by_line[line_id].product_id for line_id in back})
    for line_id, quantity in back.items():
        products[by_line[line_id].product_id].take_back(quantity)
    uow.products.save_stock(products.values())


def request_of(refund: Refund, payment: Payment) -> RefundRequest:
    return RefundRequest(
        refund_id=refund.id,
        payment=payment,
        amount=refund.amount,
        reason=refund.reason,
        external_ref=refund.external_ref,
    )


def open_refund(
    uow: UnitOfWork,
    order: Order,
    payment: Payment,
    refund: Refund,
    *,
    clock: Clock,
) -> None:
    """Record a new pending refund on a locked order (the domain checks it), restock
    its units and record ``refund.created``. The caller writes the refund (``add``) and
    the order once it has settled what it can settle at once."""
    order.open_refund(refund)
    restock(uow, order, refund.lines)
    uow.events.record(
        EventType.REFUND_CREATED, order_id=order.id, subject=RefundView.of(refund), at=clock.now()
    )


def settle_refund(
    uow: UnitOfWork,
    order: Order,
    payment: Payment | None,
    refund_id: RefundId,
    result: RefundResult,
    *,
    clock: Clock,
    source: ChangeSource = ChangeSource.PROVIDER,
    new: bool = False,
) -> bool:
    """Apply a provider's word on a refund of a locked order (and its locked payment):
    forward only, once. A pending word only notes the provider's reference. Records
    ``refund.succeeded`` / ``refund.failed`` (and ``order.returned`` when refunds reach
    the order's sum). False when nothing changed. A ``new`` refund (not yet added) and
    its order are left for the caller to write."""
    refund = order.refund(refund_id)
    if refund is None or not refund.is_pending:
        return False
    now = clock.now()
    if result.status == RefundStatus.PENDING:
        if result.external_ref and result.external_ref != refund.external_ref:
            refund.external_ref = result.external_ref
            if not new:
                uow.refunds.save(refund, order)
            return True
        return False
    was = order.status
    order.settle_refund(refund_id, result.status, at=now, external_ref=result.external_ref)
    if result.status == RefundStatus.SUCCEEDED and payment is not None:
        target = (
            PaymentStatus.REFUNDED
            if order.refunded >= payment.amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        if payment.can_move_to(target):
            payment.move_to(target, at=now, source=source, note=f"refund {refund.id}")
            uow.payments.save(payment)
    if not new:
        uow.refunds.save(refund, order)
        uow.orders.save(order)
    kind = (
        EventType.REFUND_SUCCEEDED
        if result.status == RefundStatus.SUCCEEDED
        else EventType.REFUND_FAILED
    )
    uow.events.record(kind, order_id=order.id, subject=RefundView.of(refund), at=now)
    if was != order.status and order.status == OrderStatus.RETURNED:
        uow.events.record(
            EventType.ORDER_RETURNED, order_id=order.id, subject=OrderView.of(order), at=now
        )
    return True


def apply_refund_result(
    unit_of_work: UnitOfWork,
    refund_id: RefundId,
    result: RefundResult,
    *,
    clock: Clock,
    source: ChangeSource = ChangeSource.PROVIDER,
) -> tuple[bool, RefundView | None]:
    """``settle_refund`` in a unit of work of its own; the refund as it is afterwards."""
    with unit_of_work as uow:
        order_id = uow.refunds.order_of(refund_id)
        order = uow.orders.get(order_id, for_update=True) if order_id else None
        if order is None:
            return False, None
        refund = order.refund(refund_id)
        assert refund is not None
        payment = (
            uow.payments.get(refund.payment_id, for_update=True) if refund.payment_id else None
        )
        changed = settle_refund(uow, order, payment, refund_id, result, clock=clock, source=source)
        view = RefundView.of(refund)
        if changed:
            uow.commit()
    return changed, view


def ask_provider(
    unit_of_work: UnitOfWork,
    gateways: PaymentGateways,
    request: RefundRequest,
    *,
    clock: Clock,
) -> RefundView:
    """Ask the provider for a committed pending refund and apply its answer. A provider
    that cannot be reached raises PaymentProviderUnavailable and the refund stays
    pending: nothing is counted as refunded, and the reconciliation job asks again
    with the same idempotency key."""
    gateway = gateways.by_provider(request.payment.provider)
    result = gateway.refund_money(request)
    _, view = apply_refund_result(unit_of_work, request.refund_id, result, clock=clock)
    assert view is not None
    return view


class RefundOrder:
    """Staff refund lines (with or without restocking), the delivery, or a goodwill
    amount of a paid order, through the provider that took the money.

    A provider that answers locally (the card sandbox, a transfer payout) answers in
    the same unit of work; any other is asked after the pending refund is committed.
    """

    def __init__(self, uow: UnitOfWork, ids: IdSource, clock: Clock, gateways: PaymentGateways):
        self._uow, self._ids, self._clock, self._gateways = uow, ids, clock, gateways

    def __call__(
        self,
        *,
        order_id: OrderId,
        lines: list[tuple[OrderLineId, int, bool]],
        delivery: bool = False,
        amount: Decimal | None = None,
        reason: str = "",
    ) -> RefundView:
        refund_lines = tuple(RefundLine(line_id=i, quantity=q, restock=r) for i, q, r in lines)
        with self._uow as uow:
            order = uow.orders.get(order_id, for_update=True)
            if order is None:
                raise OrderNotFound()
            currency = order.total.currency
            asked = order.refund_amount(
                refund_lines,
                delivery=delivery,
                amount=Money(amount, currency) if amount is not None else None,
            )
            if order.status != OrderStatus.PAID:
                raise RefundExceedsPaid(
                    details={"status": order.status.value, "refundable": "0.00"}
                )
            payment = paying_payment(uow, order)
            gateway = self._gateways.by_provider(payment.provider)
            refund = Refund(
                id=RefundId(self._ids.new_id()),
                order_id=order.id,
                payment_id=payment.id,
                provider=payment.provider,
                amount=asked,
                lines=refund_lines,
                delivery=delivery,
                reason=reason,
                created_at=self._clock.now(),
            )
            open_refund(uow, order, payment, refund, clock=self._clock)
            request = request_of(refund, payment)
            if gateway.refunds_locally:
                result = gateway.refund_money(request)
                settle_refund(
                    uow, order, payment, refund.id, result, clock=self._clock,
                    source=ChangeSource.STAFF, new=True,
                )  # fmt: skip
            uow.refunds.add(refund, order)
            uow.orders.save(order)
            uow.commit()
        if gateway.refunds_locally:
            return RefundView.of(refund)
        return ask_provider(self._uow, self._gateways, request, clock=self._clock)


class ListRefunds:
    """Every refund of an order (staff), oldest first."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, order_id: OrderId) -> list[RefundView]:
        with self._uow.read_only() as uow:
            order = uow.orders.get(order_id)
        if order is None:
            raise OrderNotFound()
        return [RefundView.of(r) for r in order.refunds]


class MarkRefundSent:
    """Staff sent a transfer refund's payout: the refund succeeds. Marking it again
    changes nothing; a refund of a provider that pays back by itself (one that calls
    out, or answers at once) answers 400/5003."""

    def __init__(self, uow: UnitOfWork, clock: Clock, gateways: PaymentGateways):
        self._uow, self._clock, self._gateways = uow, clock, gateways

    def __call__(self, *, refund_id: RefundId, reference: str = "") -> RefundView:
        with self._uow as uow:
            order_id = uow.refunds.order_of(refund_id)
            order = uow.orders.get(order_id, for_update=True) if order_id else None
            refund = order.refund(refund_id) if order else None
            if order is None or refund is None:
                raise RefundNotFound()
            gateway = self._gateways.by_provider(refund.provider)
            if not gateway.refunds_locally or gateway.customer_confirms:
                raise PaymentMethodNotAvailable(
                    "only a bank transfer refund is a payout staff send",
                    details={"provider": refund.provider},
                )
            payment = (
                uow.payments.get(refund.payment_id, for_update=True) if refund.payment_id else None
            )
            result = RefundResult(status=RefundStatus.SUCCEEDED, external_ref=reference)
            if settle_refund(
                uow, order, payment, refund_id, result, clock=self._clock,
                source=ChangeSource.STAFF,
            ):  # fmt: skip
                uow.commit()
            return RefundView.of(refund)


def apply_refund_note(
    unit_of_work: UnitOfWork, provider: str, note: RefundNote, *, clock: Clock
) -> bool | None:
    """A provider's notification about one of our refunds, applied once, forward only.
    None when the refund is not one of ours (the caller may know it otherwise)."""
    refund_id = note.refund_id
    with unit_of_work.read_only() as uow:
        if refund_id is None or uow.refunds.order_of(refund_id) is None:
            refund_id = uow.refunds.find_by_external_ref(provider, note.external_ref)
        order_id = uow.refunds.order_of(refund_id) if refund_id is not None else None
        order = uow.orders.get(order_id) if order_id is not None else None
        refund = order.refund(refund_id) if order is not None and refund_id else None
    if refund is None:
        return None
    if refund.provider != provider:  # signed by one provider, about another's refund
        log.warning("refund %s notified by %s, made by %s", refund.id, provider, refund.provider)
        return False
    changed, _ = apply_refund_result(
        unit_of_work,
        refund.id,
        RefundResult(status=note.status, external_ref=note.external_ref),
        clock=clock,
    )
    return changed


class ReconcileRefunds:
    """Ask providers about refunds still pending ``older_than`` after they were made
    (a lost notification, or a provider that was down when first asked: asked again
    under the same idempotency key) and apply the answer exactly like a notification.
    Transfer payouts wait for staff; refunds older than ``max_age`` are left to them."""

    def __init__(self, uow: UnitOfWork, clock: Clock, gateways: PaymentGateways):
        self._uow, self._clock, self._gateways = uow, clock, gateways

    def __call__(
        self, *, older_than: timedelta, max_age: timedelta = timedelta(days=7), limit: int = 100
    ) -> int:
        """Returns how many refunds changed."""
        now = self._clock.now()
        changed = 0
        with self._uow.read_only() as uow:
            pending = uow.refunds.pending_between(now - max_age, now - older_than, limit)
        for refund_id in pending:
            with self._uow.read_only() as uow:
                order_id = uow.refunds.order_of(refund_id)
                order = uow.orders.get(order_id) if order_id else None
                refund = order.refund(refund_id) if order else None
                payment = (
                    uow.payments.get(refund.payment_id) if refund and refund.payment_id else None
                )
            if refund is None or payment is None or not refund.is_pending:
                continue
            try:
                gateway = self._gateways.by_provider(refund.provider)
                if not isinstance(gateway, RefundLookup):
                    continue  # nobody to ask (a payout staff send)
                result = gateway.look_up_refund(request_of(refund, payment))
                done, _ = apply_refund_result(self._uow, refund_id, result, clock=self._clock)
                changed += int(done)
            except (PaymentProviderUnavailable, ShopError) as error:
                log.warning("reconciliation of refund %s: %s", refund_id, error.code)
        return changed

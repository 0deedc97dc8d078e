"""Orders: placing one from the bucket, reading them, canceling one."""

from __future__ import annotations

import logging

from shop_app.ports.clock import Clock
from shop_app.ports.delivery import AddressRules
from shop_app.ports.events import EventLog, EventType, EventView
from shop_app.ports.id_source import IdSource
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.payment_gateway import PaymentGateways, RefundRequest
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import OrderView
from shop_app.settings import ShopSettings
from shop_app.use_cases.delivery import DeliveryChoice, choose_delivery
from shop_app.use_cases.refunds import (
    ask_provider,
    open_refund,
    paying_payment,
    request_of,
    restock,
    settle_refund,
)
from shop_domain.errors import BucketEmpty, OrderNotFound, PaymentProviderUnavailable
from shop_domain.ids import CustomerId, OrderId, OrderLineId, RefundId
from shop_domain.order import Order, OrderLine, OrderStatus
from shop_domain.payment import ChangeSource, PaymentStatus
from shop_domain.refund import Refund

log = logging.getLogger(__name__)


def return_stock(uow: UnitOfWork, order: Order) -> None:
    """The order's units go back on hand (a returned or failed order)."""
    products = uow.products.lock({line.product_id for line in order.lines})
    for line in order.lines:
        products[line.product_id].take_back(line.quantity)
    uow.products.save_stock(products.values())


class PlaceOrder:
    """Turn the caller's bucket into an order: held stock becomes sold, lapsed lines are
    re-checked against what is available, prices are frozen, the bucket is emptied."""

    def __init__(
        self,
        uow: UnitOfWork,
        ids: IdSource,
        clock: Clock,
        gateways: PaymentGateways,
        settings: ShopSettings,
        address_rules: AddressRules | None = None,
    ):
        self._uow, self._ids, self._clock = uow, ids, clock
        self._gateways, self._settings = gateways, settings
        self._address_rules = address_rules

    def __call__(
        self,
        *,
        customer_id: CustomerId,
        payment: str,
        delivery: DeliveryChoice | None = None,
        refund_account: str = "",
    ) -> OrderView:
        """``delivery`` None: an order without delivery, exactly as in Part 1.
        ``refund_account``: the customer's IBAN for a transfer refund (checked by the
        caller), or empty."""
        method = self._gateways.method(payment)
        with self._uow as uow:
            lines, products = uow.buckets.lock_with_products(customer_id)
            if not lines:
                raise BucketEmpty()
            now = self._clock.now()
            order_lines = []
            for line in lines:
                product = products[line.product_id]
                product.ensure_sellable()
                if line.holds(now):
                    product.sell_reserved(line.reserved)
                    price = line.unit_price
                else:
                    # The hold lapsed: release whatever it still counted, sell afresh.
                    product.release(line.reserved)
                    product.sell(line.quantity)
                    price = product.price
                order_lines.append(
                    OrderLine(
                        id=OrderLineId(self._ids.new_id()),
                        product_id=product.id,
                        product_name=product.name,
                        quantity=line.quantity,
                        unit_price=price,
                    )
                )
            frozen = None
            if delivery is not None:
                frozen = choose_delivery(
                    uow,
                    self._address_rules,
                    choice=delivery,
                    customer_id=customer_id,
                    items_total=Order.items_total_of(order_lines, self._settings.currency),
                )
            order = Order.place(
                id=OrderId(self._ids.new_id()),
                customer_id=customer_id,
                lines=tuple(order_lines),
                payment_method=method,
                currency=self._settings.currency,
                at=now,
                delivery=frozen,
            )
            order.refund_account = refund_account
            uow.orders.add(order)
            uow.buckets.remove([line.id for line in lines])
            uow.products.save_stock(products.values())
            view = OrderView.of(order)
            uow.events.record(EventType.ORDER_CREATED, order_id=order.id, subject=view, at=now)
            uow.commit()
        return view


class ListOrders:
    """A page of orders, newest first: the caller's, or (staff) everybody's."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(
        self,
        *,
        page: PageRequest,
        customer_id: CustomerId | None,
        status: OrderStatus | None = None,
        shipped: bool | None = None,
    ) -> Page[OrderView]:
        with self._uow.read_only() as uow:
            found = uow.orders.list(page, customer_id=customer_id, status=status, shipped=shipped)
        return Page([OrderView.of(o) for o in found.items], found.count)


class GetOrder:
    """One order with its lines; another customer's order is not found."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, order_id: OrderId, customer_id: CustomerId | None) -> OrderView:
        with self._uow.read_only() as uow:
            order = uow.orders.get(order_id, customer_id=customer_id)
        if order is None:
            raise OrderNotFound()
        return OrderView.of(order)


class CancelOrder:
    """Return an order (new, to_pay or paid): its stock goes back and an open payment is
    canceled. A paid order is refunded the rest (what refunds do not already hold) by a
    refund of its own that restocks the units not yet returned; like every refund it is
    committed as pending before a remote provider is asked. A provider that cannot be
    reached then leaves it pending (the reconciliation job asks again): the order is
    returned all the same."""

    def __init__(self, uow: UnitOfWork, clock: Clock, gateways: PaymentGateways, ids: IdSource):
        self._uow, self._clock, self._gateways, self._ids = uow, clock, gateways, ids

    def __call__(
        self,
        *,
        order_id: OrderId,
        customer_id: CustomerId | None,
        source: ChangeSource = ChangeSource.CUSTOMER,
    ) -> None:
        ask: RefundRequest | None = None
        with self._uow as uow:
            order = uow.orders.get(order_id, customer_id=customer_id, for_update=True)
            if order is None:
                raise OrderNotFound()
            if order.status == OrderStatus.PAID and order.paid_by is not None:
                ask = self._refund_the_rest(uow, order, source)
            else:
                order.cancel()
                payment = uow.payments.latest_for(order.id, for_update=True)
                return_stock(uow, order)
                if payment is not None and payment.is_open:
                    payment.move_to(PaymentStatus.CANCELED, at=self._clock.now(), source=source)
                    # The writes last, together (the stock's lock is a read they would precede).
                    uow.payments.save(payment)
            uow.orders.save(order)
            uow.events.record(
                EventType.ORDER_RETURNED,
                order_id=order.id,
                subject=OrderView.of(order),
                at=self._clock.now(),
            )
            uow.commit()
        if ask is not None:
            try:
                ask_provider(self._uow, self._gateways, ask, clock=self._clock)
            except PaymentProviderUnavailable:
                log.warning("refund %s of canceled order %s left pending", ask.refund_id, order_id)

    def _refund_the_rest(
        self, uow: UnitOfWork, order: Order, source: ChangeSource
    ) -> RefundRequest | None:
        """Refund what is left of a locked paid order and cancel it; the request to send
        when its provider is remote."""
        payment = paying_payment(uow, order)
        lines, rest = order.unreturned_lines(), order.refundable
        if rest.amount <= 0:  # refunds already hold it all: only the goods come back
            restock(uow, order, lines)
            order.cancel()
            return None
        gateway = self._gateways.by_provider(payment.provider)
        refund = Refund(
            id=RefundId(self._ids.new_id()),
            order_id=order.id,
            payment_id=payment.id,
            provider=payment.provider,
            amount=rest,
            lines=lines,
            delivery=not any(r.delivery for r in order.refunds if r.counts),
            reason="order canceled",
            created_at=self._clock.now(),
        )
        open_refund(uow, order, payment, refund, clock=self._clock)
        order.cancel()
        request = request_of(refund, payment)
        if gateway.refunds_locally:
            result = gateway.refund_money(request)
            settle_refund(
                uow, order, payment, refund.id, result, clock=self._clock, source=source, new=True
            )
        uow.refunds.add(refund, order)
        return None if gateway.refunds_locally else request


class ListEvents:
    """A page of the event log (staff), oldest first, by type and/or order."""

    def __init__(self, log: EventLog):
        self._log = log

    def __call__(
        self, *, page: PageRequest, type: str | None = None, order_id: OrderId | None = None
    ) -> Page[EventView]:
        return self._log.page(page, type=type, order_id=order_id)

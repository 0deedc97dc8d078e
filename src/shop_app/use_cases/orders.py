"""Orders: placing one from the bucket, reading them, canceling one."""

from __future__ import annotations

from shop_app.ports.clock import Clock
from shop_app.ports.delivery import AddressRules
from shop_app.ports.events import EventLog, EventType, EventView
from shop_app.ports.id_source import IdSource
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.payment_gateway import PaymentGateways
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import OrderView
from shop_app.settings import ShopSettings
from shop_app.use_cases.delivery import DeliveryChoice, choose_delivery
from shop_domain.errors import BucketEmpty, OrderNotFound
from shop_domain.ids import CustomerId, OrderId, OrderLineId
from shop_domain.order import Order, OrderLine, OrderStatus
from shop_domain.payment import ChangeSource, PaymentStatus


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
        self, *, customer_id: CustomerId, payment: str, delivery: DeliveryChoice | None = None
    ) -> OrderView:
        """``delivery`` None: an order without delivery, exactly as in Part 1."""
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
    """Return an order (new, to_pay or paid): its stock goes back, an open payment is
    canceled, and a paid order is refunded through its provider first."""

    def __init__(self, uow: UnitOfWork, clock: Clock, gateways: PaymentGateways):
        self._uow, self._clock, self._gateways = uow, clock, gateways

    def __call__(
        self,
        *,
        order_id: OrderId,
        customer_id: CustomerId | None,
        source: ChangeSource = ChangeSource.CUSTOMER,
    ) -> None:
        with self._uow as uow:
            order = uow.orders.get(order_id, customer_id=customer_id, for_update=True)
            if order is None:
                raise OrderNotFound()
            previous = order.cancel()
            payment = uow.payments.latest_for(order.id, for_update=True)
            if previous == OrderStatus.PAID and order.paid_by is not None:
                if payment is None or payment.id != order.paid_by:
                    payment = uow.payments.get(order.paid_by, for_update=True)
                assert payment is not None
                # Refund while the order row is locked: a second cancel waits, then
                # finds the order returned and refunds nothing.
                result = self._gateways.by_provider(payment.provider).refund(payment)
                if result.status == PaymentStatus.REFUNDED:
                    payment.move_to(PaymentStatus.REFUNDED, at=self._clock.now(), source=source)
                changed = payment
            elif payment is not None and payment.is_open:
                payment.move_to(PaymentStatus.CANCELED, at=self._clock.now(), source=source)
                changed = payment
            else:
                changed = None
            return_stock(uow, order)
            # The writes last, together (the stock's lock is a read they would precede).
            if changed is not None:
                uow.payments.save(changed)
            uow.orders.save(order)
            # refund.* events of a paid order's refund come with the refunds issue.
            uow.events.record(
                EventType.ORDER_RETURNED,
                order_id=order.id,
                subject=OrderView.of(order),
                at=self._clock.now(),
            )
            uow.commit()


class ListEvents:
    """A page of the event log (staff), oldest first, by type and/or order."""

    def __init__(self, log: EventLog):
        self._log = log

    def __call__(
        self, *, page: PageRequest, type: str | None = None, order_id: OrderId | None = None
    ) -> Page[EventView]:
        return self._log.page(page, type=type, order_id=order_id)

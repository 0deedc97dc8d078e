"""A property of refunds: for any sequence of refunds (lines, goodwill, delivery),
provider answers (at once, later, failure, down) and cancels, refunds that have not
failed never exceed what was paid, returned units never exceed units bought, and
stock comes back by exactly the units restocked."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from shop_domain.errors import (
    OrderNotCancelable,
    PaymentProviderUnavailable,
    RefundExceedsPaid,
    ReturnExceedsBought,
    ValidationFailed,
)
from shop_domain.ids import OrderId, ProductId
from shop_domain.order import OrderStatus
from shop_domain.payment import PaymentStatus
from shop_domain.refund import RefundStatus
from tests.unit.shop import build_shop


class RefundMachine(RuleBasedStateMachine):
    @initialize(quantities=st.lists(st.integers(1, 4), min_size=1, max_size=3))
    def open_shop(self, quantities: list[int]) -> None:
        self.shop = build_shop()
        self.stock0 = 20
        self.products = [
            self.shop.product(stock=self.stock0, price=f"{3 + i}.{i}5").id
            for i in range(len(quantities))
        ]
        self.restocked: Counter[ProductId] = Counter()
        self.orders: list[OrderId] = []
        self.bought: Counter[ProductId] = Counter()
        for _ in range(2):
            who = self.shop.customer()
            for pid, qty in zip(self.products, quantities, strict=True):
                self.shop.use.add_to_bucket()(customer_id=who.id, product_id=pid, quantity=qty)
                self.bought[pid] += qty
            order = self.shop.use.place_order()(customer_id=who.id, payment="payu")
            self.shop.use.start_payment()(customer_id=who.id, order_id=order.id)
            self.shop.use.confirm_payment()(customer_id=who.id, order_id=order.id, params={})
            self.orders.append(order.id)

    def _order(self, i: int):  # type: ignore[no-untyped-def]
        return self.shop.store.tables.orders[self.orders[i % len(self.orders)]]

    def _refund(self, order_id: OrderId, **kw: object) -> None:
        try:
            self.shop.use.refund_order()(order_id=order_id, **kw)  # type: ignore[arg-type]
        except (RefundExceedsPaid, ReturnExceedsBought, ValidationFailed):
            return  # refused: nothing changed (checked by the invariants)
        except PaymentProviderUnavailable:
            pass  # recorded as pending all the same, its units restocked
        lines = kw.get("lines") or []
        order = self.shop.store.tables.orders[order_id]
        by_line = {ln.id: ln.product_id for ln in order.lines}
        for line_id, quantity, restock in lines:  # type: ignore[attr-defined]
            if restock:
                self.restocked[by_line[line_id]] += quantity

    @rule(
        o=st.integers(0, 1),
        n=st.integers(0, 2),
        quantity=st.integers(1, 5),
        restock=st.booleans(),
        delivery=st.booleans(),
    )
    def refund_a_line(self, o: int, n: int, quantity: int, restock: bool, delivery: bool) -> None:
        order = self._order(o)
        line = order.lines[n % len(order.lines)]
        self._refund(order.id, lines=[(line.id, quantity, restock)], delivery=delivery)

    @rule(o=st.integers(0, 1), cents=st.integers(1, 4000))
    def refund_goodwill(self, o: int, cents: int) -> None:
        self._refund(self._order(o).id, lines=[], amount=Decimal(cents) / 100)

    @rule(status=st.sampled_from(list(RefundStatus)), down=st.booleans())
    def the_provider_changes_its_mood(self, status: RefundStatus, down: bool) -> None:
        self.shop.payu.refund_status = status
        self.shop.payu.down = down

    @rule(
        o=st.integers(0, 1), status=st.sampled_from([RefundStatus.SUCCEEDED, RefundStatus.FAILED])
    )
    def the_provider_notifies_a_pending_refund(self, o: int, status: RefundStatus) -> None:
        order = self._order(o)
        pending = [r for r in order.refunds if r.is_pending]
        if not pending:
            return
        body, headers = self.shop.payu.notification(
            order.paid_by, status.value, refund_id=str(pending[0].id)
        )
        self.shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers)

    @rule(o=st.integers(0, 1))
    def cancel(self, o: int) -> None:
        order = self._order(o)
        unreturned = [(ln.product_id, ln.quantity - order.returned(ln.id)) for ln in order.lines]
        try:
            self.shop.use.cancel_order()(order_id=order.id, customer_id=None)
        except OrderNotCancelable:
            return
        for pid, left in unreturned:
            self.restocked[pid] += left

    @rule(minutes=st.integers(0, 30))
    def reconciliation(self, minutes: int) -> None:
        self.shop.clock.advance(minutes=minutes)
        self.shop.use.reconcile_refunds()(older_than=timedelta(minutes=15))

    @invariant()
    def refunds_never_exceed_what_was_paid(self) -> None:
        for order_id in self.orders:
            order = self.shop.store.tables.orders[order_id]
            held = sum((r.amount.amount for r in order.refunds if r.counts), Decimal(0))
            done = sum(
                (r.amount.amount for r in order.refunds if r.status == RefundStatus.SUCCEEDED),
                Decimal(0),
            )
            assert done <= held <= order.total.amount
            assert order.refunded.amount == done
            payment = self.shop.store.tables.payments[order.paid_by]
            if done == order.total.amount:
                assert payment.status == PaymentStatus.REFUNDED
                assert order.status == OrderStatus.RETURNED
            elif done > 0:
                assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
            else:
                assert payment.status == PaymentStatus.SUCCEEDED

    @invariant()
    def returned_units_never_exceed_units_bought(self) -> None:
        for order_id in self.orders:
            order = self.shop.store.tables.orders[order_id]
            for line in order.lines:
                assert 0 <= order.returned(line.id) <= line.quantity

    @invariant()
    def stock_comes_back_by_exactly_the_restocked_units(self) -> None:
        for pid in self.products:
            on_hand = self.shop.store.tables.products[pid].stock
            assert on_hand == self.stock0 - self.bought[pid] + self.restocked[pid]


TestRefundMachine = RefundMachine.TestCase
TestRefundMachine.settings = settings(
    max_examples=150,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

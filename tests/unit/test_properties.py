"""Invariants under random use: stock is conserved, never negative, an order is paid at
most once; money sums are exact; status machines never leave returned or pay twice."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from shop_app.settings import ShopSettings
from shop_app.use_cases.guest_bucket import MergeGuestBucket
from shop_domain.errors import (
    BucketEmpty,
    BucketLineNotFound,
    GuestBucketLimitReached,
    NotEnoughStock,
    OrderNotCancelable,
    OrderNotPayable,
    PaymentDeclined,
    ProductAlreadyInBucket,
    ProductNotAvailable,
    ValidationFailed,
)
from shop_domain.guest_bucket import MergeStrategy
from shop_domain.ids import GuestBucketId, OrderId, PaymentId
from shop_domain.money import MAX_AMOUNT, Money
from shop_domain.order import Order, OrderLine, OrderStatus, PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus
from tests.unit.shop import build_shop

SOLD = {OrderStatus.NEW, OrderStatus.TO_PAY, OrderStatus.PAID}


class ShopMachine(RuleBasedStateMachine):
    """Several customers and products; random bucket, order and payment actions."""

    @initialize(
        stocks=st.lists(st.integers(0, 6), min_size=2, max_size=3),
        customers=st.integers(2, 3),
    )
    def open_shop(self, stocks: list[int], customers: int) -> None:
        self.shop = build_shop(reservation_minutes=30)
        self.products = [self.shop.product(stock=s, price="3.33").id for s in stocks]
        self.received = dict(zip(self.products, stocks, strict=True))
        self.customers = [self.shop.customer().id for _ in range(customers)]
        self.orders: list[tuple[object, OrderId]] = []
        self.guests = [GuestBucketId(uuid.uuid4()) for _ in range(2)]

    # --- helpers ----------------------------------------------------------
    def _customer(self, i: int):  # type: ignore[no-untyped-def]
        return self.customers[i % len(self.customers)]

    def _lines_of(self, customer):  # type: ignore[no-untyped-def]
        return [ln for ln in self.shop.store.tables.lines.values() if ln.customer_id == customer]

    def _order(self, i: int) -> tuple[object, OrderId] | None:
        return self.orders[i % len(self.orders)] if self.orders else None

    # --- rules ------------------------------------------------------------
    @rule(c=st.integers(0, 9), p=st.integers(0, 9), qty=st.integers(1, 5))
    def add(self, c: int, p: int, qty: int) -> None:
        product = self.products[p % len(self.products)]
        try:
            self.shop.use.add_to_bucket()(
                customer_id=self._customer(c), product_id=product, quantity=qty
            )
        except (ProductAlreadyInBucket, ProductNotAvailable, NotEnoughStock):
            pass

    @rule(c=st.integers(0, 9), n=st.integers(0, 9), qty=st.integers(0, 6))
    def change(self, c: int, n: int, qty: int) -> None:
        customer = self._customer(c)
        lines = self._lines_of(customer)
        if not lines:
            return
        try:
            self.shop.use.change_bucket_quantity()(
                customer_id=customer, line_id=lines[n % len(lines)].id, quantity=qty
            )
        except (NotEnoughStock, ProductNotAvailable):
            pass

    @rule(c=st.integers(0, 9), n=st.integers(0, 9))
    def remove(self, c: int, n: int) -> None:
        customer = self._customer(c)
        lines = self._lines_of(customer)
        if lines:
            self.shop.use.remove_from_bucket()(
                customer_id=customer, line_id=lines[n % len(lines)].id
            )

    @rule(c=st.integers(0, 9))
    def remove_someone_elses_line(self, c: int) -> None:
        lines = self._lines_of(self._customer(c + 1))
        if lines and len(self.customers) > 1:
            with pytest.raises(BucketLineNotFound):
                self.shop.use.remove_from_bucket()(
                    customer_id=self._customer(c), line_id=lines[0].id
                )

    @rule(g=st.integers(0, 9), p=st.integers(0, 9), qty=st.integers(1, 6))
    def guest_add(self, g: int, p: int, qty: int) -> None:
        product = self.products[p % len(self.products)]
        try:
            self.shop.use.add_to_bucket()(
                guest_id=self.guests[g % len(self.guests)], product_id=product, quantity=qty
            )
        except (ProductAlreadyInBucket, ProductNotAvailable, NotEnoughStock):
            pass
        except GuestBucketLimitReached:
            pass

    @rule(g=st.integers(0, 9), c=st.integers(0, 9), strategy=st.sampled_from(MergeStrategy))
    def guest_logs_in(self, g: int, c: int, strategy: MergeStrategy) -> None:
        i = g % len(self.guests)
        merge = MergeGuestBucket(
            self.shop.uow(), self.shop.clock, ShopSettings(bucket_merge=strategy)
        )
        merge(guest_id=self.guests[i], customer_id=self._customer(c))
        assert not [
            ln for ln in self.shop.store.tables.lines.values() if ln.guest_id == self.guests[i]
        ]
        self.guests[i] = GuestBucketId(uuid.uuid4())  # the browser's next session

    @rule(minutes=st.integers(0, 40))
    def time_passes(self, minutes: int) -> None:
        self.shop.clock.advance(minutes=minutes)

    @rule()
    def expire(self) -> None:
        self.shop.use.expire_reservations()()

    @rule(p=st.integers(0, 9), extra=st.integers(0, 4))
    def staff_restock(self, p: int, extra: int) -> None:
        product = self.products[p % len(self.products)]
        stock, _ = self.shop.stock_of(product)
        self.shop.use.update_product()(product_id=product, stock=stock + extra)
        self.received[product] += extra

    @rule(c=st.integers(0, 9), method=st.sampled_from(["card", "payu", "transfer"]))
    def place_order(self, c: int, method: str) -> None:
        customer = self._customer(c)
        try:
            order = self.shop.use.place_order()(customer_id=customer, payment=method)
        except (BucketEmpty, NotEnoughStock, ProductNotAvailable):
            return
        self.orders.append((customer, order.id))

    @rule(o=st.integers(0, 99))
    def cancel(self, o: int) -> None:
        if (found := self._order(o)) is None:
            return
        customer, order_id = found
        try:
            self.shop.use.cancel_order()(order_id=order_id, customer_id=customer)
        except OrderNotCancelable:
            pass

    @rule(o=st.integers(0, 99), decline=st.booleans())
    def pay_by_card(self, o: int, decline: bool) -> None:
        if (found := self._order(o)) is None:
            return
        customer, order_id = found
        try:
            self.shop.use.start_payment()(customer_id=customer, order_id=order_id, method="card")
            if decline:
                self.shop.card.decline_next()
            self.shop.use.confirm_payment()(
                customer_id=customer, order_id=order_id, params={"card_token": "t"}
            )
        except (OrderNotPayable, PaymentDeclined):
            pass

    @rule(o=st.integers(0, 99), status=st.sampled_from(["succeeded", "pending", "canceled"]))
    def payu_notifies(self, o: int, status: str) -> None:
        if (found := self._order(o)) is None:
            return
        customer, order_id = found
        try:
            payment = self.shop.use.start_payment()(
                customer_id=customer, order_id=order_id, method="payu"
            )
        except OrderNotPayable:
            payments = [
                p for p in self.shop.store.tables.payments.values() if p.order_id == order_id
            ]
            if not payments:
                return
            payment = payments[-1]  # type: ignore[assignment]
        body, headers = self.shop.payu.notification(
            payment.id, status, order_failed=status == "canceled"
        )
        for _ in range(2):  # every notification arrives twice
            self.shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers)

    @rule(o=st.integers(0, 99))
    def staff_marks_transfer_paid(self, o: int) -> None:
        if (found := self._order(o)) is None:
            return
        try:
            self.shop.use.mark_transfer_paid()(order_id=found[1])
        except OrderNotPayable:
            pass

    # --- invariants -------------------------------------------------------
    @invariant()
    def stock_is_conserved_and_never_negative(self) -> None:
        if not hasattr(self, "shop"):
            return
        t = self.shop.store.tables
        sold: Counter[object] = Counter()
        for order in t.orders.values():
            if order.status in SOLD:
                for line in order.lines:
                    sold[line.product_id] += line.quantity
        held: Counter[object] = Counter()
        for line in t.lines.values():
            held[line.product_id] += line.reserved
        for pid in self.products:
            p = t.products[pid]
            assert p.available >= 0 and p.reserved >= 0 and p.stock >= 0
            assert p.available + p.reserved + sold[pid] == self.received[pid]
            assert p.reserved == held[pid], "reserved must equal what bucket lines hold"

    @invariant()
    def no_guest_bucket_holds_more_than_the_limit(self) -> None:
        if not hasattr(self, "shop"):
            return
        units: Counter[object] = Counter()
        for line in self.shop.store.tables.lines.values():
            if line.guest_id is not None:
                units[line.guest_id] += line.quantity
        assert all(n <= ShopSettings().guest_max_units for n in units.values()), units

    @invariant()
    def no_order_is_paid_twice(self) -> None:
        """Money held (a succeeded payment) belongs to exactly one paid order; money that
        arrived for an order already paid or gone was given back (refunded)."""
        if not hasattr(self, "shop"):
            return
        t = self.shop.store.tables
        held = Counter(
            p.order_id for p in t.payments.values() if p.status == PaymentStatus.SUCCEEDED
        )
        for order_id, count in held.items():
            assert count == 1, f"order {order_id} holds {count} successful payments"
            order = t.orders[order_id]
            assert t.payments[order.paid_by].status == PaymentStatus.SUCCEEDED
            if order.status != OrderStatus.PAID:
                # Returned, its money on the way back: refunds (a transfer payout still
                # to be sent, say) hold all of it.
                assert order.status == OrderStatus.RETURNED
                assert order.refund_held == order.total
        for order in t.orders.values():
            if order.status == OrderStatus.PAID:
                assert held[order.id] == 1


TestShopMachine = ShopMachine.TestCase
TestShopMachine.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- money ---------------------------------------------------------------------
cents = st.integers(min_value=0, max_value=10**9)


@given(prices=st.lists(st.tuples(cents, st.integers(1, 1000)), min_size=1, max_size=30))
def test_order_sum_is_exact_for_any_prices_and_quantities(prices: list[tuple[int, int]]) -> None:
    import uuid

    lines = tuple(
        OrderLine(
            id=uuid.uuid4(),  # type: ignore[arg-type]
            product_id=uuid.uuid4(),  # type: ignore[arg-type]
            product_name="p",
            quantity=qty,
            unit_price=Money.from_minor(minor, "PLN"),
        )
        for minor, qty in prices
    )

    def place() -> Order:
        return Order.place(
            id=OrderId(uuid.uuid4()),
            customer_id=uuid.uuid4(),  # type: ignore[arg-type]
            lines=lines,
            payment_method=PaymentMethod.CARD,
            currency="PLN",
            at=build_shop().clock.now(),
        )

    expected = sum(Decimal(m) / 100 * q for m, q in prices)
    if expected > MAX_AMOUNT:  # a sum no money column holds is refused, exactly past it
        with pytest.raises(ValidationFailed):
            place()
        return
    order = place()
    assert order.total.minor == sum(minor * qty for minor, qty in prices)
    assert order.total.amount == expected


@given(
    a=st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
    ),
    b=st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
    ),
)
def test_money_addition_is_exact(a: Decimal, b: Decimal) -> None:
    assert (Money(a) + Money(b)).amount == a + b
    assert (Money(a) + Money(b) - Money(b)) == Money(a)


# --- status machines ----------------------------------------------------------------
order_actions = st.lists(st.sampled_from(["await", "pay", "fail", "cancel"]), max_size=12)


@given(actions=order_actions)
def test_an_order_never_leaves_returned_nor_is_paid_twice(actions: list[str]) -> None:
    import uuid

    shop = build_shop()
    order = Order.place(
        id=OrderId(uuid.uuid4()),
        customer_id=uuid.uuid4(),  # type: ignore[arg-type]
        lines=(
            OrderLine(
                id=uuid.uuid4(),  # type: ignore[arg-type]
                product_id=uuid.uuid4(),  # type: ignore[arg-type]
                product_name="p",
                quantity=1,
                unit_price=Money("1"),
            ),
        ),
        payment_method=PaymentMethod.CARD,
        currency="PLN",
        at=shop.clock.now(),
    )
    times_paid = 0
    for action in actions:
        before = order.status
        try:
            if action == "await":
                order.await_payment(PaymentMethod.CARD)
            elif action == "pay":
                order.mark_paid(PaymentId(uuid.uuid4()), at=shop.clock.now())
                times_paid += 1
            elif action == "fail":
                order.fail()
            else:
                order.cancel()
        except (OrderNotPayable, OrderNotCancelable):
            assert order.status == before, "a refused transition changes nothing"
        if before == OrderStatus.RETURNED:
            assert order.status == OrderStatus.RETURNED
    assert times_paid <= 1


@given(steps=st.lists(st.sampled_from(list(PaymentStatus)), max_size=12))
def test_a_payment_only_moves_forward(steps: list[PaymentStatus]) -> None:
    import uuid

    shop = build_shop()
    payment = Payment.start(
        id=PaymentId(uuid.uuid4()),
        order_id=OrderId(uuid.uuid4()),
        customer_id=uuid.uuid4(),  # type: ignore[arg-type]
        method=PaymentMethod.CARD,
        provider="fake",
        amount=Money("1"),
        at=shop.clock.now(),
    )
    succeeded = 0
    for step in steps:
        before = payment.status
        try:
            payment.move_to(step, at=shop.clock.now(), source=ChangeSource.PROVIDER)
        except OrderNotPayable:
            assert payment.status == before
        if payment.status == PaymentStatus.SUCCEEDED and before != PaymentStatus.SUCCEEDED:
            succeeded += 1
        assert not (before == PaymentStatus.REFUNDED and payment.status != before)
    assert succeeded <= 1
    assert [c.new for c in payment.history][-1] == payment.status

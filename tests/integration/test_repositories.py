"""One behaviour suite for the in-memory and the Django repositories, so the fakes the
unit tests rely on stay honest."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from adapters.persistence.in_memory import (
    InMemoryPaymentReplies,
    InMemoryStockHolds,
    InMemoryStore,
    InMemoryUnitOfWork,
)
from shop_app.ports.paging import Keyset, PageRequest
from shop_app.ports.repositories import ProductFilter
from shop_app.ports.unit_of_work import ReadOnlyUnitOfWork
from shop_domain.bucket import BucketLine
from shop_domain.customer import Customer
from shop_domain.errors import ProductAlreadyInBucket, UsernameOrEmailTaken
from shop_domain.money import MAX_AMOUNT, Money
from shop_domain.order import Order, OrderLine, OrderStatus, PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus
from shop_domain.product import Product

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


class Backend:
    """New units of work over one store, and the changes that stand on their own."""

    def __init__(self, new: Callable[[], Any], holds: Any, replies: Any):
        self.new, self.holds, self.replies = new, holds, replies

    def __call__(self) -> Any:
        return self.new()


@pytest.fixture(params=["in_memory", "django"])
def new_uow(request: pytest.FixtureRequest) -> Backend:
    return backend(request)


def backend(request: pytest.FixtureRequest) -> Backend:
    """The in-memory or the Django adapters, as ``request.param`` says."""
    if request.param == "in_memory":
        store = InMemoryStore()
        return Backend(
            lambda: InMemoryUnitOfWork(store),
            InMemoryStockHolds(store),
            InMemoryPaymentReplies(store),
        )
    request.getfixturevalue("db")
    from adapters.persistence.payment_replies import DjangoPaymentReplies
    from adapters.persistence.stock_holds import DjangoStockHolds
    from adapters.persistence.unit_of_work import DjangoUnitOfWork

    return Backend(lambda: DjangoUnitOfWork("PLN"), DjangoStockHolds("PLN"), DjangoPaymentReplies())


def _id() -> Any:
    return uuid.uuid4()


def customer(name: str | None = None) -> Customer:
    name = name or f"u{uuid.uuid4().hex[:8]}"
    return Customer(id=_id(), username=name, email=f"{name}@example.com", password_hash="x")


def product(name: str = "thing", price: str = "9.99", **kw: Any) -> Product:
    return Product(id=_id(), name=name, price=Money(price), **kw)


def stored(new_uow: Callable[[], Any], *entities: Any) -> None:
    with new_uow() as uow:
        for e in entities:
            repo = {
                Customer: uow.customers,
                Product: uow.products,
                BucketLine: uow.buckets,
                Order: uow.orders,
                Payment: uow.payments,
            }[type(e)]
            repo.add(e)
        uow.commit()


def order_for(c: Customer, p: Product, at: datetime = NOW) -> Order:
    line = OrderLine(id=_id(), product_id=p.id, product_name=p.name, quantity=2, unit_price=p.price)
    return Order.place(
        id=_id(), customer_id=c.id, lines=(line,), payment_method=PaymentMethod.CARD,
        currency="PLN", at=at,
    )  # fmt: skip


# --- unit of work -------------------------------------------------------------------
def test_changes_without_commit_are_discarded(new_uow: Backend) -> None:
    c = customer()
    with new_uow() as uow:
        uow.customers.add(c)
    with new_uow() as uow:
        assert uow.customers.get(c.id) is None


def test_an_exception_discards_changes_even_after_commit_was_called_later(
    new_uow: Backend,
) -> None:
    c = customer()
    with pytest.raises(RuntimeError), new_uow() as uow:
        uow.customers.add(c)
        raise RuntimeError("boom")
    with new_uow() as uow:
        assert uow.customers.get(c.id) is None


def test_committed_changes_are_kept(new_uow: Backend) -> None:
    c = customer()
    stored(new_uow, c)
    with new_uow() as uow:
        assert uow.customers.get(c.id) == c


@pytest.mark.parametrize(
    "attempt",
    [
        lambda uow, c, p: uow.customers.add(customer()),
        lambda uow, c, p: uow.customers.save(c),
        lambda uow, c, p: uow.products.add(product()),
        lambda uow, c, p: uow.products.save([p]),
        lambda uow, c, p: uow.products.save_stock([p]),
        lambda uow, c, p: uow.products.lock([p.id]),
        lambda uow, c, p: uow.buckets.add(line(c, p)),
        lambda uow, c, p: uow.buckets.list_for(c.id, for_update=True),
        lambda uow, c, p: uow.buckets.lock_with_products(c.id),
        lambda uow, c, p: uow.buckets.lapsed(NOW, limit=1),
        lambda uow, c, p: uow.buckets.remove([_id()]),
        lambda uow, c, p: uow.orders.add(order_for(c, p)),
        lambda uow, c, p: uow.orders.get(_id(), for_update=True),
        lambda uow, c, p: uow.orders.lock_with_latest_payment(_id()),
        lambda uow, c, p: uow.payments.get(_id(), for_update=True),
        lambda uow, c, p: uow.payments.latest_for(_id(), for_update=True),
        lambda uow, c, p: uow.commit(),
    ],
)
def test_a_read_only_unit_of_work_neither_writes_nor_locks(
    new_uow: Backend, attempt: Callable[[Any, Customer, Product], Any]
) -> None:
    c, p = customer(), product(stock=5)
    stored(new_uow, c, p)
    with pytest.raises(ReadOnlyUnitOfWork), new_uow().read_only() as uow:
        assert uow.customers.get(c.id) == c, "reads are fine"
        attempt(uow, c, p)
    with new_uow() as uow:
        assert uow.products.get(p.id) == p and uow.buckets.list_for(c.id) == []


# --- customers ----------------------------------------------------------------------
def test_customers_are_found_by_username_and_taken_ignores_case(
    new_uow: Backend,
) -> None:
    c = customer("Anakin")
    stored(new_uow, c)
    with new_uow() as uow:
        assert uow.customers.get_by_username("Anakin") == c
        assert uow.customers.taken(username="ANAKIN", email="other@example.com")
        assert uow.customers.taken(username="someone", email="ANAKIN@example.com")
        assert not uow.customers.taken(username="anakin", email="x@example.com", exclude=c.id)
        assert not uow.customers.taken(username="someone", email="someone@example.com")


def test_a_second_account_with_the_same_username_is_refused(new_uow: Backend) -> None:
    stored(new_uow, customer("vader"))
    with pytest.raises(UsernameOrEmailTaken), new_uow() as uow:
        uow.customers.add(customer("VADER"))


def test_customer_profile_changes_are_saved(new_uow: Backend) -> None:
    c = customer()
    stored(new_uow, c)
    with new_uow() as uow:
        c.update_profile(
            username=c.username, email=c.email, first_name="Leia", last_name="Organa",
            phone="123", city="Alderaan",
        )  # fmt: skip
        uow.customers.save(c)
        uow.commit()
    with new_uow() as uow:
        assert uow.customers.get(c.id) == c


# --- products -----------------------------------------------------------------------
def test_products_lock_save_and_names(new_uow: Backend) -> None:
    a, b = product("alpha", stock=5), product("beta", stock=3)
    stored(new_uow, a, b)
    with new_uow() as uow:
        locked = uow.products.lock([b.id, a.id, _id()])
        assert set(locked) == {a.id, b.id}
        locked[a.id].reserve(2)
        locked[b.id].sell(1)
        uow.products.save(locked.values())
        uow.commit()
    with new_uow() as uow:
        assert (uow.products.get(a.id).stock, uow.products.get(a.id).reserved) == (5, 2)
        assert uow.products.get(b.id).stock == 2
        assert uow.products.names([a.id, b.id]) == {a.id: "alpha", b.id: "beta"}


def test_product_list_filters_orders_and_counts(new_uow: Backend) -> None:
    items = [
        product("Blue mug", "5.00", product_type="kitchen"),
        product("red MUG", "7.50", product_type="kitchen"),
        product("Mug tree", "3.00", product_type="home"),
        product("Hidden mug", "1.00", product_type="kitchen", active=False),
        product("Lamp", "20.00", product_type="home"),
    ]
    stored(new_uow, *items)
    with new_uow() as uow:
        page = uow.products.list(ProductFilter(name="mug", ordering="price"), PageRequest(1, 2))
        assert page.count == 3
        assert [p.name for p in page.items] == ["Mug tree", "Blue mug"]
        second = uow.products.list(ProductFilter(name="mug", ordering="price"), PageRequest(2, 2))
        assert [p.name for p in second.items] == ["red MUG"] and second.count == 3
        kitchen = uow.products.list(
            ProductFilter(product_type="kitchen", ordering="-name"), PageRequest(1, 20)
        )
        assert [p.name for p in kitchen.items] == ["red MUG", "Blue mug"]
        everything = uow.products.list(ProductFilter(active_only=False), PageRequest(1, 20))
        assert everything.count == 5


@pytest.mark.parametrize("ordering", ["name", "-name", "price", "-price"])
def test_keyset_pages_walk_the_list_both_ways(new_uow: Backend, ordering: str) -> None:
    # Ties on the sort value: the id decides, the same way in both directions.
    items = [product(f"item {i % 4}", f"{i % 3}.00") for i in range(11)]
    stored(new_uow, *items)
    f = ProductFilter(ordering=ordering)
    with new_uow() as uow:
        whole = uow.products.list(f, PageRequest(1, 20)).items
        field = ordering.lstrip("-")

        def key(p: Product, backward: bool = False) -> Keyset:
            value = p.price.amount if field == "price" else p.name
            return Keyset(value=value, id=str(p.id), backward=backward)

        seen, page = [], uow.products.list(f, PageRequest(size=4, keyset=Keyset()))
        assert not page.before
        while True:
            seen += page.items
            if not page.after:
                break
            page = uow.products.list(f, PageRequest(size=4, keyset=key(page.items[-1])))
            assert page.before
        assert [p.id for p in seen] == [p.id for p in whole]
        # Back from the last page: the four before its first item, in order.
        back = uow.products.list(f, PageRequest(size=4, keyset=key(page.items[0], True)))
        assert [p.id for p in back.items] == [p.id for p in whole[4:8]]
        assert back.before and back.after
        first = uow.products.list(f, PageRequest(size=4, keyset=key(whole[4], True)))
        assert [p.id for p in first.items] == [p.id for p in whole[:4]]
        assert not first.before and first.after


# --- bucket -------------------------------------------------------------------------
def line(c: Customer, p: Product, qty: int = 1, until: datetime = NOW) -> BucketLine:
    return BucketLine(
        id=_id(), customer_id=c.id, product_id=p.id, quantity=qty, unit_price=p.price,
        reserved=qty, reserved_until=until,
    )  # fmt: skip


def test_bucket_lines_are_scoped_to_their_customer(new_uow: Backend) -> None:
    c, other, p = customer(), customer(), product(stock=10)
    ln = line(c, p, 2)
    stored(new_uow, c, other, p, ln)
    with new_uow() as uow:
        assert uow.buckets.get(ln.id, c.id) == ln
        assert uow.buckets.get(ln.id, other.id) is None
        assert uow.buckets.get(ln.id, c.id, for_update=True) == ln
        assert uow.buckets.find(c.id, p.id) == ln
        assert uow.buckets.find(other.id, p.id) is None
        assert uow.buckets.list_for(c.id) == [ln]
        assert uow.buckets.list_for(other.id) == []


def test_one_line_per_product_and_customer(new_uow: Backend) -> None:
    c, p = customer(), product(stock=10)
    stored(new_uow, c, p, line(c, p))
    with pytest.raises(ProductAlreadyInBucket), new_uow() as uow:
        uow.buckets.add(line(c, p))


def test_bucket_lines_are_saved_and_removed(new_uow: Backend) -> None:
    c, p, q = customer(), product(stock=10), product(stock=10)
    a, b = line(c, p, 1), line(c, q, 1)
    stored(new_uow, c, p, q, a, b)
    with new_uow() as uow:
        a.hold(4, Money("1.00"), NOW, timedelta(minutes=5))
        b.hold(2, Money("2.00"), NOW, timedelta(minutes=5))
        uow.buckets.save([a, b])
        uow.commit()
    with new_uow() as uow:
        assert uow.buckets.get(a.id, c.id) == a and uow.buckets.get(b.id, c.id) == b
        uow.buckets.remove([a.id])
        uow.commit()
    with new_uow() as uow:
        assert uow.buckets.list_for(c.id) == [b]


def test_lapsed_lines_are_those_still_holding_past_their_time(new_uow: Backend) -> None:
    c, p, q = customer(), product(stock=10), product(stock=10)
    old = line(c, p, 1, until=NOW - timedelta(minutes=1))
    fresh = line(c, q, 1, until=NOW + timedelta(minutes=1))
    stored(new_uow, c, p, q, old, fresh)
    with new_uow() as uow:
        assert uow.buckets.lapsed(NOW, limit=10) == [old]
        assert uow.buckets.lapsed(NOW, limit=10, product_ids=[q.id]) == []
        assert uow.buckets.lapsed(NOW + timedelta(hours=1), limit=1) != []
        old.lapse(p.price)
        uow.buckets.save([old])
        uow.commit()
    with new_uow() as uow:
        assert uow.buckets.lapsed(NOW, limit=10) == []


# --- orders -------------------------------------------------------------------------
def test_orders_are_scoped_saved_and_listed_newest_first(new_uow: Backend) -> None:
    c, other, p = customer(), customer(), product(stock=10)
    first = order_for(c, p, NOW)
    second = order_for(c, p, NOW + timedelta(minutes=1))
    theirs = order_for(other, p, NOW + timedelta(minutes=2))
    stored(new_uow, c, other, p, first, second, theirs)
    with new_uow() as uow:
        assert uow.orders.get(first.id) == first
        assert uow.orders.get(first.id, customer_id=other.id) is None
        assert uow.orders.get(first.id, customer_id=c.id, for_update=True) == first
        mine = uow.orders.list(PageRequest(1, 10), customer_id=c.id)
        assert [o.id for o in mine.items] == [second.id, first.id] and mine.count == 2
        first.await_payment(PaymentMethod.PAYU)
        uow.orders.save(first)
        uow.commit()
    with new_uow() as uow:
        assert uow.orders.get(first.id).status == OrderStatus.TO_PAY
        assert uow.orders.get(first.id).payment_method == PaymentMethod.PAYU
        to_pay = uow.orders.list(PageRequest(1, 10), status=OrderStatus.TO_PAY)
        assert [o.id for o in to_pay.items] == [first.id]
        everyone = uow.orders.list(PageRequest(1, 2))
        assert everyone.count == 3 and [o.id for o in everyone.items] == [theirs.id, second.id]


# --- payments -----------------------------------------------------------------------
def payment_for(o: Order, provider: str = "sandbox") -> Payment:
    return Payment.start(
        id=_id(), order_id=o.id, customer_id=o.customer_id, method=PaymentMethod.CARD,
        provider=provider, amount=o.total, at=NOW,
    )  # fmt: skip


def test_an_order_is_locked_with_its_latest_payment(new_uow: Backend) -> None:
    c, p = customer(), product(stock=10)
    o, other = order_for(c, p), order_for(c, p)
    stored(new_uow, c, p, o, other)
    with new_uow() as uow:
        assert uow.orders.lock_with_latest_payment(o.id) == (uow.orders.get(o.id), None)
    one, two = payment_for(o), payment_for(o, "payu")
    stored(new_uow, one)
    stored(new_uow, two)
    stored(new_uow, payment_for(other))
    with new_uow() as uow:
        found = uow.orders.lock_with_latest_payment(o.id, customer_id=c.id)
        assert found is not None
        order, payment = found
        assert order == uow.orders.get(o.id) and len(order.lines) == 1
        assert payment == uow.payments.latest_for(o.id) and payment is not None
        assert payment.id == two.id and payment.provider == "payu"
        assert uow.orders.lock_with_latest_payment(o.id, customer_id=_id()) is None
        assert uow.orders.lock_with_latest_payment(_id()) is None


def test_an_order_locked_with_its_payment_holds_both_rows(postgres_only: None) -> None:
    import psycopg

    from adapters.persistence.unit_of_work import DjangoUnitOfWork
    from tests.integration.conftest import configured_database_url

    def new() -> Any:
        return DjangoUnitOfWork("PLN")

    c, p = customer(), product(stock=10)
    o = order_for(c, p)
    stored(new, c, p, o)
    attempt = payment_for(o)
    stored(new, attempt)
    name = connection.settings_dict["NAME"]
    base = (configured_database_url() or "").rsplit("/", 1)[0]
    with new() as uow, psycopg.connect(f"{base}/{name}", autocommit=True) as other:
        assert uow.orders.lock_with_latest_payment(o.id) is not None
        for table, row in (("shop_order", o.id), ("shop_payment", attempt.id)):
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [row])


def test_payments_latest_by_reference_and_saved(new_uow: Backend) -> None:
    c, p = customer(), product(stock=10)
    o = order_for(c, p)
    stored(new_uow, c, p, o)
    one, two = payment_for(o), payment_for(o, "payu")
    stored(new_uow, one)
    stored(new_uow, two)
    with new_uow() as uow:
        assert uow.payments.latest_for(o.id).id == two.id
        assert uow.payments.get(one.id, for_update=True).id == one.id
        two.external_ref = "PAYU-123"
        two.next_action = {"type": "redirect", "url": "https://example.com"}
        two.move_to(PaymentStatus.SUCCEEDED, at=NOW, source=ChangeSource.PROVIDER)
        uow.payments.save(two)
        uow.commit()
    with new_uow() as uow:
        found = uow.payments.find_by_external_ref("payu", "PAYU-123")
        assert found is not None and found.id == two.id
        assert found.status == PaymentStatus.SUCCEEDED
        assert found.next_action == {"type": "redirect", "url": "https://example.com"}
        assert uow.payments.find_by_external_ref("sandbox", "PAYU-123") is None
        assert uow.payments.find_by_external_ref("payu", "") is None


# --- changes that stand on their own (StockHolds, PaymentReplies) ---------------------
SHOP_LIMIT = Money(MAX_AMOUNT)


def hold(
    backend: Backend, c: Customer, p: Product, quantity: int, within: Money = SHOP_LIMIT
) -> Any:
    return backend.holds.hold_new_line(
        line_id=_id(), customer_id=c.id, product_id=p.id, quantity=quantity,
        until=NOW + timedelta(minutes=15), within=within,
    )  # fmt: skip


def test_a_held_line_reserves_its_units_at_the_products_price(
    new_uow: Backend,
) -> None:
    c, p = customer(), product(price="12.30", stock=5, reserved=1)
    stored(new_uow, c, p)
    held = hold(new_uow, c, p, 4)
    assert held is not None
    new_line, after = held
    assert (after.stock, after.reserved, after.name) == (5, 5, p.name)
    assert (new_line.quantity, new_line.reserved, new_line.unit_price) == (4, 4, Money("12.30"))
    with new_uow() as uow:
        assert uow.products.lock([p.id])[p.id].reserved == 5, "kept without commit()"
        assert [ln.id for ln in uow.buckets.list_for(c.id)] == [new_line.id]
        assert uow.buckets.list_for(c.id)[0].unit_price == Money("12.30")


@pytest.mark.parametrize(
    ("stock", "reserved", "active", "quantity"),
    [(5, 2, True, 4), (5, 5, True, 1), (9, 0, False, 1)],
    ids=["short", "all-held", "inactive"],
)
def test_no_line_is_held_when_the_units_are_not_there(
    new_uow: Backend, stock: int, reserved: int, active: bool, quantity: int
) -> None:
    c, p = customer(), product(stock=stock, reserved=reserved, active=active)
    stored(new_uow, c, p)
    assert hold(new_uow, c, p, quantity) is None
    with new_uow() as uow:
        assert uow.products.lock([p.id])[p.id].reserved == reserved, "nothing reserved"
        assert uow.buckets.list_for(c.id) == []


def test_no_line_is_held_beyond_the_bucket_value_it_is_given(
    new_uow: Backend,
) -> None:
    c, p, q = customer(), product(price="10.00", stock=50), product(price="3.00", stock=50)
    stored(new_uow, c, p, q)
    assert hold(new_uow, c, p, 5, within=Money("49.99")) is None  # the line alone: 50.00
    assert hold(new_uow, c, p, 5, within=Money("50.00")) is not None
    # 50.00 held + 3 x 3.00 > 58.99
    assert hold(new_uow, c, q, 3, within=Money("58.99")) is None
    with new_uow() as uow:
        assert uow.products.lock([q.id])[q.id].reserved == 0, "nothing reserved"
        assert [ln.product_id for ln in uow.buckets.list_for(c.id)] == [p.id]
    assert hold(new_uow, c, q, 3, within=Money("59.00")) is not None


def test_no_line_is_held_for_a_missing_product(new_uow: Backend) -> None:
    c = customer()
    stored(new_uow, c)
    assert hold(new_uow, c, product(stock=3), 1) is None


def test_no_second_line_is_held_for_a_product_and_nothing_more_is_reserved(
    new_uow: Backend,
) -> None:
    c, p = customer(), product(stock=10)
    stored(new_uow, c, p)
    assert hold(new_uow, c, p, 2) is not None
    assert hold(new_uow, c, p, 3) is None  # the caller finds out why, under a lock
    with new_uow() as uow:
        assert uow.products.lock([p.id])[p.id].reserved == 2
        assert [ln.quantity for ln in uow.buckets.list_for(c.id)] == [2]


def test_a_pending_reply_sets_reference_and_next_action_of_an_open_payment(
    new_uow: Backend,
) -> None:
    c, p = customer(), product(stock=10)
    o = order_for(c, p)
    stored(new_uow, c, p, o)
    pay = payment_for(o, "payu")
    stored(new_uow, pay)
    action = {"type": "redirect", "url": "https://pay.example/1"}
    noted = new_uow.replies.note_reply(pay.id, external_ref="PAYU-9", next_action=action)
    assert noted is not None and (noted.external_ref, noted.next_action) == ("PAYU-9", action)
    again = new_uow.replies.note_reply(pay.id, external_ref="", next_action=None)
    assert again.external_ref == "PAYU-9", "an empty reference keeps the stored one"
    with new_uow() as uow:
        kept = uow.payments.get(pay.id)
        assert (kept.external_ref, kept.next_action, kept.status) == (
            "PAYU-9", None, PaymentStatus.PENDING,
        )  # fmt: skip
    assert new_uow.replies.note_reply(_id(), external_ref="x", next_action=None) is None


def test_a_pending_reply_leaves_a_settled_payments_next_action_alone(
    new_uow: Backend,
) -> None:
    c, p = customer(), product(stock=10)
    o = order_for(c, p)
    stored(new_uow, c, p, o)
    pay = payment_for(o, "payu")
    pay.move_to(PaymentStatus.SUCCEEDED, at=NOW, source=ChangeSource.PROVIDER)
    stored(new_uow, pay)
    noted = new_uow.replies.note_reply(
        pay.id, external_ref="PAYU-late", next_action={"type": "redirect", "url": "u"}
    )
    assert (noted.status, noted.next_action, noted.external_ref) == (
        PaymentStatus.SUCCEEDED, None, "PAYU-late",
    )  # fmt: skip


def test_a_bucket_is_locked_with_its_products_oldest_line_first(
    new_uow: Backend,
) -> None:
    c, other = customer(), customer()
    first, second = product("first", stock=5), product("second", stock=9)
    older, newer = line(c, second, qty=2), line(c, first, qty=1)
    stored(new_uow, c, other, first, second)
    stored(new_uow, older)
    stored(new_uow, newer, line(other, first))
    with new_uow() as uow:
        lines, products = uow.buckets.lock_with_products(c.id)
        assert [ln.id for ln in lines] == [older.id, newer.id]
        assert {pid: p.stock for pid, p in products.items()} == {first.id: 5, second.id: 9}
        assert uow.buckets.lock_with_products(customer().id) == ([], {})


def test_every_money_column_holds_the_largest_amount_of_the_domain() -> None:
    """shop_domain.money.MAX_AMOUNT is the narrowest money column's largest value: every
    amount the domain lets arise fits every column (SQLite would not say otherwise)."""
    from django.apps import apps
    from django.db import models as dj

    from shop_domain.money import MONEY_DECIMAL_PLACES

    columns = [
        field
        for model in apps.get_app_config("shop").get_models()
        for field in model._meta.get_fields()
        if isinstance(field, dj.DecimalField)
    ]
    assert len(columns) >= 5  # prices (product, bucket line, order line), sums, payments
    for field in columns:
        assert field.decimal_places == MONEY_DECIMAL_PLACES, field
        largest = Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal("0.01")
        assert largest >= MAX_AMOUNT, field
    narrowest = min(columns, key=lambda f: f.max_digits - f.decimal_places)
    assert (
        Decimal(10) ** (narrowest.max_digits - narrowest.decimal_places) - Decimal("0.01")
        == MAX_AMOUNT
    )

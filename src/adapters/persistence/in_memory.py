"""In-memory versions of every persistence port, plus a clock that moves when told.

No Django here: anyone can drive the use cases from plain Python with these. A
unit of work works on a deep copy of the committed state and swaps it in on
commit, so a rollback really discards changes; a store-wide lock serialises
units of work the way row locks serialise them in a database.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import attrs

from adapters.persistence.in_memory_delivery import (
    InMemoryAddressRepository,
    InMemoryDeliveryMethodRepository,
)
from adapters.persistence.in_memory_events import InMemoryEventRecorder, RecordedEvent
from adapters.persistence.in_memory_refunds import InMemoryRefundRepository
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.repositories import ProductFilter
from shop_app.ports.unit_of_work import ReadOnlyUnitOfWork
from shop_domain.bucket import BucketLine, BucketOwner
from shop_domain.customer import Customer, fold_username
from shop_domain.delivery import DeliveryMethod, SavedAddress
from shop_domain.errors import ProductAlreadyInBucket, UsernameOrEmailTaken
from shop_domain.ids import (
    AddressId,
    BucketLineId,
    CustomerId,
    GuestBucketId,
    OrderId,
    PaymentId,
    ProductId,
)
from shop_domain.money import Money
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import Payment
from shop_domain.product import Product


@attrs.define
class _Tables:
    customers: dict[CustomerId, Customer] = attrs.Factory(dict)
    products: dict[ProductId, Product] = attrs.Factory(dict)
    lines: dict[BucketLineId, BucketLine] = attrs.Factory(dict)
    orders: dict[OrderId, Order] = attrs.Factory(dict)
    payments: dict[PaymentId, Payment] = attrs.Factory(dict)
    order_seq: dict[OrderId, int] = attrs.Factory(dict)  # insertion order, for "newest first"
    guest_buckets: dict[GuestBucketId, datetime] = attrs.Factory(dict)  # when each lapses
    addresses: dict[AddressId, SavedAddress] = attrs.Factory(dict)  # oldest first
    delivery_methods: dict[str, DeliveryMethod] = attrs.Factory(dict)


class _Access:
    """What a unit of work allows its repositories: a read-only one neither writes nor
    locks (as the Django adapter refuses them)."""

    def __init__(self, *, read_only: bool):
        self.read_only = read_only

    def write(self) -> None:
        if self.read_only:
            raise ReadOnlyUnitOfWork("a read-only unit of work writes nothing")

    def lock(self, for_update: bool = True) -> None:
        if for_update and self.read_only:
            raise ReadOnlyUnitOfWork("a read-only unit of work locks nothing")


_ANY = _Access(read_only=False)


class InMemoryStore:
    """The committed state that in-memory units of work share."""

    def __init__(self) -> None:
        self.tables = _Tables()
        self.lock = threading.RLock()
        self.seq = itertools.count()
        self.events: list[RecordedEvent] = []  # the outbox, oldest first


class InMemoryCustomerRepository:
    def __init__(self, t: _Tables, access: _Access = _ANY):
        self._t, self._access = t, access

    def add(self, customer: Customer) -> None:
        self._access.write()
        # the same uniqueness the database enforces
        if self.taken(username=customer.username, email=customer.email):
            raise UsernameOrEmailTaken()
        self._t.customers[customer.id] = customer

    def get(self, customer_id: CustomerId) -> Customer | None:
        return self._t.customers.get(customer_id)

    def get_by_username(self, username: str) -> Customer | None:
        wanted = fold_username(username)
        return next(
            (c for c in self._t.customers.values() if fold_username(c.username) == wanted), None
        )

    def taken(self, *, username: str, email: str, exclude: CustomerId | None = None) -> bool:
        return any(
            c.id != exclude
            and (
                fold_username(c.username) == fold_username(username)
                or c.email.lower() == email.lower()
            )
            for c in self._t.customers.values()
        )

    def save(self, customer: Customer) -> None:
        self._access.write()
        # the database's unique index refuses a rename onto another account's name
        if self.taken(username=customer.username, email=customer.email, exclude=customer.id):
            raise UsernameOrEmailTaken()
        self._t.customers[customer.id] = customer


class InMemoryProductRepository:
    def __init__(self, t: _Tables, access: _Access = _ANY):
        self._t, self._access = t, access

    def add(self, product: Product) -> None:
        self._access.write()
        self._t.products[product.id] = product

    def get(self, product_id: ProductId) -> Product | None:
        return self._t.products.get(product_id)

    def lock(self, product_ids: Iterable[ProductId]) -> dict[ProductId, Product]:
        self._access.lock()
        return {
            pid: self._t.products[pid]
            for pid in sorted(set(product_ids))
            if pid in self._t.products
        }

    def save(self, products: Iterable[Product]) -> None:
        self._access.write()
        for product in products:
            self._t.products[product.id] = product

    def save_stock(self, products: Iterable[Product]) -> None:
        self._access.write()
        for product in products:
            stored = self._t.products[product.id]
            stored.stock, stored.reserved = product.stock, product.reserved

    def names(self, product_ids: Iterable[ProductId]) -> dict[ProductId, str]:
        return {pid: self._t.products[pid].name for pid in product_ids if pid in self._t.products}

    def list(self, filter: ProductFilter, page: PageRequest) -> Page[Product]:
        found = [
            p
            for p in self._t.products.values()
            if (p.active or not filter.active_only)
            and (not filter.name or filter.name.lower() in p.name.lower())
            and (not filter.product_type or p.product_type == filter.product_type)
        ]
        field, desc = filter.ordering.lstrip("-"), filter.ordering.startswith("-")

        def value(p: Product) -> Any:
            return p.price.amount if field == "price" else p.name

        # The database's order: the field either way, then the id ascending.
        found.sort(key=lambda p: str(p.id))
        found.sort(key=value, reverse=desc)
        key = page.keyset
        if key is None:
            return Page(found[page.offset : page.offset + page.size], len(found))
        if key.id is None:
            at = 0
        else:

            def after(p: Product) -> bool:
                v = value(p)
                if v == key.value:
                    return str(p.id) > key.id
                return v < key.value if desc else v > key.value

            at = next((i for i, p in enumerate(found) if after(p)), len(found))
            if key.backward:  # the page ends where the key is
                at = next((i for i, p in enumerate(found) if after(p) or str(p.id) == key.id), at)
        if key.backward and key.id is not None:
            start = max(0, at - page.size)
            items = found[start:at]
            return Page(items, len(found), before=start > 0, after=at < len(found))
        items = found[at : at + page.size]
        return Page(items, len(found), before=at > 0, after=at + page.size < len(found))


class InMemoryBucketRepository:
    def __init__(self, t: _Tables, access: _Access = _ANY):
        self._t, self._access = t, access

    def add(self, line: BucketLine) -> None:
        self._access.write()
        if self.find(line.owner, line.product_id) is not None:
            raise ProductAlreadyInBucket()
        self._t.lines[line.id] = line

    def get(
        self, line_id: BucketLineId, owner: BucketOwner | CustomerId, *, for_update: bool = False
    ) -> BucketLine | None:
        self._access.lock(for_update)
        line = self._t.lines.get(line_id)
        return line if line is not None and line.owner == BucketOwner.of(owner) else None

    def find(self, owner: BucketOwner | CustomerId, product_id: ProductId) -> BucketLine | None:
        return next(
            (ln for ln in self.list_for(owner) if ln.product_id == product_id),
            None,
        )

    def list_for(
        self, owner: BucketOwner | CustomerId, *, for_update: bool = False
    ) -> list[BucketLine]:
        self._access.lock(for_update)
        wanted = BucketOwner.of(owner)
        return [ln for ln in self._t.lines.values() if ln.owner == wanted]

    def lock_with_products(
        self, owner: BucketOwner | CustomerId
    ) -> tuple[list[BucketLine], dict[ProductId, Product]]:
        self._access.lock()
        lines = self.list_for(owner, for_update=True)
        wanted = {line.product_id for line in lines}
        return lines, {pid: p for pid, p in self._t.products.items() if pid in wanted}

    def save(self, lines: Iterable[BucketLine]) -> None:
        self._access.write()
        for line in lines:
            self._t.lines[line.id] = line

    def remove(self, line_ids: Iterable[BucketLineId]) -> None:
        self._access.write()
        for line_id in line_ids:
            self._t.lines.pop(line_id, None)

    def lapsed(
        self, now: datetime, limit: int, product_ids: Iterable[ProductId] | None = None
    ) -> list[BucketLine]:
        self._access.lock()
        wanted = set(product_ids) if product_ids is not None else None
        found = [
            ln
            for ln in self._t.lines.values()
            if ln.is_lapsed(now) and (wanted is None or ln.product_id in wanted)
        ]
        return found[:limit]

    def list_for_guests(self, guest_ids: Iterable[GuestBucketId]) -> list[BucketLine]:
        self._access.lock()
        wanted = set(guest_ids)
        return [ln for ln in self._t.lines.values() if ln.guest_id in wanted]


class InMemoryGuestBucketRepository:
    def __init__(self, t: _Tables, access: _Access = _ANY):
        self._t, self._access = t, access

    def start_or_lock(self, guest_id: GuestBucketId, *, lapses_at: datetime) -> None:
        self._access.write()
        self._t.guest_buckets[guest_id] = lapses_at

    def lock(self, guest_id: GuestBucketId) -> bool:
        self._access.lock()
        return guest_id in self._t.guest_buckets

    def lapsed(self, now: datetime, limit: int) -> list[GuestBucketId]:
        self._access.lock()
        found = sorted((at, str(g), g) for g, at in self._t.guest_buckets.items() if at <= now)
        return [g for _, _, g in found[:limit]]

    def remove(self, guest_ids: Iterable[GuestBucketId]) -> None:
        self._access.write()
        for guest_id in guest_ids:
            if any(ln.guest_id == guest_id for ln in self._t.lines.values()):
                # the database's foreign key refuses it too
                raise ValueError("a guest bucket with lines cannot be removed")
            self._t.guest_buckets.pop(guest_id, None)


class InMemoryOrderRepository:
    def __init__(self, t: _Tables, seq: itertools.count[int], access: _Access = _ANY):
        self._t, self._seq, self._access = t, seq, access

    def add(self, order: Order) -> None:
        self._access.write()
        self._t.orders[order.id] = order
        self._t.order_seq[order.id] = next(self._seq)

    def get(
        self,
        order_id: OrderId,
        *,
        customer_id: CustomerId | None = None,
        for_update: bool = False,
    ) -> Order | None:
        self._access.lock(for_update)
        order = self._t.orders.get(order_id)
        if order is None or (customer_id is not None and order.customer_id != customer_id):
            return None
        return order

    def lock_with_latest_payment(
        self, order_id: OrderId, *, customer_id: CustomerId | None = None
    ) -> tuple[Order, Payment | None] | None:
        order = self.get(order_id, customer_id=customer_id, for_update=True)
        if order is None:
            return None
        return order, InMemoryPaymentRepository(self._t, self._access).latest_for(
            order_id, for_update=True
        )

    def save(self, order: Order) -> None:
        self._access.write()
        self._t.orders[order.id] = order

    def list(
        self,
        page: PageRequest,
        *,
        customer_id: CustomerId | None = None,
        status: OrderStatus | None = None,
        shipped: bool | None = None,
    ) -> Page[Order]:
        found = [
            o
            for o in self._t.orders.values()
            if (customer_id is None or o.customer_id == customer_id)
            and (status is None or o.status == status)
            and (shipped is None or (o.fulfilment is not None) == shipped)
        ]
        found.sort(key=lambda o: (o.created_at, self._t.order_seq[o.id]), reverse=True)
        return Page(found[page.offset : page.offset + page.size], len(found))


class InMemoryPaymentRepository:
    def __init__(self, t: _Tables, access: _Access = _ANY):
        self._t, self._access = t, access

    def add(self, payment: Payment) -> None:
        self._access.write()
        self._t.payments[payment.id] = payment

    def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None:
        self._access.lock(for_update)
        return self._t.payments.get(payment_id)

    def latest_for(self, order_id: OrderId, *, for_update: bool = False) -> Payment | None:
        self._access.lock(for_update)
        # dicts keep insertion order: the last one added is the latest
        found = [p for p in self._t.payments.values() if p.order_id == order_id]
        return found[-1] if found else None

    def find_by_external_ref(
        self, provider: str, external_ref: str, *, for_update: bool = False
    ) -> Payment | None:
        self._access.lock(for_update)
        if not external_ref:
            return None
        return next(
            (
                p
                for p in reversed(self._t.payments.values())  # the latest, as in the database
                if p.provider == provider and p.external_ref == external_ref
            ),
            None,
        )

    def save(self, payment: Payment) -> None:
        self._access.write()
        self._t.payments[payment.id] = payment


class InMemoryUnitOfWork:
    """A transaction over an InMemoryStore: changes are kept only on ``commit()``."""

    def __init__(self, store: InMemoryStore):
        self._store = store
        self.committed = False
        self._read_only = False

    def __enter__(self) -> InMemoryUnitOfWork:
        self._store.lock.acquire()
        self._work = copy.deepcopy(self._store.tables)
        self.committed = False
        access = _Access(read_only=self._read_only)
        self.customers = InMemoryCustomerRepository(self._work, access)
        self.products = InMemoryProductRepository(self._work, access)
        self.buckets = InMemoryBucketRepository(self._work, access)
        self.orders = InMemoryOrderRepository(self._work, self._store.seq, access)
        self.payments = InMemoryPaymentRepository(self._work, access)
        self.events = InMemoryEventRecorder()
        self.guest_buckets = InMemoryGuestBucketRepository(self._work, access)
        self.addresses = InMemoryAddressRepository(self._work, access)
        self.delivery_methods = InMemoryDeliveryMethodRepository(self._work, access)
        self.refunds = InMemoryRefundRepository(self._work, access)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._read_only = False
        try:
            if self.committed and exc_type is None:
                # the store keeps its own copy: objects the caller still holds cannot alter it
                self._store.tables = copy.deepcopy(self._work)
                self.events.keep(self._store.events)
        finally:
            del self._work
            self._store.lock.release()

    def commit(self) -> None:
        if self._read_only:
            raise ReadOnlyUnitOfWork("a read-only unit of work commits nothing")
        self.committed = True

    def read_only(self) -> InMemoryUnitOfWork:
        self._read_only = True  # for the next block only
        return self


class _AtOnce:
    """One change applied straight to the committed state under the store's lock, as
    the database applies one statement: whole, or (on an exception) not at all."""

    def __init__(self, store: InMemoryStore):
        self._store = store

    def _change(self, change: Callable[[_Tables], Any]) -> Any:
        with self._store.lock:
            work = copy.deepcopy(self._store.tables)
            result = change(work)
            self._store.tables = work
            # the caller's objects are copies: they cannot alter the store later
            return copy.deepcopy(result)


class InMemoryStockHolds(_AtOnce):
    def hold_new_line(
        self,
        *,
        line_id: BucketLineId,
        customer_id: CustomerId,
        product_id: ProductId,
        quantity: int,
        until: datetime,
        within: Money,
    ) -> tuple[BucketLine, Product] | None:
        def hold(t: _Tables) -> tuple[BucketLine, Product] | None:
            lines = InMemoryBucketRepository(t)
            product = t.products.get(product_id)
            if product is None or not product.can_hold(quantity):
                return None
            if lines.find(customer_id, product_id) is not None:
                return None
            others = [line.value for line in lines.list_for(customer_id)]
            if within < product.price * quantity + Money.total(others, within.currency):
                return None
            line = BucketLine.holding(
                id=line_id, customer_id=customer_id, product_id=product_id, quantity=quantity,
                unit_price=product.price, until=until,
            )  # fmt: skip
            lines.add(line)
            product.reserve(quantity)
            return line, product

        return self._change(hold)  # type: ignore[no-any-return]


class InMemoryPaymentReplies(_AtOnce):
    def note_reply(
        self, payment_id: PaymentId, *, external_ref: str, next_action: dict[str, Any] | None
    ) -> Payment | None:
        def note(t: _Tables) -> Payment | None:
            payment = t.payments.get(payment_id)
            if payment is not None:
                if external_ref:
                    payment.external_ref = external_ref
                if payment.is_open:
                    payment.next_action = next_action
            return payment

        return self._change(note)  # type: ignore[no-any-return]


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None):
        self.current = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class PlainPasswordHasher:
    """A fast, salted SHA-256 hasher for tests and scripts (production uses Django's)."""

    def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        return f"sha256${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"

    def verify(self, password: str, hashed: str) -> bool:
        try:
            _, salt, digest = hashed.split("$")
        except ValueError:
            return False
        candidate = hashlib.sha256((salt + password).encode()).hexdigest()
        return hmac.compare_digest(candidate, digest)

    def waste_time(self, password: str) -> None:
        self.verify(password, "sha256$0$0")


class SimplePasswordPolicy:
    """At least 8 characters, not only digits, not the username."""

    def problems(self, password: str, *, username: str, email: str) -> list[str]:
        found = []
        if len(password) < 8:
            found.append("This password is too short. It must contain at least 8 characters.")
        if password.isdigit():
            found.append("This password is entirely numeric.")
        if password.lower() in {username.lower(), email.lower()}:
            found.append("The password is too similar to the username.")
        return found

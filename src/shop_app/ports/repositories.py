"""Repositories: collections of entities. They never commit; the unit of work does.

Methods taking ``for_update=True`` lock the rows they read until the unit of work
ends, so concurrent changes to stock and payment state serialise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import attrs

from shop_app.ports.paging import Page, PageRequest
from shop_domain.bucket import BucketLine, BucketOwner
from shop_domain.customer import Customer
from shop_domain.ids import (
    BucketLineId,
    CustomerId,
    GuestBucketId,
    OrderId,
    PaymentId,
    ProductId,
)
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import Payment
from shop_domain.product import Product

# A customer's id stands for that customer's bucket.
Owner = BucketOwner | CustomerId


class CustomerRepository(Protocol):
    """Customer accounts."""

    def add(self, customer: Customer) -> None: ...

    def get(self, customer_id: CustomerId) -> Customer | None: ...

    def get_by_username(self, username: str) -> Customer | None: ...

    def taken(self, *, username: str, email: str, exclude: CustomerId | None = None) -> bool:
        """Whether another account already uses this username or email (case-insensitive)."""
        ...

    def save(self, customer: Customer) -> None: ...


@attrs.frozen
class ProductFilter:
    name: str | None = None
    product_type: str | None = None
    ordering: str = "name"  # name, -name, price, -price
    active_only: bool = True


class ProductRepository(Protocol):
    """The catalog and its stock counters."""

    def add(self, product: Product) -> None: ...

    def get(self, product_id: ProductId) -> Product | None: ...

    def lock(self, product_ids: Iterable[ProductId]) -> dict[ProductId, Product]:
        """Read and lock these products (in id order, so lockers never deadlock)."""
        ...

    def save(self, products: Iterable[Product]) -> None:
        """Persist every field of these products, stock counters included."""
        ...

    def save_stock(self, products: Iterable[Product]) -> None:
        """Persist only the stock counters (on hand, reserved) of these locked products."""
        ...

    def names(self, product_ids: Iterable[ProductId]) -> dict[ProductId, str]:
        """Names of these products (for read models)."""
        ...

    def list(self, filter: ProductFilter, page: PageRequest) -> Page[Product]: ...


class BucketRepository(Protocol):
    """Bucket lines, always scoped to their owner: a customer (a ``CustomerId`` stands
    for that customer's bucket) or a guest bucket (a ``BucketOwner`` with ``guest_id``)."""

    def add(self, line: BucketLine) -> None: ...

    def get(
        self, line_id: BucketLineId, owner: Owner, *, for_update: bool = False
    ) -> BucketLine | None: ...

    def find(self, owner: Owner, product_id: ProductId) -> BucketLine | None: ...

    def list_for(self, owner: Owner, *, for_update: bool = False) -> list[BucketLine]:
        """Every line of the owner's bucket, oldest first."""
        ...

    def lock_with_products(self, owner: Owner) -> tuple[list[BucketLine], dict[ProductId, Product]]:
        """Every line of the customer's bucket (oldest first) and the products they hold,
        all locked: lines first, then products in id order, as ``list_for(...,
        for_update=True)`` followed by ``ProductRepository.lock`` would."""
        ...

    def save(self, lines: Iterable[BucketLine]) -> None: ...

    def remove(self, line_ids: Iterable[BucketLineId]) -> None: ...

    def lapsed(
        self, now: datetime, limit: int, product_ids: Iterable[ProductId] | None = None
    ) -> list[BucketLine]:
        """Lines still holding stock whose hold ended at or before ``now``.

        They come locked; lines another transaction has locked are skipped, not
        waited for, so expiry never deadlocks with a customer's change.
        """
        ...

    def list_for_guests(self, guest_ids: Iterable[GuestBucketId]) -> list[BucketLine]:
        """Every line of these guest buckets, locked (lock the guest buckets first)."""
        ...


class GuestBucketRepository(Protocol):
    """Guest buckets: one row per guest bucket, the lock that serialises the changes of
    one guest's bucket (its unit limit, the merge at login) and the bucket's lapse."""

    def start_or_lock(self, guest_id: GuestBucketId, *, lapses_at: datetime) -> None:
        """Lock the guest bucket, starting it when it does not exist yet; it now lapses
        at ``lapses_at``."""
        ...

    def lock(self, guest_id: GuestBucketId) -> bool:
        """Lock the guest bucket; False when there is none (never started, merged, or
        lapsed and removed)."""
        ...

    def lapsed(self, now: datetime, limit: int) -> list[GuestBucketId]:
        """At most ``limit`` guest buckets that lapsed at or before ``now``, locked;
        those another transaction has locked are skipped, not waited for."""
        ...

    def remove(self, guest_ids: Iterable[GuestBucketId]) -> None:
        """Remove these guest buckets (their lines must be removed first)."""
        ...


class OrderRepository(Protocol):
    """Orders with their lines."""

    def add(self, order: Order) -> None: ...

    def get(
        self,
        order_id: OrderId,
        *,
        customer_id: CustomerId | None = None,
        for_update: bool = False,
    ) -> Order | None:
        """The order, or None when it does not exist or is not ``customer_id``'s."""
        ...

    def lock_with_latest_payment(
        self, order_id: OrderId, *, customer_id: CustomerId | None = None
    ) -> tuple[Order, Payment | None] | None:
        """The order and its latest payment attempt (None if it has none), both locked,
        the order first as every payment path locks them; None when the order does not
        exist or is not ``customer_id``'s."""
        ...

    def save(self, order: Order) -> None:
        """Persist the order's status fields (lines never change)."""
        ...

    def list(
        self,
        page: PageRequest,
        *,
        customer_id: CustomerId | None = None,
        status: OrderStatus | None = None,
        shipped: bool | None = None,
    ) -> Page[Order]:
        """Orders newest first; ``shipped`` True/False: only those with/without a
        fulfilment."""
        ...


class PaymentRepository(Protocol):
    """Payment attempts and their status history."""

    def add(self, payment: Payment) -> None: ...

    def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None: ...

    def latest_for(self, order_id: OrderId, *, for_update: bool = False) -> Payment | None: ...

    def find_by_external_ref(
        self, provider: str, external_ref: str, *, for_update: bool = False
    ) -> Payment | None: ...

    def save(self, payment: Payment) -> None:
        """Persist status, reference and next action, and append new history entries."""
        ...

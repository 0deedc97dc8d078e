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
from shop_domain.bucket import BucketLine
from shop_domain.customer import Customer
from shop_domain.ids import BucketLineId, CustomerId, OrderId, PaymentId, ProductId
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import Payment
from shop_domain.product import Product


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
    """Bucket lines, always scoped to their customer."""

    def add(self, line: BucketLine) -> None: ...

    def get(
        self, line_id: BucketLineId, customer_id: CustomerId, *, for_update: bool = False
    ) -> BucketLine | None: ...

    def find(self, customer_id: CustomerId, product_id: ProductId) -> BucketLine | None: ...

    def list_for(self, customer_id: CustomerId, *, for_update: bool = False) -> list[BucketLine]:
        """Every line of the customer's bucket, oldest first."""
        ...

    def lock_with_products(
        self, customer_id: CustomerId
    ) -> tuple[list[BucketLine], dict[ProductId, Product]]:
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

    def save(self, order: Order) -> None:
        """Persist the order's status fields (lines never change)."""
        ...

    def list(
        self,
        page: PageRequest,
        *,
        customer_id: CustomerId | None = None,
        status: OrderStatus | None = None,
    ) -> Page[Order]:
        """Orders newest first."""
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

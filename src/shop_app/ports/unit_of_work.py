from __future__ import annotations

from types import TracebackType
from typing import Protocol

from shop_app.ports.events import EventRecorder
from shop_app.ports.repositories import (
    BucketRepository,
    CustomerRepository,
    OrderRepository,
    PaymentRepository,
    ProductRepository,
)


class UnitOfWork(Protocol):
    """One database transaction: ``with uow:`` opens it, ``commit()`` keeps it.

    Leaving the block without ``commit()`` (or with an exception) rolls back every
    change made through the repositories.
    """

    customers: CustomerRepository
    products: ProductRepository
    buckets: BucketRepository
    orders: OrderRepository
    payments: PaymentRepository
    events: EventRecorder  # the outbox: kept with the change, dropped with it

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def single_change(self) -> UnitOfWork:
        """The same, for a use case whose whole change is one repository call documented
        as atomic on its own: no transaction is opened around it (no BEGIN/COMMIT round
        trips), and what that call did is kept when the block ends without an exception.
        Never for two changes: they would not be kept or rolled back together."""
        ...

    def read_only(self) -> UnitOfWork:
        """The same, for a use case that only reads: no transaction is opened (each
        query sees committed data on its own), and nothing can be locked or committed."""
        ...

"""Django repositories, one module per aggregate; the SQL helpers they share are in
``sql``. Reads that precede a change lock their rows (``select_for_update``); writes go
through the unit of work's batch (``adapters.persistence.write_batch``)."""

from __future__ import annotations

from adapters.persistence.repositories.buckets import DjangoBucketRepository
from adapters.persistence.repositories.customers import DjangoCustomerRepository
from adapters.persistence.repositories.delivery import (
    DjangoAddressRepository,
    DjangoDeliveryMethodRepository,
)
from adapters.persistence.repositories.guest_buckets import DjangoGuestBucketRepository
from adapters.persistence.repositories.orders import DjangoOrderRepository
from adapters.persistence.repositories.payments import DjangoPaymentRepository
from adapters.persistence.repositories.products import DjangoProductRepository
from adapters.persistence.repositories.refunds import DjangoRefundRepository

__all__ = [
    "DjangoAddressRepository",
    "DjangoBucketRepository",
    "DjangoCustomerRepository",
    "DjangoDeliveryMethodRepository",
    "DjangoGuestBucketRepository",
    "DjangoOrderRepository",
    "DjangoPaymentRepository",
    "DjangoProductRepository",
    "DjangoRefundRepository",
]

"""Typed identifiers: a UUID per kind, so an order id cannot be passed where a product id goes."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

CustomerId = NewType("CustomerId", UUID)
ProductId = NewType("ProductId", UUID)
BucketLineId = NewType("BucketLineId", UUID)
OrderId = NewType("OrderId", UUID)
OrderLineId = NewType("OrderLineId", UUID)
PaymentId = NewType("PaymentId", UUID)
GuestBucketId = NewType("GuestBucketId", UUID)
AddressId = NewType("AddressId", UUID)
RefundId = NewType("RefundId", UUID)

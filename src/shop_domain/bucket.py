"""Bucket (cart) lines. A line holds stock for a while; after that it holds nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from shop_domain.ids import BucketLineId, CustomerId, GuestBucketId, ProductId
from shop_domain.money import Money


@attrs.frozen(kw_only=True)
class BucketOwner:
    """Whose bucket: a customer's (``customer_id``) or a guest's (``guest_id``, the
    guest bucket of a session). Exactly one of the two."""

    customer_id: CustomerId | None = None
    guest_id: GuestBucketId | None = None

    def __attrs_post_init__(self) -> None:
        if (self.customer_id is None) == (self.guest_id is None):
            raise ValueError("a bucket belongs to a customer or to a guest")

    @classmethod
    def of(cls, owner: BucketOwner | CustomerId) -> BucketOwner:
        """A customer's id stands for that customer's bucket."""
        return owner if isinstance(owner, BucketOwner) else cls(customer_id=owner)

    @property
    def is_guest(self) -> bool:
        return self.guest_id is not None


@attrs.define(kw_only=True)
class BucketLine:
    id: BucketLineId
    customer_id: CustomerId | None  # None on a guest's line
    product_id: ProductId
    quantity: int
    unit_price: Money
    reserved: int  # units this line holds on the product: quantity, or 0 once lapsed
    reserved_until: datetime
    guest_id: GuestBucketId | None = None  # the guest bucket a guest's line is in

    @classmethod
    def holding(
        cls,
        *,
        id: BucketLineId,
        customer_id: CustomerId | BucketOwner,
        product_id: ProductId,
        quantity: int,
        unit_price: Money,
        until: datetime,
    ) -> BucketLine:
        """A new line holding all its ``quantity`` units at ``unit_price`` until ``until``."""
        owner = BucketOwner.of(customer_id)
        return cls(
            id=id,
            customer_id=owner.customer_id,
            guest_id=owner.guest_id,
            product_id=product_id,
            quantity=quantity,
            unit_price=unit_price,
            reserved=quantity,
            reserved_until=until,
        )

    @property
    def owner(self) -> BucketOwner:
        return BucketOwner(customer_id=self.customer_id, guest_id=self.guest_id)

    def hand_over(self, customer_id: CustomerId) -> None:
        """A guest's line becomes ``customer_id``'s, holding what it holds (login)."""
        self.customer_id, self.guest_id = customer_id, None

    def is_lapsed(self, now: datetime) -> bool:
        return self.reserved > 0 and self.reserved_until <= now

    def holds(self, now: datetime) -> int:
        """Units this line still holds at ``now``."""
        return 0 if self.reserved_until <= now else self.reserved

    def hold(self, quantity: int, unit_price: Money, now: datetime, ttl: timedelta) -> None:
        """The line now holds ``quantity`` units at ``unit_price`` until ``now + ttl``."""
        self.quantity = quantity
        self.reserved = quantity
        self.unit_price = unit_price
        self.reserved_until = now + ttl

    def lapse(self, current_price: Money) -> int:
        """Drop the hold; returns how many units to give back to the product."""
        released, self.reserved = self.reserved, 0
        self.unit_price = current_price
        return released

    @property
    def value(self) -> Money:
        return self.unit_price * self.quantity


def ensure_line_fits(value: Money, others: Iterable[BucketLine]) -> None:
    """A line worth ``value`` may stand beside ``others`` (the bucket's other lines)
    only if its value and the bucket's total fit the shop's money (400/1000)."""
    value.ensure_fits("quantity", "the line's value")
    total = value + Money.total([line.value for line in others], value.currency)
    total.ensure_fits("quantity", "the bucket's total")

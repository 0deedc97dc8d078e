"""A guest's bucket and how it merges into a customer's bucket at login.

The rules are per product: a guest line either becomes the customer's line (no line
for that product yet), is merged into the customer's line by the strategy, or is
dropped. Held units move with the line: the product's ``reserved`` counter changes
only by the difference between what the lines held and what the merged line holds,
so no unit the guest held is ever free for someone else to take.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from shop_domain.bucket import BucketLine
from shop_domain.errors import GuestBucketLimitReached
from shop_domain.ids import BucketLineId, CustomerId, ProductId
from shop_domain.product import Product


class MergeStrategy(enum.StrEnum):
    """What a product in both buckets ends up with (SHOP_BUCKET_MERGE)."""

    SUM = "sum"
    MAX = "max"
    GUEST = "guest"  # the guest line wins
    CUSTOMER = "customer"  # the customer's line wins

    def wanted(self, guest: int, customer: int) -> int:
        """The quantity the strategy asks for, before stock has its say."""
        match self:
            case MergeStrategy.SUM:
                return guest + customer
            case MergeStrategy.MAX:
                return max(guest, customer)
            case MergeStrategy.GUEST:
                return guest
            case MergeStrategy.CUSTOMER:
                return customer

    def keeps_customer_line(self, guest: int, customer: int) -> bool:
        """Whether the customer's line stays as it is (the guest's adds nothing)."""
        return self is MergeStrategy.CUSTOMER or (self is MergeStrategy.MAX and customer >= guest)


class MergeOutcome(enum.StrEnum):
    ADDED = "added"  # the guest line became the customer's
    MERGED = "merged"  # both lines became one with the strategy's quantity
    CLAMPED = "clamped"  # as added or merged, lowered to what is available
    DROPPED = "dropped"  # product gone or sold out: the guest line is gone
    KEPT = "kept"  # the strategy kept the customer's line; the guest line is gone


@attrs.frozen(kw_only=True)
class MergedLine:
    """What the merge did with one product of the guest bucket."""

    product_id: ProductId
    guest_quantity: int
    customer_quantity: int  # 0 when the customer had no line for the product
    quantity: int  # the customer's line's quantity afterwards (0: no line)
    outcome: MergeOutcome


@attrs.frozen(kw_only=True)
class LineMerge:
    """One guest line's merge: the report, the line to keep, the guest line to remove."""

    report: MergedLine
    kept: BucketLine | None
    removed: BucketLineId | None


def ensure_guest_room(units: int, limit: int) -> None:
    """A guest bucket may hold ``units`` units in all only within ``limit`` (409/1046)."""
    if units > limit:
        raise GuestBucketLimitReached(details={"limit": limit})


def _let_lapsed_go(line: BucketLine | None, product: Product | None, now: datetime) -> None:
    if line is not None and line.is_lapsed(now):
        released = line.lapse(product.price if product else line.unit_price)
        if product is not None:
            product.release(released)


def merge_line(
    *,
    guest: BucketLine,
    mine: BucketLine | None,
    product: Product | None,
    strategy: MergeStrategy,
    customer_id: CustomerId,
    now: datetime,
    ttl: timedelta,
) -> LineMerge:
    """Merge the guest line ``guest`` into ``customer_id``'s bucket, whose line for the
    same product is ``mine`` (or None); ``product`` is that product, locked (None when
    it no longer exists). The product's counters and both lines are changed in place;
    the caller saves them."""
    g, c = guest.quantity, mine.quantity if mine is not None else 0
    _let_lapsed_go(guest, product, now)
    _let_lapsed_go(mine, product, now)

    def report(quantity: int, outcome: MergeOutcome) -> MergedLine:
        return MergedLine(
            product_id=guest.product_id,
            guest_quantity=g,
            customer_quantity=c,
            quantity=quantity,
            outcome=outcome,
        )

    def without_guest(outcome: MergeOutcome) -> LineMerge:
        if product is not None:
            product.release(guest.lapse(product.price))
        return LineMerge(report=report(c, outcome), kept=mine, removed=guest.id)

    if product is None or not product.active:
        return without_guest(MergeOutcome.DROPPED)
    if mine is not None and strategy.keeps_customer_line(g, c):
        return without_guest(MergeOutcome.KEPT)
    target = strategy.wanted(g, c) if mine is not None else g
    held = guest.reserved + (mine.reserved if mine is not None else 0)
    quantity = min(target, product.available + held)
    if quantity <= 0:  # sold out (and so neither line holds anything)
        return without_guest(MergeOutcome.DROPPED)
    # Only the difference reaches the counter: the held units never become available.
    if quantity >= held:
        product.reserve(quantity - held)
    else:
        product.release(held - quantity)
    if quantity < target:
        outcome = MergeOutcome.CLAMPED
    else:
        outcome = MergeOutcome.ADDED if mine is None else MergeOutcome.MERGED
    if mine is None:
        guest.hand_over(customer_id)
        guest.hold(quantity, product.price, now, ttl)
        return LineMerge(report=report(quantity, outcome), kept=guest, removed=None)
    guest.reserved = 0  # its units are mine's now
    mine.hold(quantity, product.price, now, ttl)
    return LineMerge(report=report(quantity, outcome), kept=mine, removed=guest.id)

"""Holding stock for a new bucket line, as one change that stands on its own."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shop_domain.bucket import BucketLine
from shop_domain.ids import BucketLineId, CustomerId, ProductId
from shop_domain.money import Money
from shop_domain.product import Product


class StockHolds(Protocol):
    """Units of a product held for a customer's new bucket line.

    Called outside any unit of work: the operation is atomic by itself (both the
    line and the product's reservation are kept, or neither), and it is kept at
    once, with no commit.
    """

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
        """Add a line holding ``quantity`` units of the product until ``until``, at the
        product's current price, and reserve those units on the product: both or
        neither. Only if the customer has no line for the product yet, the product can
        hold that many more units right now (``Product.can_hold``), and the new line's
        value plus the customer's other lines' values is at most ``within``; otherwise
        nothing changes and the answer is None (the caller finds out why under a lock).
        A line for the product added concurrently raises ProductAlreadyInBucket.
        Returns the new line and the product as it is after the reservation."""
        ...

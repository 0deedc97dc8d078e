"""A product of the catalog with its stock.

Stock bookkeeping: ``stock`` is what the shop holds on hand (not yet sold);
``reserved`` is the part of it held by bucket lines. ``available`` is what
anyone can still put in a bucket. Selling takes units off ``stock``.
"""

from __future__ import annotations

import enum

import attrs

from shop_domain.errors import NotEnoughStock, ProductNotAvailable
from shop_domain.ids import ProductId
from shop_domain.money import Money


class ProductStatus(enum.StrEnum):
    NEW = "new"
    PROMOTIONS = "promotions"
    SALES = "sales"


def _non_negative(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0")


@attrs.define(kw_only=True)
class Product:
    id: ProductId
    name: str
    price: Money
    description: str = ""
    product_type: str = ""
    status: ProductStatus = ProductStatus.NEW
    active: bool = True
    stock: int = attrs.field(default=0, validator=_non_negative)
    reserved: int = attrs.field(default=0, validator=_non_negative)

    @property
    def available(self) -> int:
        return self.stock - self.reserved

    def can_hold(self, quantity: int) -> bool:
        """Whether ``reserve(quantity)`` would succeed now."""
        return self.active and quantity <= self.available

    def ensure_sellable(self) -> None:
        if not self.active:
            raise ProductNotAvailable(details={"product": str(self.id)})

    def reserve(self, quantity: int) -> None:
        """Hold ``quantity`` units for a bucket line."""
        self.ensure_sellable()
        if quantity > self.available:
            if self.available <= 0:
                raise ProductNotAvailable(details={"product": str(self.id), "available": 0})
            raise NotEnoughStock(details={"product": str(self.id), "available": self.available})
        self.reserved += quantity

    def release(self, quantity: int) -> None:
        """Give back units a bucket line held."""
        if quantity > self.reserved:
            raise ValueError("cannot release more than is reserved")
        self.reserved -= quantity

    def sell_reserved(self, quantity: int) -> None:
        """Units held by a bucket line become sold."""
        self.release(quantity)
        self.stock -= quantity

    def sell(self, quantity: int) -> None:
        """Units not held by anyone become sold (a line whose reservation lapsed)."""
        self.ensure_sellable()
        if quantity > self.available:
            raise NotEnoughStock(details={"product": str(self.id), "available": self.available})
        self.stock -= quantity

    def take_back(self, quantity: int) -> None:
        """Sold units come back on hand (a canceled or failed order)."""
        self.stock += quantity

    def set_stock(self, stock: int) -> None:
        """Staff set what is on hand; it can never drop below what buckets hold."""
        if stock < self.reserved:
            raise NotEnoughStock(
                "stock cannot be lower than what buckets hold",
                details={"stock": f"at least {self.reserved} units are reserved"},
            )
        self.stock = stock

"""Addresses, delivery methods and an order's frozen delivery and fulfilment.

An address here is already valid: the country formats (postal codes, phone numbers)
are checked by the ``AddressRules`` port before one is made.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

import attrs

from shop_domain.errors import ValidationFailed
from shop_domain.ids import AddressId, CustomerId
from shop_domain.money import Money

# A parcel-locker or pickup-point code, as the contract names it.
POINT_ID = re.compile(r"[A-Z0-9-]{3,32}")
# A delivery method's code: what orders and staff routes name it by.
METHOD_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


class DeliveryKind(enum.StrEnum):
    COURIER = "courier"  # to an address
    PICKUP_POINT = "pickup_point"  # to a parcel locker or pickup point
    STORE_PICKUP = "store_pickup"  # collected at the shop

    @property
    def needs_address(self) -> bool:
        return self is DeliveryKind.COURIER

    @property
    def needs_point(self) -> bool:
        return self is DeliveryKind.PICKUP_POINT


@attrs.frozen(kw_only=True)
class Address:
    """Where a parcel goes; ``country`` is ISO 3166-1 alpha-2, ``phone`` E.164 or ''."""

    name: str
    street: str
    postal_code: str
    city: str
    country: str
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Address:
        return cls(
            name=data["name"],
            street=data["street"],
            postal_code=data["postal_code"],
            city=data["city"],
            country=data["country"],
            phone=data.get("phone", ""),
        )


@attrs.define(kw_only=True)
class SavedAddress:
    """An entry of a customer's address book."""

    id: AddressId
    customer_id: CustomerId
    address: Address
    is_default: bool = False
    created_at: datetime | None = None


@attrs.define(kw_only=True)
class DeliveryMethod:
    """A way to deliver, managed by staff: what it costs and what it needs."""

    code: str
    name: str
    kind: DeliveryKind
    price: Money
    free_from: Money | None = None  # an items total from which delivery costs nothing
    active: bool = True

    def price_for(self, items_total: Money) -> Money:
        if self.free_from is not None and self.free_from <= items_total:
            return Money.zero(self.price.currency)
        return self.price

    def ensure_valid(self) -> None:
        problems: dict[str, list[str]] = {}
        if not METHOD_CODE.fullmatch(self.code):
            problems["code"] = ["1-32 of a-z, 0-9, '_', '-', starting with a letter or digit"]
        if not self.name.strip():
            problems["name"] = ["may not be blank"]
        if self.price.amount < 0:
            problems["price"] = ["may not be negative"]
        if self.free_from is not None and self.free_from.amount < 0:
            problems["free_from"] = ["may not be negative"]
        if problems:
            raise ValidationFailed(details=problems)


@attrs.frozen(kw_only=True)
class OrderDelivery:
    """The delivery as the order was placed: a copy, untouched by later edits of the
    method or the address."""

    method: str
    name: str
    kind: DeliveryKind
    price: Money
    address: Address | None = None
    point_id: str | None = None

    @classmethod
    def choose(
        cls,
        method: DeliveryMethod,
        *,
        items_total: Money,
        address: Address | None,
        point_id: str | None,
    ) -> OrderDelivery:
        """Freeze ``method`` for an order; what the method needs is required (400/1000
        naming the field), what it does not need is dropped."""
        kind = method.kind
        if kind.needs_address and address is None:
            raise ValidationFailed(details={"address": [f"required for a {kind.value} delivery"]})
        if kind.needs_point:
            if not point_id:
                raise ValidationFailed(details={"point_id": ["required for a pickup point"]})
            if not POINT_ID.fullmatch(point_id):
                raise ValidationFailed(details={"point_id": ["3-32 of A-Z, 0-9 and '-'"]})
        return cls(
            method=method.code,
            name=method.name,
            kind=kind,
            price=method.price_for(items_total),
            address=address if kind.needs_address else None,
            point_id=point_id if kind.needs_point else None,
        )


class FulfilmentStatus(enum.StrEnum):
    SHIPPED = "shipped"


@attrs.frozen(kw_only=True)
class Fulfilment:
    status: FulfilmentStatus
    carrier: str
    tracking_number: str
    shipped_at: datetime

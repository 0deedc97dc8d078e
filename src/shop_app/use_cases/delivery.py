"""Addresses and delivery: the address book, the delivery methods, choosing a delivery
for an order, and staff marking an order shipped."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from shop_app.ports.clock import Clock
from shop_app.ports.delivery import AddressRules
from shop_app.ports.events import EventType
from shop_app.ports.id_source import IdSource
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import OrderView
from shop_app.settings import ShopSettings
from shop_domain.delivery import (
    Address,
    DeliveryKind,
    DeliveryMethod,
    OrderDelivery,
    SavedAddress,
)
from shop_domain.errors import (
    AddressNotFound,
    DeliveryMethodNotAvailable,
    DeliveryMethodNotFound,
    OrderNotFound,
    ValidationFailed,
)
from shop_domain.ids import AddressId, CustomerId, OrderId
from shop_domain.money import Money

# An order's address: the uuid of one of the caller's, or the fields of an inline one.
AddressChoice = AddressId | Mapping[str, Any] | None


@attrs.frozen(kw_only=True)
class DeliveryChoice:
    """What the customer asked for when placing an order."""

    method: str
    address: AddressChoice = None
    point_id: str | None = None


def choose_delivery(
    uow: UnitOfWork,
    rules: AddressRules | None,
    *,
    choice: DeliveryChoice,
    customer_id: CustomerId,
    items_total: Money,
) -> OrderDelivery:
    """The delivery ``choice`` frozen for an order, inside the order's unit of work: the
    method must exist and be active now (400/1011), a saved address must be the
    caller's (404/1010), an inline one valid (400/1000)."""
    saved_id = choice.address if not isinstance(choice.address, Mapping) else None
    method, saved = uow.delivery_methods.choose(
        choice.method, address_id=saved_id, customer_id=customer_id
    )
    if method is None or not method.active:
        raise DeliveryMethodNotAvailable(details={"delivery_method": choice.method})
    if saved_id is not None and saved is None:
        raise AddressNotFound()  # also when the method would not use it
    address: Address | None = None
    if method.kind.needs_address:
        if isinstance(choice.address, Mapping):
            address = _checked(rules, choice.address, field="address")
        elif saved is not None:
            address = saved.address
    return OrderDelivery.choose(
        method, items_total=items_total, address=address, point_id=choice.point_id
    )


def _checked(rules: AddressRules | None, fields: Mapping[str, Any], *, field: str) -> Address:
    if rules is None:
        raise RuntimeError("inline addresses need the AddressRules port")
    try:
        return rules.check(fields)
    except ValidationFailed as failed:
        raise ValidationFailed(details={field: failed.details}) from None


# --- the address book -------------------------------------------------------------
class ListAddresses:
    """A page of the caller's addresses, oldest first."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, customer_id: CustomerId, page: PageRequest) -> Page[SavedAddress]:
        with self._uow.read_only() as uow:
            return uow.addresses.list(page, customer_id=customer_id)


class GetAddress:
    """One of the caller's addresses (another customer's is not found)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, customer_id: CustomerId, address_id: AddressId) -> SavedAddress:
        with self._uow.read_only() as uow:
            found = uow.addresses.get(address_id, customer_id=customer_id)
        if found is None:
            raise AddressNotFound()
        return found


class SaveAddress:
    """Add an address to the caller's book (``address_id`` None) or replace one; the
    one marked ``is_default`` becomes the only default."""

    def __init__(self, uow: UnitOfWork, ids: IdSource, clock: Clock, rules: AddressRules):
        self._uow, self._ids, self._clock, self._rules = uow, ids, clock, rules

    def __call__(
        self,
        *,
        customer_id: CustomerId,
        fields: Mapping[str, Any],
        is_default: bool | None = False,
        address_id: AddressId | None = None,
    ) -> SavedAddress:
        """``is_default`` None keeps a replaced address's flag (False for a new one)."""
        address = self._rules.check(fields)  # before any lock: a refusal changes nothing
        with self._uow as uow:
            if is_default:
                uow.addresses.lock_book(customer_id)
            if address_id is None:
                entry = SavedAddress(
                    id=AddressId(self._ids.new_id()),
                    customer_id=customer_id,
                    address=address,
                    is_default=bool(is_default),
                    created_at=self._clock.now(),
                )
                if is_default:
                    uow.addresses.clear_default(customer_id, keep=entry.id)
                uow.addresses.add(entry)
            else:
                found = uow.addresses.get(address_id, customer_id=customer_id)
                if found is None:
                    raise AddressNotFound()
                keep = found.is_default if is_default is None else is_default
                entry = attrs.evolve(found, address=address, is_default=keep)
                if entry.is_default:
                    uow.addresses.clear_default(customer_id, keep=entry.id)
                uow.addresses.save(entry)
            uow.commit()
        return entry


class RemoveAddress:
    """Remove one of the caller's addresses; orders keep their own copies."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, customer_id: CustomerId, address_id: AddressId) -> None:
        with self._uow as uow:
            if uow.addresses.get(address_id, customer_id=customer_id) is None:
                raise AddressNotFound()
            uow.addresses.remove(address_id)
            uow.commit()


# --- delivery methods ---------------------------------------------------------------
class ListDeliveryMethods:
    """Delivery methods, cheapest first: the active ones (public), or all (staff)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, page: PageRequest, active_only: bool = True) -> Page[DeliveryMethod]:
        with self._uow.read_only() as uow:
            return uow.delivery_methods.list(page, active_only=active_only)


class GetDeliveryMethod:
    """One delivery method by code (staff; inactive ones too)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, code: str) -> DeliveryMethod:
        with self._uow.read_only() as uow:
            found = uow.delivery_methods.get(code)
        if found is None:
            raise DeliveryMethodNotFound()
        return found


def _money(value: Decimal | None, currency: str, field: str) -> Money | None:
    if value is None:
        return None
    money = Money(value, currency)
    money.ensure_fits(field, "the amount")
    return money


class CreateDeliveryMethod:
    """A new delivery method (staff); its code must be new."""

    def __init__(self, uow: UnitOfWork, settings: ShopSettings):
        self._uow, self._settings = uow, settings

    def __call__(
        self,
        *,
        code: str,
        name: str,
        kind: str,
        price: Decimal,
        free_from: Decimal | None = None,
        active: bool = True,
    ) -> DeliveryMethod:
        currency = self._settings.currency
        method = DeliveryMethod(
            code=code,
            name=name,
            kind=DeliveryKind(kind),
            price=_money(price, currency, "price") or Money.zero(currency),
            free_from=_money(free_from, currency, "free_from"),
            active=active,
        )
        method.ensure_valid()
        with self._uow as uow:
            if uow.delivery_methods.get(code) is not None:
                raise ValidationFailed(
                    details={"code": ["a delivery method with this code exists"]}
                )
            uow.delivery_methods.add(method)
            uow.commit()
        return method


class UpdateDeliveryMethod:
    """Change a delivery method (staff): the fields given; orders keep their copies."""

    def __init__(self, uow: UnitOfWork, settings: ShopSettings):
        self._uow, self._settings = uow, settings

    def __call__(self, *, code: str, **changes: Any) -> DeliveryMethod:
        currency = self._settings.currency
        with self._uow as uow:
            method = uow.delivery_methods.get(code)
            if method is None:
                raise DeliveryMethodNotFound()
            if "name" in changes:
                method.name = changes["name"]
            if "kind" in changes:
                method.kind = DeliveryKind(changes["kind"])
            if "price" in changes:
                method.price = _money(changes["price"], currency, "price") or method.price
            if "free_from" in changes:
                method.free_from = _money(changes["free_from"], currency, "free_from")
            if "active" in changes:
                method.active = bool(changes["active"])
            method.ensure_valid()
            uow.delivery_methods.save(method)
            uow.commit()
        return method


class DeactivateDeliveryMethod:
    """Staff's delete: the method is no longer offered (orders placed with it stay)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, code: str) -> None:
        with self._uow as uow:
            method = uow.delivery_methods.get(code)
            if method is None:
                raise DeliveryMethodNotFound()
            method.active = False
            uow.delivery_methods.save(method)
            uow.commit()


# --- fulfilment ---------------------------------------------------------------------
class FulfilOrder:
    """Staff mark a paid order shipped (with carrier and tracking number); the
    ``order.shipped`` event goes with the change, and with it the "shipped" e-mail."""

    def __init__(self, uow: UnitOfWork, clock: Clock):
        self._uow, self._clock = uow, clock

    def __call__(
        self, *, order_id: OrderId, carrier: str = "", tracking_number: str = ""
    ) -> OrderView:
        with self._uow as uow:
            order = uow.orders.get(order_id, for_update=True)
            if order is None:
                raise OrderNotFound()
            now = self._clock.now()
            order.ship(carrier=carrier, tracking_number=tracking_number, at=now)
            uow.orders.save(order)
            view = OrderView.of(order)
            uow.events.record(EventType.ORDER_SHIPPED, order_id=order.id, subject=view, at=now)
            uow.commit()
        return view

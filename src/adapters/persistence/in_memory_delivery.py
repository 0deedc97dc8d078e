"""In-memory address books and delivery methods (the Django ones' twins)."""

from __future__ import annotations

from typing import Any

from shop_app.ports.paging import Page, PageRequest
from shop_domain.delivery import DeliveryMethod, SavedAddress
from shop_domain.errors import ValidationFailed
from shop_domain.ids import AddressId, CustomerId


class InMemoryAddressRepository:
    def __init__(self, t: Any, access: Any):
        self._t, self._access = t, access

    def add(self, entry: SavedAddress) -> None:
        self._access.write()
        self._t.addresses[entry.id] = entry
        self._check_one_default(entry.customer_id)

    def get(self, address_id: AddressId, *, customer_id: CustomerId) -> SavedAddress | None:
        found = self._t.addresses.get(address_id)
        return found if found is not None and found.customer_id == customer_id else None

    def list(self, page: PageRequest, *, customer_id: CustomerId) -> Page[SavedAddress]:
        found = [a for a in self._t.addresses.values() if a.customer_id == customer_id]
        return Page(found[page.offset : page.offset + page.size], len(found))

    def save(self, entry: SavedAddress) -> None:
        self._access.write()
        self._t.addresses[entry.id] = entry
        self._check_one_default(entry.customer_id)

    def remove(self, address_id: AddressId) -> None:
        self._access.write()
        self._t.addresses.pop(address_id, None)

    def lock_book(self, customer_id: CustomerId) -> None:
        self._access.lock()  # the store's lock already serialises units of work

    def clear_default(self, customer_id: CustomerId, *, keep: AddressId) -> None:
        self._access.write()
        for key, entry in list(self._t.addresses.items()):
            if entry.customer_id == customer_id and entry.id != keep and entry.is_default:
                entry.is_default = False
                self._t.addresses[key] = entry

    def _check_one_default(self, customer_id: CustomerId) -> None:
        # The database's partial unique index, here: a bug if it ever fires.
        defaults = [
            a for a in self._t.addresses.values() if a.customer_id == customer_id and a.is_default
        ]
        if len(defaults) > 1:
            raise AssertionError("two default addresses")


class InMemoryDeliveryMethodRepository:
    def __init__(self, t: Any, access: Any):
        self._t, self._access = t, access

    def add(self, method: DeliveryMethod) -> None:
        self._access.write()
        if method.code in self._t.delivery_methods:
            raise ValidationFailed(details={"code": ["a delivery method with this code exists"]})
        self._t.delivery_methods[method.code] = method

    def get(self, code: str) -> DeliveryMethod | None:
        return self._t.delivery_methods.get(code)

    def list(self, page: PageRequest, *, active_only: bool) -> Page[DeliveryMethod]:
        found = sorted(
            (m for m in self._t.delivery_methods.values() if m.active or not active_only),
            key=lambda m: (m.price.amount, m.code),
        )
        return Page(found[page.offset : page.offset + page.size], len(found))

    def save(self, method: DeliveryMethod) -> None:
        self._access.write()
        self._t.delivery_methods[method.code] = method

    def choose(
        self, code: str, *, address_id: AddressId | None, customer_id: CustomerId
    ) -> tuple[DeliveryMethod | None, SavedAddress | None]:
        address = (
            InMemoryAddressRepository(self._t, self._access).get(
                address_id, customer_id=customer_id
            )
            if address_id is not None
            else None
        )
        return self.get(code), address

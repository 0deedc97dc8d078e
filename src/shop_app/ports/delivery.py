"""Ports of addresses and delivery: the address book, the delivery methods, and the
rules that say what a valid address of a country looks like."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from shop_app.ports.paging import Page, PageRequest
from shop_domain.delivery import Address, DeliveryMethod, SavedAddress
from shop_domain.ids import AddressId, CustomerId


class AddressRules(Protocol):
    """What an address must look like, per country."""

    def check(self, fields: Mapping[str, Any]) -> Address:
        """The address these fields describe, normalised (country upper case, postal
        code in the country's format, phone in E.164); ValidationFailed with a message
        per field otherwise. ``fields`` are the contract's ``name``, ``street``,
        ``postal_code``, ``city``, ``country`` (default: the shop's country) and
        ``phone``."""
        ...


class AddressRepository(Protocol):
    """The customers' address books. Every read is scoped to one customer: another
    customer's address is not found."""

    def add(self, entry: SavedAddress) -> None: ...

    def get(self, address_id: AddressId, *, customer_id: CustomerId) -> SavedAddress | None: ...

    def list(self, page: PageRequest, *, customer_id: CustomerId) -> Page[SavedAddress]:
        """The customer's addresses, oldest first."""
        ...

    def save(self, entry: SavedAddress) -> None: ...

    def remove(self, address_id: AddressId) -> None: ...

    def lock_book(self, customer_id: CustomerId) -> None:
        """Serialise changes of this customer's default address until the unit of
        work ends (two requests making different addresses default)."""
        ...

    def clear_default(self, customer_id: CustomerId, *, keep: AddressId) -> None:
        """No address of the customer but ``keep`` is the default any more."""
        ...


class DeliveryMethodRepository(Protocol):
    """Delivery methods by code."""

    def add(self, method: DeliveryMethod) -> None:
        """Add a new method; ValidationFailed (``details.code``) if the code is taken."""
        ...

    def get(self, code: str) -> DeliveryMethod | None: ...

    def list(self, page: PageRequest, *, active_only: bool) -> Page[DeliveryMethod]:
        """Methods cheapest first (then by code)."""
        ...

    def save(self, method: DeliveryMethod) -> None: ...

    def choose(
        self, code: str, *, address_id: AddressId | None, customer_id: CustomerId
    ) -> tuple[DeliveryMethod | None, SavedAddress | None]:
        """For placing an order: the method named ``code`` (any state) and, when
        ``address_id`` is given, that address if it is ``customer_id``'s."""
        ...

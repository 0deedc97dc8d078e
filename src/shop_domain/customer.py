"""A customer account: identity and profile. The password hash never leaves persistence."""

from __future__ import annotations

import attrs

from shop_domain.ids import CustomerId


@attrs.define(kw_only=True)
class Customer:
    id: CustomerId
    username: str
    email: str
    password_hash: str = attrs.field(repr=False)
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    city: str = ""
    is_staff: bool = False

    def update_profile(
        self,
        *,
        username: str,
        email: str,
        first_name: str,
        last_name: str,
        phone: str,
        city: str,
    ) -> None:
        self.username = username
        self.email = email
        self.first_name = first_name
        self.last_name = last_name
        self.phone = phone
        self.city = city

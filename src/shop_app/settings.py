"""The few business settings the use cases need."""

from __future__ import annotations

from datetime import timedelta

import attrs


@attrs.frozen(kw_only=True)
class ShopSettings:
    currency: str = "PLN"
    reservation_ttl: timedelta = timedelta(minutes=30)

"""The few business settings the use cases need."""

from __future__ import annotations

from datetime import timedelta

import attrs

from shop_domain.guest_bucket import MergeStrategy


@attrs.frozen(kw_only=True)
class ShopSettings:
    currency: str = "PLN"
    reservation_ttl: timedelta = timedelta(minutes=30)
    guest_reservation_ttl: timedelta = timedelta(minutes=15)
    guest_max_units: int = 10  # units one guest bucket may hold in all
    guest_bucket_ttl: timedelta = timedelta(days=14)  # a guest bucket's life after its last change
    bucket_merge: MergeStrategy = MergeStrategy.SUM

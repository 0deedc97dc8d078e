"""Merging a guest's bucket into the customer's at login."""

from __future__ import annotations

from shop_app.ports.clock import Clock
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.settings import ShopSettings
from shop_domain.bucket import BucketOwner
from shop_domain.guest_bucket import MergedLine, merge_line
from shop_domain.ids import CustomerId, GuestBucketId


class MergeGuestBucket:
    """Move the guest bucket ``guest_id`` into ``customer_id``'s bucket, one product at
    a time by the configured strategy (``ShopSettings.bucket_merge``), in one
    transaction; the guest bucket is then gone. Returns what happened per product of
    the guest bucket ([] when it was empty or is already gone: a second tab logging in
    with the same session merges nothing twice).

    Lock order, the shop's usual one: the guest bucket, its lines, the customer's lines,
    then their products in id order. The units a guest line holds stay held: they move
    to the customer's line (see ``merge_line``).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: ShopSettings):
        self._uow, self._clock, self._settings = uow, clock, settings

    def __call__(self, *, guest_id: GuestBucketId, customer_id: CustomerId) -> list[MergedLine]:
        with self._uow as uow:
            if not uow.guest_buckets.lock(guest_id):
                return []
            guest_lines = uow.buckets.list_for(BucketOwner(guest_id=guest_id), for_update=True)
            mine = {ln.product_id: ln for ln in uow.buckets.list_for(customer_id, for_update=True)}
            products = uow.products.lock({line.product_id for line in guest_lines})
            now = self._clock.now()
            merges = [
                merge_line(
                    guest=line,
                    mine=mine.get(line.product_id),
                    product=products.get(line.product_id),
                    strategy=self._settings.bucket_merge,
                    customer_id=customer_id,
                    now=now,
                    ttl=self._settings.reservation_ttl,
                )
                for line in guest_lines
            ]
            uow.buckets.remove([m.removed for m in merges if m.removed is not None])
            uow.buckets.save([m.kept for m in merges if m.kept is not None])
            uow.products.save_stock(products.values())
            uow.guest_buckets.remove([guest_id])
            uow.commit()
        return [m.report for m in merges]

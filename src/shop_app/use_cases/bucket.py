"""The bucket: adding, changing and removing lines, each holding stock for a while."""

from __future__ import annotations

from datetime import timedelta

from shop_app.ports.clock import Clock
from shop_app.ports.id_source import IdSource
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.stock_holds import StockHolds
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import BucketLineView, BucketView
from shop_app.settings import ShopSettings
from shop_domain.bucket import BucketLine, BucketOwner, ensure_line_fits
from shop_domain.errors import (
    BucketLineNotFound,
    NotEnoughStock,
    ProductAlreadyInBucket,
    ProductNotAvailable,
    ValidationFailed,
)
from shop_domain.guest_bucket import ensure_guest_room
from shop_domain.ids import BucketLineId, CustomerId, GuestBucketId, ProductId
from shop_domain.money import MAX_AMOUNT, Money
from shop_domain.product import Product


def release_lapsed_holds(uow: UnitOfWork, product: Product, clock: Clock) -> None:
    """Lazy expiry: give ``product`` back what lapsed bucket lines still count as held."""
    lapsed = uow.buckets.lapsed(clock.now(), limit=1000, product_ids=[product.id])
    for line in lapsed:
        product.release(line.lapse(product.price))
    if lapsed:
        uow.buckets.save(lapsed)


def let_lapsed_lines_go(uow: UnitOfWork, lines: list[BucketLine]) -> None:
    """These locked, lapsed lines give their units back to their products."""
    products = uow.products.lock({line.product_id for line in lines})
    for line in lines:
        product = products[line.product_id]
        product.release(line.lapse(product.price))
    uow.buckets.save(lines)
    uow.products.save_stock(products.values())


def _reserve(uow: UnitOfWork, product: Product, quantity: int, clock: Clock) -> None:
    """Reserve, first reclaiming lapsed holds when the product looks short."""
    product.ensure_sellable()
    if quantity > product.available:
        release_lapsed_holds(uow, product, clock)
    product.reserve(quantity)


def _lock_guest_bucket(uow: UnitOfWork, owner: BucketOwner) -> None:
    """A guest bucket's row is locked before its lines: the lock that serialises one
    guest's changes (so its unit limit holds) and the merge at login."""
    if owner.guest_id is not None and not uow.guest_buckets.lock(owner.guest_id):
        raise BucketLineNotFound()


def _ttl(settings: ShopSettings, owner: BucketOwner) -> timedelta:
    return settings.guest_reservation_ttl if owner.is_guest else settings.reservation_ttl


class GetBucket:
    """The caller's bucket: a page of lines and the total of all of them.

    Reading is also when lapsed holds are let go (lazy expiry): a line whose
    reservation ran out gives its units back, so the catalog shows them again
    without waiting for the expiry job. Only then does the read write anything.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: ShopSettings):
        self._uow, self._clock, self._settings = uow, clock, settings

    def __call__(
        self,
        *,
        customer_id: CustomerId | None = None,
        guest_id: GuestBucketId | None = None,
        page: PageRequest,
    ) -> BucketView:
        owner = BucketOwner(customer_id=customer_id, guest_id=guest_id)
        with self._uow.read_only() as uow:
            lines = uow.buckets.list_for(owner)
            lapsed = any(line.is_lapsed(self._clock.now()) for line in lines)
            if not lapsed:
                names = uow.products.names([line.product_id for line in lines])
        if lapsed:
            with self._uow as uow:
                lines = self._release_lapsed(uow, owner)
                names = uow.products.names([line.product_id for line in lines])
                uow.commit()
        total = Money.total([line.value for line in lines], self._settings.currency)
        chosen = lines[page.offset : page.offset + page.size]
        views = [BucketLineView.of(line, names.get(line.product_id, "")) for line in chosen]
        return BucketView(lines=Page(views, len(lines)), total=total)

    def _release_lapsed(self, uow: UnitOfWork, owner: BucketOwner) -> list[BucketLine]:
        # (A guest bucket,) lines, then products: the lock order every bucket use case
        # follows.
        if owner.guest_id is not None and not uow.guest_buckets.lock(owner.guest_id):
            return []
        lines = uow.buckets.list_for(owner, for_update=True)
        now = self._clock.now()
        let_lapsed_lines_go(uow, [line for line in lines if line.is_lapsed(now)])
        return lines


class AddToBucket:
    """Put a product in the bucket, reserving ``quantity`` units.

    A customer's bucket (``customer_id``) or a guest's (``guest_id``: started by its
    first add; its lines hold stock for the guest reservation time, and it holds at
    most ``guest_max_units`` units in all, 409/1046).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        holds: StockHolds,
        ids: IdSource,
        clock: Clock,
        settings: ShopSettings,
    ):
        self._uow, self._holds, self._ids = uow, holds, ids
        self._clock, self._settings = clock, settings

    def __call__(
        self,
        *,
        customer_id: CustomerId | None = None,
        guest_id: GuestBucketId | None = None,
        product_id: ProductId,
        quantity: int,
    ) -> BucketLineView:
        if quantity < 1:
            raise ValidationFailed(details={"quantity": ["must be at least 1"]})
        line_id = BucketLineId(self._ids.new_id())
        if guest_id is not None or customer_id is None:
            return self._add_for_guest(
                BucketOwner(customer_id=customer_id, guest_id=guest_id),
                line_id,
                product_id,
                quantity,
            )
        # The usual case, in one atomic change of its own: the product has the units,
        # the line is new.
        held = self._holds.hold_new_line(
            line_id=line_id,
            customer_id=customer_id,
            product_id=product_id,
            quantity=quantity,
            until=self._clock.now() + self._settings.reservation_ttl,
            within=Money(MAX_AMOUNT, self._settings.currency),
        )
        if held is not None:
            line, product = held
            return BucketLineView.of(line, product.name)
        # Otherwise, under the product's lock: reclaim lapsed holds, or say what is wrong.
        with self._uow as uow:
            others = [ln for ln in uow.buckets.list_for(customer_id) if ln.product_id != product_id]
            view = self._add_locked(uow, BucketOwner(customer_id=customer_id), line_id,
                                    product_id, quantity, others)  # fmt: skip
            uow.commit()
        return view

    def _add_for_guest(
        self, owner: BucketOwner, line_id: BucketLineId, product_id: ProductId, quantity: int
    ) -> BucketLineView:
        assert owner.guest_id is not None
        with self._uow as uow:
            lapses_at = self._clock.now() + self._settings.guest_bucket_ttl
            uow.guest_buckets.start_or_lock(owner.guest_id, lapses_at=lapses_at)
            lines = uow.buckets.list_for(owner, for_update=True)
            if any(ln.product_id == product_id for ln in lines):
                raise ProductAlreadyInBucket()
            ensure_guest_room(
                sum(ln.quantity for ln in lines) + quantity, self._settings.guest_max_units
            )
            view = self._add_locked(uow, owner, line_id, product_id, quantity, lines)
            uow.commit()
        return view

    def _add_locked(
        self,
        uow: UnitOfWork,
        owner: BucketOwner,
        line_id: BucketLineId,
        product_id: ProductId,
        quantity: int,
        others: list[BucketLine],
    ) -> BucketLineView:
        # A second line for the product is refused by the repository (a unique key in
        # the database), which rolls the whole change back.
        product = uow.products.lock([product_id]).get(product_id)
        if product is None:
            raise ProductNotAvailable(details={"product": str(product_id)})
        ensure_line_fits(product.price * quantity, others)
        _reserve(uow, product, quantity, self._clock)
        line = BucketLine.holding(
            id=line_id,
            customer_id=owner,
            product_id=product_id,
            quantity=quantity,
            unit_price=product.price,
            until=self._clock.now() + _ttl(self._settings, owner),
        )
        uow.buckets.add(line)
        uow.products.save_stock([product])
        return BucketLineView.of(line, product.name)


class ChangeBucketQuantity:
    """Set a line's quantity; the hold follows (and is refreshed). Zero removes the line.

    Returns the line, or None when it was removed.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: ShopSettings):
        self._uow, self._clock, self._settings = uow, clock, settings

    def __call__(
        self,
        *,
        customer_id: CustomerId | None = None,
        guest_id: GuestBucketId | None = None,
        line_id: BucketLineId,
        quantity: int,
    ) -> BucketLineView | None:
        if quantity < 0:
            raise ValidationFailed(details={"quantity": ["must be at least 0"]})
        owner = BucketOwner(customer_id=customer_id, guest_id=guest_id)
        with self._uow as uow:
            _lock_guest_bucket(uow, owner)
            # All the customer's lines, locked (in the statement that finds this one):
            # the bucket's total is checked against them, and no concurrent change of
            # another line of the same bucket can slip past that check.
            lines = uow.buckets.list_for(owner, for_update=True)
            line = next((ln for ln in lines if ln.id == line_id), None)
            if line is None:
                raise BucketLineNotFound()
            product = uow.products.lock([line.product_id])[line.product_id]
            now = self._clock.now()
            if quantity == 0:
                product.release(line.reserved)
                uow.buckets.remove([line.id])
                uow.products.save_stock([product])
                uow.commit()
                return None
            others = [ln for ln in lines if ln.id != line.id]
            ensure_line_fits(product.price * quantity, others)
            if owner.is_guest:
                units = sum(ln.quantity for ln in others) + quantity
                ensure_guest_room(units, self._settings.guest_max_units)
            if line.is_lapsed(now):
                product.release(line.lapse(product.price))
            extra = quantity - line.reserved
            if extra > 0:
                try:
                    _reserve(uow, product, extra, self._clock)
                except ProductNotAvailable:
                    if not product.active:
                        raise
                    # Sold out, but the line exists: the contract answers 1043 here, not 1042.
                    raise NotEnoughStock(
                        details={"product": str(product.id), "available": 0}
                    ) from None
            else:
                product.release(-extra)
            line.hold(quantity, product.price, now, _ttl(self._settings, owner))
            uow.buckets.save([line])
            uow.products.save_stock([product])
            uow.commit()
        return BucketLineView.of(line, product.name)


class RemoveFromBucket:
    """Drop a line from the bucket and release what it held."""

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: ShopSettings):
        self._change = ChangeBucketQuantity(uow, clock, settings)

    def __call__(
        self,
        *,
        customer_id: CustomerId | None = None,
        guest_id: GuestBucketId | None = None,
        line_id: BucketLineId,
    ) -> None:
        self._change(customer_id=customer_id, guest_id=guest_id, line_id=line_id, quantity=0)


class ExpireReservations:
    """Release the stock held by lines whose reservation lapsed, customers' and guests'
    alike, and remove the lines of lapsed guest buckets (never logged into), a bounded
    batch per transaction; returns how many lines it released or removed."""

    def __init__(self, uow: UnitOfWork, clock: Clock):
        self._uow, self._clock = uow, clock

    def __call__(self, *, batch: int = 500) -> int:
        released = 0
        while True:
            with self._uow as uow:
                lines = uow.buckets.lapsed(self._clock.now(), limit=batch)
                if not lines:
                    break
                let_lapsed_lines_go(uow, lines)
                uow.commit()
            released += len(lines)
        return released + self._remove_lapsed_guest_buckets(batch)

    def _remove_lapsed_guest_buckets(self, batch: int) -> int:
        removed = 0
        while True:
            with self._uow as uow:
                # Guest buckets, their lines, products: the usual lock order.
                guest_ids = uow.guest_buckets.lapsed(self._clock.now(), limit=batch)
                if not guest_ids:
                    return removed
                lines = uow.buckets.list_for_guests(guest_ids)
                products = uow.products.lock({line.product_id for line in lines})
                for line in lines:
                    product = products.get(line.product_id)
                    if product is not None:
                        product.release(line.lapse(product.price))
                uow.buckets.remove([line.id for line in lines])
                uow.guest_buckets.remove(guest_ids)
                uow.products.save_stock(products.values())
                uow.commit()
            removed += len(lines)

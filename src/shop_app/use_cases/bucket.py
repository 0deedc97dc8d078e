"""The bucket: adding, changing and removing lines, each holding stock for a while."""

from __future__ import annotations

from shop_app.ports.clock import Clock
from shop_app.ports.id_source import IdSource
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.stock_holds import StockHolds
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import BucketLineView, BucketView
from shop_app.settings import ShopSettings
from shop_domain.bucket import BucketLine, ensure_line_fits
from shop_domain.errors import (
    BucketLineNotFound,
    NotEnoughStock,
    ProductNotAvailable,
    ValidationFailed,
)
from shop_domain.ids import BucketLineId, CustomerId, ProductId
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


class GetBucket:
    """The caller's bucket: a page of lines and the total of all of them.

    Reading is also when lapsed holds are let go (lazy expiry): a line whose
    reservation ran out gives its units back, so the catalog shows them again
    without waiting for the expiry job. Only then does the read write anything.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: ShopSettings):
        self._uow, self._clock, self._settings = uow, clock, settings

    def __call__(self, *, customer_id: CustomerId, page: PageRequest) -> BucketView:
        with self._uow.read_only() as uow:
            lines = uow.buckets.list_for(customer_id)
            lapsed = any(line.is_lapsed(self._clock.now()) for line in lines)
            if not lapsed:
                names = uow.products.names([line.product_id for line in lines])
        if lapsed:
            with self._uow as uow:
                lines = self._release_lapsed(uow, customer_id)
                names = uow.products.names([line.product_id for line in lines])
                uow.commit()
        total = Money.total([line.value for line in lines], self._settings.currency)
        chosen = lines[page.offset : page.offset + page.size]
        views = [BucketLineView.of(line, names.get(line.product_id, "")) for line in chosen]
        return BucketView(lines=Page(views, len(lines)), total=total)

    def _release_lapsed(self, uow: UnitOfWork, customer_id: CustomerId) -> list[BucketLine]:
        # Lines before products: the lock order every bucket use case follows.
        lines = uow.buckets.list_for(customer_id, for_update=True)
        now = self._clock.now()
        let_lapsed_lines_go(uow, [line for line in lines if line.is_lapsed(now)])
        return lines


class AddToBucket:
    """Put a product in the bucket, reserving ``quantity`` units."""

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
        self, *, customer_id: CustomerId, product_id: ProductId, quantity: int
    ) -> BucketLineView:
        if quantity < 1:
            raise ValidationFailed(details={"quantity": ["must be at least 1"]})
        line_id = BucketLineId(self._ids.new_id())
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
            # A second line for the product is refused by the repository (a unique
            # key in the database), which rolls the whole change back.
            product = uow.products.lock([product_id]).get(product_id)
            if product is None:
                raise ProductNotAvailable(details={"product": str(product_id)})
            others = [ln for ln in uow.buckets.list_for(customer_id) if ln.product_id != product_id]
            ensure_line_fits(product.price * quantity, others)
            _reserve(uow, product, quantity, self._clock)
            line = BucketLine.holding(
                id=line_id,
                customer_id=customer_id,
                product_id=product_id,
                quantity=quantity,
                unit_price=product.price,
                until=self._clock.now() + self._settings.reservation_ttl,
            )
            uow.buckets.add(line)
            uow.products.save_stock([product])
            uow.commit()
        return BucketLineView.of(line, product.name)


class ChangeBucketQuantity:
    """Set a line's quantity; the hold follows (and is refreshed). Zero removes the line.

    Returns the line, or None when it was removed.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: ShopSettings):
        self._uow, self._clock, self._settings = uow, clock, settings

    def __call__(
        self, *, customer_id: CustomerId, line_id: BucketLineId, quantity: int
    ) -> BucketLineView | None:
        if quantity < 0:
            raise ValidationFailed(details={"quantity": ["must be at least 0"]})
        with self._uow as uow:
            # All the customer's lines, locked (in the statement that finds this one):
            # the bucket's total is checked against them, and no concurrent change of
            # another line of the same bucket can slip past that check.
            lines = uow.buckets.list_for(customer_id, for_update=True)
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
            ensure_line_fits(product.price * quantity, [ln for ln in lines if ln.id != line.id])
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
            line.hold(quantity, product.price, now, self._settings.reservation_ttl)
            uow.buckets.save([line])
            uow.products.save_stock([product])
            uow.commit()
        return BucketLineView.of(line, product.name)


class RemoveFromBucket:
    """Drop a line from the bucket and release what it held."""

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: ShopSettings):
        self._change = ChangeBucketQuantity(uow, clock, settings)

    def __call__(self, *, customer_id: CustomerId, line_id: BucketLineId) -> None:
        self._change(customer_id=customer_id, line_id=line_id, quantity=0)


class ExpireReservations:
    """Release the stock held by lines whose reservation lapsed; returns how many lines."""

    def __init__(self, uow: UnitOfWork, clock: Clock):
        self._uow, self._clock = uow, clock

    def __call__(self, *, batch: int = 500) -> int:
        released = 0
        while True:
            with self._uow as uow:
                lines = uow.buckets.lapsed(self._clock.now(), limit=batch)
                if not lines:
                    return released
                let_lapsed_lines_go(uow, lines)
                uow.commit()
            released += len(lines)

"""The catalog: browsing for everyone, product and stock management for staff."""

from __future__ import annotations

from decimal import Decimal

import attrs

from shop_app.ports.id_source import IdSource
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.repositories import ProductFilter
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import ProductView
from shop_app.settings import ShopSettings
from shop_domain.errors import ProductNotFound
from shop_domain.ids import ProductId
from shop_domain.money import Money
from shop_domain.product import Product, ProductStatus


class ListProducts:
    """A page of the catalog; customers see active products only."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, filter: ProductFilter, page: PageRequest) -> Page[ProductView]:
        with self._uow.read_only() as uow:
            found = uow.products.list(filter, page)
        return attrs.evolve(found, items=[ProductView.of(p) for p in found.items])


class GetProduct:
    """One product; inactive ones are not found unless staff ask."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, product_id: ProductId, include_inactive: bool = False) -> ProductView:
        with self._uow.read_only() as uow:
            product = uow.products.get(product_id)
        if product is None or not (product.active or include_inactive):
            raise ProductNotFound()
        return ProductView.of(product)


class CreateProduct:
    """Staff add a product to the catalog."""

    def __init__(self, uow: UnitOfWork, ids: IdSource, settings: ShopSettings):
        self._uow, self._ids, self._settings = uow, ids, settings

    def __call__(
        self,
        *,
        name: str,
        price: Decimal,
        description: str = "",
        product_type: str = "",
        status: str = "new",
        stock: int = 0,
        active: bool = True,
    ) -> ProductView:
        money = Money(price, self._settings.currency)
        money.ensure_fits("price", "the price")
        product = Product(
            id=ProductId(self._ids.new_id()),
            name=name,
            price=money,
            description=description,
            product_type=product_type,
            status=ProductStatus(status),
            stock=stock,
            active=active,
        )
        with self._uow as uow:
            uow.products.add(product)
            uow.commit()
        return ProductView.of(product)


class UpdateProduct:
    """Staff change a product's fields or stock; stock never drops below what buckets hold."""

    def __init__(self, uow: UnitOfWork, settings: ShopSettings):
        self._uow, self._settings = uow, settings

    def __call__(
        self,
        *,
        product_id: ProductId,
        name: str | None = None,
        price: Decimal | None = None,
        description: str | None = None,
        product_type: str | None = None,
        status: str | None = None,
        stock: int | None = None,
        active: bool | None = None,
    ) -> ProductView:
        with self._uow as uow:
            product = uow.products.lock([product_id]).get(product_id)
            if product is None:
                raise ProductNotFound()
            if name is not None:
                product.name = name
            if price is not None:
                product.price = Money(price, self._settings.currency)
                product.price.ensure_fits("price", "the price")
            if description is not None:
                product.description = description
            if product_type is not None:
                product.product_type = product_type
            if status is not None:
                product.status = ProductStatus(status)
            if active is not None:
                product.active = active
            if stock is not None:
                product.set_stock(stock)
            uow.products.save([product])
            uow.commit()
        return ProductView.of(product)


class DeactivateProduct:
    """Staff "delete" a product: it leaves the catalog, its history stays."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, product_id: ProductId) -> None:
        with self._uow as uow:
            product = uow.products.lock([product_id]).get(product_id)
            if product is None:
                raise ProductNotFound()
            product.active = False
            uow.products.save([product])
            uow.commit()

"""The catalog: browsing, and staff managing products and stock."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shop_app.ports.paging import PageRequest
from shop_app.ports.repositories import ProductFilter
from shop_domain.errors import NotEnoughStock, ProductNotFound, ValidationFailed
from shop_domain.ids import ProductId
from shop_domain.money import MAX_AMOUNT, Money
from shop_domain.product import ProductStatus
from tests.unit.shop import Shop


def names(shop: Shop, filter: ProductFilter | None = None) -> list[str]:
    found = shop.use.list_products()(filter=filter or ProductFilter(), page=PageRequest())
    return [p.name for p in found.items]


@pytest.fixture
def catalog(shop: Shop) -> Shop:
    shop.product(name="Red Mug", price="25.00", product_type="mug")
    shop.product(name="Blue mug", price="19.99", product_type="mug")
    shop.product(name="Teapot", price="120.00", product_type="pot")
    shop.product(name="Old mug", price="5.00", product_type="mug", active=False)
    return shop


def test_create_product_in_the_shop_currency(shop: Shop) -> None:
    view = shop.use.create_product()(
        name="Mug",
        price=Decimal("12.5"),
        description="ceramic",
        product_type="mug",
        status="promotions",
        stock=7,
    )
    stored = shop.store.tables.products[view.id]
    assert stored.price == Money("12.50", "PLN")
    assert stored.status == ProductStatus.PROMOTIONS
    assert (view.stock, view.reserved, view.available, view.active) == (7, 0, 7, True)


def test_a_price_the_shop_cannot_hold_is_refused_on_create_and_update(shop: Shop) -> None:
    """The domain's rule, not only the web serializer's: SQLite would store anything."""
    too_much = MAX_AMOUNT + Decimal("0.01")
    with pytest.raises(ValidationFailed) as refused:
        shop.use.create_product()(name="Gold", price=too_much)
    assert "price" in (refused.value.details or {})
    assert shop.store.tables.products == {}
    view = shop.use.create_product()(name="Gold", price=MAX_AMOUNT)
    with pytest.raises(ValidationFailed):
        shop.use.update_product()(product_id=view.id, price=too_much)
    assert shop.store.tables.products[view.id].price == Money(MAX_AMOUNT)


def test_list_shows_only_active_products_by_name(catalog: Shop) -> None:
    assert names(catalog) == ["Blue mug", "Red Mug", "Teapot"]


def test_staff_can_list_inactive_products_too(catalog: Shop) -> None:
    assert "Old mug" in names(catalog, ProductFilter(active_only=False))


def test_name_filter_is_a_case_insensitive_substring(catalog: Shop) -> None:
    assert names(catalog, ProductFilter(name="MUG")) == ["Blue mug", "Red Mug"]


def test_type_filter_is_exact(catalog: Shop) -> None:
    assert names(catalog, ProductFilter(product_type="pot")) == ["Teapot"]
    assert names(catalog, ProductFilter(product_type="po")) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Blue mug", "Red Mug", "Teapot"]),
        ("-name", ["Teapot", "Red Mug", "Blue mug"]),
        ("price", ["Blue mug", "Red Mug", "Teapot"]),
        ("-price", ["Teapot", "Red Mug", "Blue mug"]),
    ],
)
def test_ordering(catalog: Shop, ordering: str, expected: list[str]) -> None:
    assert names(catalog, ProductFilter(ordering=ordering)) == expected


def test_paging_counts_every_match(catalog: Shop) -> None:
    page = catalog.use.list_products()(filter=ProductFilter(), page=PageRequest(page=2, size=2))
    assert page.count == 3
    assert [p.name for p in page.items] == ["Teapot"]


def test_listed_quantity_is_what_can_still_be_bought(shop: Shop) -> None:
    product = shop.product(stock=5)
    customer = shop.customer()
    shop.use.add_to_bucket()(customer_id=customer.id, product_id=product.id, quantity=2)
    assert shop.use.get_product()(product_id=product.id).available == 3


def test_get_product(shop: Shop) -> None:
    product = shop.product(name="Mug")
    assert shop.use.get_product()(product_id=product.id) == product


def test_get_unknown_product_is_not_found(shop: Shop) -> None:
    with pytest.raises(ProductNotFound):
        shop.use.get_product()(product_id=ProductId(uuid.uuid4()))


def test_inactive_product_is_not_found_except_for_staff(shop: Shop) -> None:
    product = shop.product(active=False)
    with pytest.raises(ProductNotFound):
        shop.use.get_product()(product_id=product.id)
    assert shop.use.get_product()(product_id=product.id, include_inactive=True).id == product.id


def test_update_product_changes_only_the_given_fields(shop: Shop) -> None:
    product = shop.product(name="Mug", price="10.00", description="plain", stock=3)
    view = shop.use.update_product()(
        product_id=product.id, price=Decimal("12.345"), status="sales", stock=8
    )
    assert (view.name, view.description) == ("Mug", "plain")
    assert (view.price, view.status, view.stock) == (Money("12.35"), "sales", 8)
    assert shop.stock_of(product.id) == (8, 0)


def test_update_every_field(shop: Shop) -> None:
    product = shop.product()
    view = shop.use.update_product()(
        product_id=product.id,
        name="New",
        description="d",
        product_type="t",
        active=False,
    )
    assert (view.name, view.description, view.product_type, view.active) == (
        "New",
        "d",
        "t",
        False,
    )


def test_stock_cannot_be_set_below_what_buckets_hold(shop: Shop) -> None:
    product = shop.product(stock=10)
    customer = shop.customer()
    shop.use.add_to_bucket()(customer_id=customer.id, product_id=product.id, quantity=6)
    with pytest.raises(NotEnoughStock):
        shop.use.update_product()(product_id=product.id, stock=5, name="renamed")
    assert shop.stock_of(product.id) == (10, 6)
    assert shop.store.tables.products[product.id].name == product.name


def test_update_unknown_product_is_not_found(shop: Shop) -> None:
    with pytest.raises(ProductNotFound):
        shop.use.update_product()(product_id=ProductId(uuid.uuid4()), name="x")


def test_deactivate_hides_the_product_but_keeps_it(shop: Shop) -> None:
    product = shop.product(name="Gone")
    shop.use.deactivate_product()(product_id=product.id)
    assert names(shop) == []
    assert shop.store.tables.products[product.id].active is False


def test_deactivate_unknown_product_is_not_found(shop: Shop) -> None:
    with pytest.raises(ProductNotFound):
        shop.use.deactivate_product()(product_id=ProductId(uuid.uuid4()))

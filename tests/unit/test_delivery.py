"""Addresses and delivery through the in-memory adapters: totals with and without
``free_from``, frozen copies, every validation error, fulfil only from ``paid``."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.addressing.rules import I18nAddressRules
from shop_app.ports.events import EventType
from shop_app.ports.paging import PageRequest
from shop_app.use_cases.delivery import DeliveryChoice
from shop_domain.delivery import DeliveryKind, DeliveryMethod, OrderDelivery
from shop_domain.errors import (
    AddressNotFound,
    DeliveryMethodNotAvailable,
    DeliveryMethodNotFound,
    OrderNotShippable,
    RefundExceedsPaid,
    ValidationFailed,
)
from shop_domain.ids import AddressId
from shop_domain.money import Money
from shop_domain.payment import ChangeSource
from tests.unit.shop import Shop, build_shop

HOME = {
    "name": "Jan Kowalski",
    "street": "Marszałkowska 1",
    "postal_code": "00-950",
    "city": "Warszawa",
    "country": "PL",
    "phone": "601 234 567",
}


@pytest.fixture
def shop() -> Shop:
    s = build_shop()
    create = s.use.create_delivery_method()
    create(code="courier", name="Courier", kind="courier", price=Decimal("19.99"),
           free_from=Decimal("100.00"))  # fmt: skip
    create(code="locker", name="Parcel locker", kind="pickup_point", price=Decimal("9.99"))
    create(code="pickup", name="Store pickup", kind="store_pickup", price=Decimal("0"))
    return s


def order_with(shop: Shop, customer: Any, *, price: str = "30.00", quantity: int = 1,
               payment: str = "card", **delivery: Any) -> Any:  # fmt: skip
    product = shop.product(price=price)
    shop.use.add_to_bucket()(customer_id=customer.id, product_id=product.id, quantity=quantity)
    choice = DeliveryChoice(**delivery) if delivery else None
    return shop.use.place_order()(customer_id=customer.id, payment=payment, delivery=choice)


# --- money --------------------------------------------------------------------------


def test_sum_is_items_plus_delivery_below_free_from(shop: Shop) -> None:
    order = order_with(shop, shop.customer(), price="30.00", quantity=2, method="courier",
                       address=HOME)  # fmt: skip
    assert order.items_total == Money(Decimal("60.00"))
    assert order.delivery.price == Money(Decimal("19.99"))
    assert order.total == Money(Decimal("79.99"))


def test_delivery_is_free_from_the_threshold_on(shop: Shop) -> None:
    order = order_with(shop, shop.customer(), price="50.00", quantity=2, method="courier",
                       address=HOME)  # fmt: skip
    assert order.delivery.price == Money(Decimal("0.00"))
    assert order.total == order.items_total == Money(Decimal("100.00"))


def test_an_order_without_delivery_is_the_part_one_order(shop: Shop) -> None:
    order = order_with(shop, shop.customer(), price="30.00")
    assert order.delivery is None and order.items_total == order.total
    placed = shop.store.tables.orders[order.id]
    assert placed.delivery_price == Money.zero("PLN")
    assert placed.items_total == placed.total


@given(
    price=st.decimals(min_value=0, max_value=1000, places=2),
    free_from=st.none() | st.decimals(min_value=0, max_value=1000, places=2),
    items=st.decimals(min_value=0, max_value=2000, places=2),
)
def test_the_delivery_price_is_the_methods_or_zero_from_free_from(
    price: Decimal, free_from: Decimal | None, items: Decimal
) -> None:
    method = DeliveryMethod(
        code="x",
        name="X",
        kind=DeliveryKind.STORE_PICKUP,
        price=Money(price),
        free_from=Money(free_from) if free_from is not None else None,
    )
    charged = method.price_for(Money(items))
    if free_from is not None and items >= free_from:
        assert charged == Money(0)
    else:
        assert charged == Money(price)


# --- frozen copies ---------------------------------------------------------------------


def test_the_order_keeps_its_copy_when_method_and_address_change(shop: Shop) -> None:
    customer = shop.customer()
    saved = shop.use.save_address()(customer_id=customer.id, fields=HOME)
    order = order_with(shop, customer, method="courier", address=saved.id)
    shop.use.update_delivery_method()(code="courier", name="Express", price=Decimal("99.00"))
    shop.use.save_address()(
        customer_id=customer.id, fields={**HOME, "street": "Nowa 2"}, address_id=saved.id
    )
    shop.use.remove_address()(customer_id=customer.id, address_id=saved.id)
    again = shop.use.get_order()(order_id=order.id, customer_id=customer.id)
    assert again.delivery == order.delivery
    assert again.delivery.name == "Courier" and again.delivery.address.street == "Marszałkowska 1"
    assert again.delivery.address.phone == "+48601234567"


def test_a_pickup_point_order_keeps_the_point_and_no_address(shop: Shop) -> None:
    order = order_with(shop, shop.customer(), method="locker", point_id="KRA01M", address=HOME)
    assert order.delivery.point_id == "KRA01M" and order.delivery.address is None
    assert order.delivery.kind == DeliveryKind.PICKUP_POINT


# --- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"postal_code": "00950"}, "postal_code"),
        ({"postal_code": ""}, "postal_code"),
        ({"country": "XX"}, "country"),
        ({"country": "Poland"}, "country"),
        ({"phone": "12"}, "phone"),
        ({"name": ""}, "name"),
        ({"street": "  "}, "street"),
        ({"city": None}, "city"),
        ({"city": 5}, "city"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_an_invalid_address_names_its_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        I18nAddressRules("PL").check({**HOME, **change})
    assert field in refused.value.details


@pytest.mark.parametrize(
    ("country", "good", "bad"),
    [("PL", "00-950", "0095"), ("DE", "10115", "1011"), ("GB", "SW1A 1AA", "SW1A"),
     ("US", "94105", "9410")],
)  # fmt: skip
def test_postal_codes_follow_their_country(country: str, good: str, bad: str) -> None:
    rules = I18nAddressRules("PL")
    assert rules.check({**HOME, "country": country, "phone": "", "postal_code": good})
    with pytest.raises(ValidationFailed):
        rules.check({**HOME, "country": country, "phone": "", "postal_code": bad})


def test_the_default_country_and_normal_forms() -> None:
    found = I18nAddressRules("DE").check(
        {**HOME, "country": "", "postal_code": " 10115 ", "phone": "030 901820"}
    )
    assert (found.country, found.postal_code, found.phone) == ("DE", "10115", "+4930901820")
    assert I18nAddressRules("PL").check({**HOME, "country": "gb", "postal_code": "sw1a 1aa",
                                         "phone": ""}).postal_code == "SW1A 1AA"  # fmt: skip


def test_a_courier_needs_an_address(shop: Shop) -> None:
    with pytest.raises(ValidationFailed) as refused:
        order_with(shop, shop.customer(), method="courier")
    assert "address" in refused.value.details


def test_an_inline_address_is_checked_and_named(shop: Shop) -> None:
    with pytest.raises(ValidationFailed) as refused:
        order_with(shop, shop.customer(), method="courier", address={**HOME, "postal_code": "x"})
    assert "postal_code" in refused.value.details["address"]


@pytest.mark.parametrize("point", [None, "", "ab", "A" * 33, "KRA 01", "kra_01"])
def test_a_pickup_point_needs_a_valid_point_id(point: str | None) -> None:
    method = DeliveryMethod(code="l", name="L", kind=DeliveryKind.PICKUP_POINT, price=Money(1))
    with pytest.raises(ValidationFailed) as refused:
        OrderDelivery.choose(method, items_total=Money(1), address=None, point_id=point)
    assert "point_id" in refused.value.details


def test_unknown_and_inactive_methods_are_not_available(shop: Shop) -> None:
    customer = shop.customer()
    with pytest.raises(DeliveryMethodNotAvailable):
        order_with(shop, customer, method="teleport")
    shop.use.deactivate_delivery_method()(code="pickup")
    with pytest.raises(DeliveryMethodNotAvailable):
        order_with(shop, customer, method="pickup")
    # Refused orders change nothing: the bucket still holds both lines.
    assert len(shop.use.get_bucket()(customer_id=customer.id, page=PageRequest()).lines.items) == 2


def test_another_customers_address_is_not_found_also_in_an_order(shop: Shop) -> None:
    owner, thief = shop.customer(), shop.customer()
    saved = shop.use.save_address()(customer_id=owner.id, fields=HOME)
    with pytest.raises(AddressNotFound):
        shop.use.get_address()(customer_id=thief.id, address_id=saved.id)
    with pytest.raises(AddressNotFound):
        order_with(shop, thief, method="courier", address=saved.id)
    with pytest.raises(AddressNotFound):
        order_with(shop, thief, method="pickup", address=AddressId(uuid.uuid4()))


def test_staff_method_rules() -> None:
    shop = build_shop()
    create = shop.use.create_delivery_method()
    with pytest.raises(ValidationFailed) as refused:
        create(code="Bad Code", name="", kind="courier", price=Decimal("-1"))
    assert {"code", "name", "price"} <= set(refused.value.details)
    create(code="c", name="C", kind="courier", price=Decimal("1"))
    with pytest.raises(ValidationFailed):
        create(code="c", name="C", kind="courier", price=Decimal("1"))
    with pytest.raises(DeliveryMethodNotFound):
        shop.use.get_delivery_method()(code="nope")


# --- the address book -------------------------------------------------------------------


def test_one_default_address_at_a_time(shop: Shop) -> None:
    customer = shop.customer()
    save = shop.use.save_address()
    first = save(customer_id=customer.id, fields=HOME, is_default=True)
    second = save(customer_id=customer.id, fields=HOME, is_default=True)
    book = shop.use.list_addresses()(customer_id=customer.id, page=PageRequest())
    assert [(a.id, a.is_default) for a in book.items] == [(first.id, False), (second.id, True)]
    kept = save(customer_id=customer.id, fields=HOME, address_id=second.id, is_default=None)
    assert kept.is_default


# --- fulfilment ---------------------------------------------------------------------------


def test_only_a_paid_order_ships_once_and_records_order_shipped(shop: Shop) -> None:
    customer = shop.customer()
    order = order_with(shop, customer, method="locker", point_id="WAW22A", payment="transfer")
    with pytest.raises(OrderNotShippable):
        shop.use.fulfil_order()(order_id=order.id)
    shop.use.mark_transfer_paid()(order_id=order.id, source=ChangeSource.STAFF)
    shipped = shop.use.fulfil_order()(order_id=order.id, carrier="InPost", tracking_number="T1")
    assert shipped.status == "paid" and shipped.fulfilment.carrier == "InPost"
    assert shipped.fulfilment.shipped_at == shop.clock.now()
    assert shop.store.events[-1].type == EventType.ORDER_SHIPPED
    with pytest.raises(OrderNotShippable):
        shop.use.fulfil_order()(order_id=order.id)
    listed = shop.use.list_orders()(page=PageRequest(), customer_id=None, shipped=True)
    assert [o.id for o in listed.items] == [order.id]
    assert shop.use.list_orders()(page=PageRequest(), customer_id=None, shipped=False).count == 0


# --- refunds of an order with a delivery ------------------------------------------------


def _paid(shop: Shop, order: Any) -> Any:
    shop.use.start_payment()(customer_id=order.customer_id, order_id=order.id)
    shop.use.confirm_payment()(customer_id=order.customer_id, order_id=order.id, params={})
    return shop.use.get_order()(order_id=order.id, customer_id=None)


def test_a_delivery_refund_is_its_frozen_price_once(shop: Shop) -> None:
    order = _paid(shop, order_with(shop, shop.customer(), price="30.00", method="courier",
                                   address=HOME))  # fmt: skip
    done = shop.use.refund_order()(order_id=order.id, lines=[], delivery=True)
    assert done.amount == Money(Decimal("19.99"))
    assert shop.card.refund_requests[-1].amount == Money(Decimal("19.99"))
    with pytest.raises(RefundExceedsPaid):
        shop.use.refund_order()(order_id=order.id, lines=[], delivery=True)


def test_cancel_refunds_the_whole_sum_delivery_included(shop: Shop) -> None:
    order = _paid(shop, order_with(shop, shop.customer(), price="30.00", quantity=2,
                                   method="courier", address=HOME))  # fmt: skip
    line = order.lines[0].id
    shop.use.refund_order()(order_id=order.id, lines=[(line, 1, True)])  # 30.00 back
    shop.use.cancel_order()(order_id=order.id, customer_id=order.customer_id)
    rest = shop.card.refund_requests[-1].amount
    assert rest == Money(Decimal("49.99"))  # 60.00 + 19.99 - 30.00: the delivery comes back too
    assert shop.use.get_order()(order_id=order.id, customer_id=None).refunded == order.total

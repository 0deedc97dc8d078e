"""The demo catalog `shop serve` loads into an empty database."""

from __future__ import annotations

from decimal import Decimal

from shop_app.containers import UseCases
from shop_app.ports.paging import PageRequest

DEMO_PRODUCTS = [
    ("Espresso machine", "Kitchen", "1299.00", "new", "15-bar pump, steam wand"),
    ("Burr grinder", "Kitchen", "449.90", "promotions", "40 grind settings"),
    ("Pour-over kettle", "Kitchen", "189.00", "new", "Gooseneck, 1 l"),
    ("Ceramic mug", "Kitchen", "39.99", "sales", "350 ml, dishwasher safe"),
    ("Coffee beans 1 kg", "Groceries", "89.00", "new", "Single origin, medium roast"),
    ("Green tea 100 g", "Groceries", "24.50", "promotions", "Sencha"),
    ("Dark chocolate", "Groceries", "12.99", "new", "85% cocoa"),
    ("Running shoes", "Sport", "399.00", "new", "Neutral, cushioned"),
    ("Yoga mat", "Sport", "129.00", "sales", "6 mm, non-slip"),
    ("Water bottle", "Sport", "59.00", "new", "Steel, 750 ml"),
    ("Headphones", "Electronics", "599.00", "promotions", "Noise canceling"),
    ("USB-C charger", "Electronics", "119.00", "new", "65 W"),
    ("E-book reader", "Electronics", "649.00", "new", "6-inch, waterproof"),
    ("Desk lamp", "Home", "159.00", "new", "Dimmable LED"),
    ("Throw blanket", "Home", "99.00", "sales", "Wool blend"),
    ("Scented candle", "Home", "45.00", "new", "Cedar and vanilla"),
    ("Notebook A5", "Office", "19.90", "new", "Dotted, 120 pages"),
    ("Fountain pen", "Office", "249.00", "promotions", "Steel nib"),
    ("Backpack", "Travel", "279.00", "new", "20 l, laptop sleeve"),
    ("Travel adapter", "Travel", "79.00", "new", "Universal"),
    ("Board game", "Toys", "159.90", "new", "2-4 players"),
    ("Puzzle 1000", "Toys", "69.00", "sales", "Landscape"),
]


def load_demo_catalog(use: UseCases, *, stock: int = 100) -> int:
    """Create the demo products; returns how many."""
    create = use.create_product()
    for name, kind, price, status, description in DEMO_PRODUCTS:
        create(
            name=name,
            price=Decimal(price),
            product_type=kind,
            status=status,
            description=description,
            stock=stock,
        )
    return len(DEMO_PRODUCTS)


# (code, name, kind, price, free_from): a courier, a parcel locker, store pickup.
DEMO_DELIVERY_METHODS = [
    ("courier", "Courier", "courier", "19.99", "500.00"),
    ("parcel-locker", "Parcel locker", "pickup_point", "12.99", "300.00"),
    ("store-pickup", "Store pickup", "store_pickup", "0.00", None),
]


def load_demo_delivery_methods(use: UseCases) -> int:
    """Create the demo delivery methods that do not exist yet; returns how many."""
    existing = {
        m.code
        for m in use.list_delivery_methods()(page=PageRequest(1, 100), active_only=False).items
    }
    create, made = use.create_delivery_method(), 0
    for code, name, kind, price, free_from in DEMO_DELIVERY_METHODS:
        if code in existing:
            continue
        create(
            code=code,
            name=name,
            kind=kind,
            price=Decimal(price),
            free_from=Decimal(free_from) if free_from is not None else None,
        )
        made += 1
    return made

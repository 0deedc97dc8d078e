"""The benchmark catalog for the shop: N active products with a large stock each.

Run with the shop's environment (SHOP_DATABASE_URL, ...) after `shop manage migrate`
and before `shop serve`, which then finds a non-empty catalog and loads no demo one:

    .venv/bin/python bench/shop_seed.py --products 24 --stock 1000000

It goes through the shop's own use case (CreateProduct), as the staff API would.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=24)
    parser.add_argument("--stock", type=int, default=1_000_000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adapters.django_web.settings")
    import django

    django.setup()
    from adapters.django_web.containers import use_cases

    create = use_cases().create_product()
    for i in range(args.products):
        create(
            name=f"Bench product {i + 1:03d}",
            price=Decimal("9.99") + i,
            product_type="Bench",
            description="benchmark catalog",
            stock=args.stock,
        )
    print(f"bench catalog: {args.products} products with {args.stock} units each")


if __name__ == "__main__":
    main()

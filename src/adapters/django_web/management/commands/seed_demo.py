from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from adapters.django_web.containers import use_cases
from adapters.django_web.demo_catalog import load_demo_catalog, load_demo_delivery_methods


class Command(BaseCommand):
    help = "Load the demo catalog (only into an empty catalog unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true")
        parser.add_argument("--stock", type=int, default=100)

    def handle(self, *args: Any, force: bool = False, stock: int = 100, **kw: Any) -> None:
        use = use_cases()
        from shop_app.ports.paging import PageRequest
        from shop_app.ports.repositories import ProductFilter

        existing = use.list_products()(
            filter=ProductFilter(active_only=False), page=PageRequest(1, 1)
        ).count
        if existing and not force:
            self.stdout.write(f"catalog has {existing} products: demo catalog not loaded")
            return
        count = load_demo_catalog(use, stock=stock)
        methods = load_demo_delivery_methods(use)
        self.stdout.write(f"loaded {count} demo products and {methods} demo delivery methods")

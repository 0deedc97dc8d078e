from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from adapters.django_web.containers import use_cases


class Command(BaseCommand):
    help = "Release the stock held by bucket lines whose reservation lapsed."

    def handle(self, *args: Any, **options: Any) -> None:
        released = use_cases().expire_reservations()()
        self.stdout.write(f"released {released} lapsed bucket lines")

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or update the staff account from SHOP_ADMIN_USERNAME / SHOP_ADMIN_PASSWORD."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("SHOP_ADMIN_USERNAME")
        password = os.environ.get("SHOP_ADMIN_PASSWORD")
        if not (username and password):
            return
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@localhost"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"staff account {username!r} {'created' if created else 'updated'}")

"""Django's admin site works, notices included (its message storage is made lazily)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from adapters.persistence import models as m

pytestmark = pytest.mark.django_db


def test_staff_add_a_product_in_the_admin_and_see_the_notice(make_product: Any) -> None:
    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "Boss-pass-2026")
    browser = Client()
    browser.force_login(boss)
    added = browser.post(
        "/admin/shop/product/add/",
        {"name": "Admin lamp", "description": "", "price": "19.90", "product_type": "lamp",
         "status": "new", "active": "on", "stock": "7"},
        follow=True,
    )  # fmt: skip
    assert added.status_code == 200
    notices = [str(message) for message in added.context["messages"]]
    assert any("Admin lamp" in notice and "added successfully" in notice for notice in notices)
    assert m.Product.objects.get(name="Admin lamp").stock == 7
    again = browser.get("/admin/shop/product/")
    assert again.status_code == 200 and not list(again.context["messages"]), "shown once"

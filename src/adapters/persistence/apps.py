from __future__ import annotations

from django.apps import AppConfig


class PersistenceConfig(AppConfig):
    name = "adapters.persistence"
    label = "shop"
    verbose_name = "Shop"
    default_auto_field = "django.db.models.BigAutoField"

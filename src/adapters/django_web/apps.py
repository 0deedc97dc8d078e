from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


class WebConfig(AppConfig):
    name = "adapters.django_web"
    label = "shop_web"
    verbose_name = "Shop web API"

    def ready(self) -> None:
        from django.conf import settings

        from adapters.django_web import containers

        containers.build(settings.SHOP)
        checks.register(check_payment_providers, checks.Tags.compatibility)
        checks.register(check_bucket_merge, checks.Tags.compatibility)
        checks.register(check_country, checks.Tags.compatibility)


def check_bucket_merge(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """SHOP_BUCKET_MERGE names one of the strategies: a typo stops `shop serve` here."""
    from django.conf import settings

    from shop_domain.guest_bucket import MergeStrategy

    name = settings.SHOP.get("bucket_merge", "sum")
    if name not in set(MergeStrategy):
        choices = ", ".join(s.value for s in MergeStrategy)
        return [checks.Error(f"SHOP_BUCKET_MERGE={name!r} is not one of {choices}", id="shop.E002")]
    return []


def check_country(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """SHOP_COUNTRY is a country the address data knows: a typo stops `shop serve` here,
    not at the first address that names no country (it would be refused with 400)."""
    from adapters.django_web.containers import application

    rules = application().address_rules()
    if not rules.knows(rules.default_country):
        return [
            checks.Error(
                f"SHOP_COUNTRY={rules.default_country!r} is not an ISO 3166-1 alpha-2 country"
                " code the address data knows (e.g. PL, DE, GB)",
                id="shop.E003",
            )
        ]
    return []


_PROVIDER_VARIABLES = {
    "card": "SHOP_CARD_PROVIDER",
    "transfer": "SHOP_TRANSFER_PROVIDER",
    "payu": "SHOP_PAYU_PROVIDER",
}


def check_payment_providers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Resolve every configured payment provider at start-up: a bad name or credential
    stops `shop serve` here, not at the first payment."""
    from adapters.django_web.containers import application

    payments = application().payments
    # A provider name no Selector knows would only say 'Selector has no "x" provider':
    # name the variable and the choices instead.
    unknown = []
    for method, variable in _PROVIDER_VARIABLES.items():
        name = getattr(payments.config, f"{method}_provider")()
        choices = list(getattr(payments, method).providers)
        if name not in choices:
            unknown.append(
                checks.Error(
                    f"payment configuration: {variable}={name!r} is not one of "
                    + ", ".join(choices),
                    id="shop.E001",
                )
            )
    if unknown:
        return unknown
    try:
        gateways = payments.gateways()
    except Exception as error:  # any misconfiguration, reported with its own message
        return [checks.Error(f"payment configuration: {error}", id="shop.E001")]
    if not gateways.enabled:
        return [checks.Warning("no payment method is enabled", id="shop.W001")]
    return []

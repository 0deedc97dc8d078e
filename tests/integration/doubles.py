"""Payment providers' local doubles plugged into the running app for one test: the
payments container is pointed at them and restored afterwards, as a deployment would
do with environment variables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from dependency_injector import providers
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from adapters.payments.payu import PayUConfig, PayUGateway
from adapters.payments.stripe_card import StripeCardGateway, StripeConfig
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble

TIMEOUT = 2.0  # every call to a double is bounded by it


def public_url() -> str:
    return str(django_settings.SHOP["public_url"]).rstrip("/")


@contextmanager
def swapped(method: str, gateway: Any) -> Iterator[None]:
    """The provider of one method replaced (None: the method disabled), as another
    configuration would; the configured one comes back afterwards."""
    from adapters.django_web.containers import application

    payments = application().payments
    selector = getattr(payments, method)
    selector.override(providers.Object(gateway))
    payments.gateways.reset()
    try:
        yield
    finally:
        selector.reset_override()
        payments.gateways.reset()


def post_signed(path: str, body: bytes, headers: dict[str, str]) -> Any:
    """What a provider does: the raw body and its signature headers, no session, no CSRF."""
    client = APIClient(enforce_csrf_checks=True)
    extra: dict[str, str] = {}
    content_type = "application/json"
    for name, value in headers.items():
        if name.lower() == "content-type":
            content_type = value
        else:
            extra["HTTP_" + name.upper().replace("-", "_")] = value
    return client.generic("POST", path, body, content_type=content_type, **extra)


# --- provider doubles -------------------------------------------------------------------


@pytest.fixture
def payu(db: Any) -> Iterator[PayUDouble]:
    """PayU served by the local double for this test."""
    notify_url = f"{public_url()}/api/payments/payu/notify"
    with PayUDouble(expected_notify_url=notify_url, hang_seconds=TIMEOUT + 1) as double:
        config = PayUConfig(
            base_url=double.base_url,
            pos_id=double.pos_id,
            client_id=double.client_id,
            client_secret=double.client_secret,
            second_key=double.second_key,
            notify_url=notify_url,
            continue_url=f"{public_url()}/",
            timeout=TIMEOUT,
        )
        with PayUGateway(config) as gateway, swapped("payu", gateway):
            yield double
        assert double.violations == [], double.violations


@pytest.fixture
def stripe_api(db: Any) -> Iterator[StripeDouble]:
    """Cards served by Stripe (its local double) for this test."""
    with StripeDouble(api_key="sk_test_http", webhook_secret="whsec_http") as double:
        double.hang_seconds = TIMEOUT + 1
        gateway = StripeCardGateway(
            StripeConfig(
                api_key=double.api_key,
                webhook_secret=double.webhook_secret,
                api_base=double.url,
                timeout=TIMEOUT,
                public_url=public_url(),
            )
        )
        with swapped("card", gateway):
            yield double

"""Which provider serves each payment method is configuration, not code.

Environment variables go through ``read_config`` into the SHOP settings a fresh
``Application`` container is built from, exactly as ``settings.py`` and
``apps.py`` do at start-up; the tests only change the environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import checks

from adapters.django_web import apps, containers
from adapters.django_web.config import DEMO_IBAN, PAYU_SANDBOX, read_config
from adapters.django_web.containers import Application
from adapters.payments.bank_transfer import BankTransferGateway
from adapters.payments.card_sandbox import CardSandboxGateway
from adapters.payments.payu import PayUGateway
from adapters.payments.stripe_card import StripeCardGateway
from shop_app.ports.payment_gateway import PaymentGateways, PaymentRequest
from shop_domain.errors import PaymentMethodNotAvailable
from shop_domain.ids import OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod
from shop_domain.payment import PaymentStatus
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble

OTHER_IBAN = "DE89370400440532013000"


def shop_settings(env: Mapping[str, str], tmp_path: Path) -> dict[str, Any]:
    """settings.SHOP as settings.py builds it from this environment."""
    c = read_config({"SHOP_VAR_DIR": str(tmp_path), "SHOP_SECRET_KEY": "k" * 50, **env})
    return {
        "currency": c.currency,
        "reservation_minutes": c.reservation_minutes,
        "public_url": c.public_url,
        "login_limit_per_username": c.login_limit_per_username,
        "login_limit_per_address": c.login_limit_per_address,
        "login_window_seconds": c.login_window_seconds,
        "payments": c.payments,
        "country": c.country,
    }


def application_for(env: Mapping[str, str], tmp_path: Path) -> Application:
    app = Application()
    app.config.from_dict(shop_settings(env, tmp_path))
    return app


def gateways_for(env: Mapping[str, str], tmp_path: Path) -> PaymentGateways:
    gateways = application_for(env, tmp_path).payments.gateways()
    assert isinstance(gateways, PaymentGateways)
    return gateways


def provider_of(gateways: PaymentGateways, method: PaymentMethod) -> str | None:
    try:
        return gateways.for_method(method).provider
    except PaymentMethodNotAvailable:
        return None


@pytest.fixture
def swapped_in() -> Iterator[Any]:
    """Install an Application as the running one for the system check, then restore."""
    saved = containers._application

    def install(app: Application) -> None:
        containers._application = app

    yield install
    containers._application = saved


# --- the switch ---------------------------------------------------------------------


def test_defaults_serve_every_method(tmp_path: Path) -> None:
    gateways = gateways_for({}, tmp_path)

    assert isinstance(gateways.for_method("card"), CardSandboxGateway)
    assert isinstance(gateways.for_method("transfer"), BankTransferGateway)
    assert isinstance(gateways.for_method("payu"), PayUGateway)
    assert [m.value for m in gateways.enabled] == ["card", "transfer", "payu"]
    transfer = gateways.for_method("transfer")
    assert isinstance(transfer, BankTransferGateway) and transfer.iban == DEMO_IBAN


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SHOP_CARD_PROVIDER": "sandbox"}, "sandbox"),
        (
            {"SHOP_CARD_PROVIDER": "stripe", "SHOP_STRIPE_API_KEY": "sk_test_x"},
            "stripe",
        ),
        ({"SHOP_CARD_PROVIDER": "none"}, None),
    ],
)
def test_card_provider(tmp_path: Path, env: dict[str, str], expected: str | None) -> None:
    gateways = gateways_for(env, tmp_path)
    assert provider_of(gateways, PaymentMethod.CARD) == expected
    if expected is None:
        with pytest.raises(PaymentMethodNotAvailable) as raised:
            gateways.method("card")
        assert raised.value.code == 5003
    # The other methods keep their defaults.
    assert provider_of(gateways, PaymentMethod.TRANSFER) == "bank_transfer"
    assert provider_of(gateways, PaymentMethod.PAYU) == "payu"


@pytest.mark.parametrize(("name", "expected"), [("bank_transfer", "bank_transfer"), ("none", None)])
def test_transfer_provider(tmp_path: Path, name: str, expected: str | None) -> None:
    gateways = gateways_for({"SHOP_TRANSFER_PROVIDER": name}, tmp_path)
    assert provider_of(gateways, PaymentMethod.TRANSFER) == expected
    assert provider_of(gateways, PaymentMethod.CARD) == "sandbox"


@pytest.mark.parametrize(("name", "expected"), [("payu", "payu"), ("none", None)])
def test_payu_provider(tmp_path: Path, name: str, expected: str | None) -> None:
    gateways = gateways_for({"SHOP_PAYU_PROVIDER": name}, tmp_path)
    assert provider_of(gateways, PaymentMethod.PAYU) == expected
    assert provider_of(gateways, PaymentMethod.CARD) == "sandbox"


def test_every_method_can_be_switched_off(tmp_path: Path) -> None:
    env = {
        "SHOP_CARD_PROVIDER": "none",
        "SHOP_TRANSFER_PROVIDER": "none",
        "SHOP_PAYU_PROVIDER": "none",
    }
    gateways = gateways_for(env, tmp_path)
    assert gateways.enabled == []
    for method in ("card", "transfer", "payu"):
        with pytest.raises(PaymentMethodNotAvailable):
            gateways.method(method)


def test_the_transfer_account_comes_from_the_environment(tmp_path: Path) -> None:
    gateways = gateways_for(
        {"SHOP_TRANSFER_IBAN": "de89 3704 0044 0532 0130 00", "SHOP_TRANSFER_HOLDER": "Laden"},
        tmp_path,
    )
    transfer = gateways.for_method("transfer")
    assert isinstance(transfer, BankTransferGateway)
    assert (transfer.iban, transfer.holder) == (OTHER_IBAN, "Laden")


def _request(amount: str = "12.34") -> PaymentRequest:
    total = Money(Decimal(amount), "PLN")
    return PaymentRequest(
        payment_id=PaymentId(uuid.uuid4()),
        order_id=OrderId(uuid.uuid4()),
        amount=total,
        description="configured",
        customer_ip="127.0.0.1",
        lines=(("thing", 1, total),),
    )


def test_payu_goes_where_its_environment_says(tmp_path: Path) -> None:
    public = "http://shop.example:8080"
    with PayUDouble(
        pos_id="4242", client_id="4242", expected_notify_url=f"{public}/api/payments/payu/notify"
    ) as double:
        env = {
            "SHOP_PUBLIC_URL": public,
            "SHOP_PAYU_BASE_URL": double.base_url,
            "SHOP_PAYU_POS_ID": "4242",
            "SHOP_PAYU_CLIENT_ID": "4242",
            "SHOP_PAYU_CLIENT_SECRET": double.client_secret,
            "SHOP_PAYU_SECOND_KEY": double.second_key,
        }
        gateway = gateways_for(env, tmp_path).for_method("payu")
        assert isinstance(gateway, PayUGateway)
        try:
            result = gateway.start(_request())
        finally:
            gateway.close()

        assert result.status == PaymentStatus.PENDING
        order = double.only_order()
        assert order.body["merchantPosId"] == "4242"
        assert order.body["continueUrl"] == f"{public}/"
        assert double.violations == []
        # Notifications are checked with the configured second key.
        body, headers = double.order_notification(order.order_id)
        assert gateway.parse_notification(body, headers).external_ref == order.order_id


def test_the_payu_default_is_payus_public_sandbox(tmp_path: Path) -> None:
    payu = shop_settings({}, tmp_path)["payments"]["payu"]
    assert payu["base_url"] == PAYU_SANDBOX["base_url"] == "https://secure.snd.payu.com"
    assert payu["notify_url"] == "http://127.0.0.1:8000/api/payments/payu/notify"


def test_stripe_goes_where_its_environment_says(tmp_path: Path) -> None:
    with StripeDouble(api_key="sk_test_env", webhook_secret="whsec_env") as double:
        env = {
            "SHOP_CARD_PROVIDER": "stripe",
            "SHOP_STRIPE_API_KEY": "sk_test_env",
            "SHOP_STRIPE_WEBHOOK_SECRET": "whsec_env",
            "SHOP_STRIPE_API_BASE": double.url,
        }
        gateway = gateways_for(env, tmp_path).for_method("card")
        assert isinstance(gateway, StripeCardGateway)

        result = gateway.start(_request("5.00"))

        assert result.external_ref in double.intents
        assert double.intents[result.external_ref]["amount"] == 500


# --- bad configuration stops the start --------------------------------------------------


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SHOP_CARD_PROVIDER": "bogus"}, ["bogus"]),
        ({"SHOP_TRANSFER_PROVIDER": "paypal"}, ["paypal"]),
        ({"SHOP_PAYU_PROVIDER": "PayPal"}, ["PayPal"]),
        ({"SHOP_CARD_PROVIDER": "stripe"}, ["SHOP_STRIPE_API_KEY"]),
        ({"SHOP_TRANSFER_IBAN": "PL61109010140000071219812875"}, ["IBAN"]),
        ({"SHOP_TRANSFER_IBAN": "not an iban"}, ["IBAN"]),
        ({"SHOP_TRANSFER_HOLDER": "  "}, ["holder"]),
    ],
)
def test_a_bad_provider_configuration_is_a_system_check_error(
    tmp_path: Path, swapped_in: Any, env: dict[str, str], words: list[str]
) -> None:
    swapped_in(application_for(env, tmp_path))

    found = apps.check_payment_providers()

    assert [m.id for m in found] == ["shop.E001"]
    (error,) = found
    assert isinstance(error, checks.Error) and error.level == checks.ERROR
    for word in words:
        assert word in error.msg, error.msg


def test_a_good_configuration_passes_the_check(tmp_path: Path, swapped_in: Any) -> None:
    swapped_in(application_for({"SHOP_TRANSFER_IBAN": OTHER_IBAN}, tmp_path))
    assert apps.check_payment_providers() == []


@pytest.mark.parametrize(
    "country, known", [("PL", True), ("de", True), ("XX", False), ("POL", False), ("ZZ", False)]
)
def test_the_default_country_is_checked_at_start_up(
    tmp_path: Path, swapped_in: Any, country: str, known: bool
) -> None:
    swapped_in(application_for({"SHOP_COUNTRY": country}, tmp_path))
    found = apps.check_country()
    if known:
        assert found == []
    else:
        (error,) = found
        assert error.id == "shop.E003" and error.level == checks.ERROR
        assert f"SHOP_COUNTRY={country.upper()!r}" in error.msg


def test_no_method_at_all_is_a_warning(tmp_path: Path, swapped_in: Any) -> None:
    env = {
        "SHOP_CARD_PROVIDER": "none",
        "SHOP_TRANSFER_PROVIDER": "none",
        "SHOP_PAYU_PROVIDER": "none",
    }
    swapped_in(application_for(env, tmp_path))
    assert [(m.id, m.level) for m in apps.check_payment_providers()] == [
        ("shop.W001", checks.WARNING)
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_shop_serve_with_a_bogus_provider_stops_before_serving(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
    env.update(
        SHOP_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        SHOP_VAR_DIR=str(tmp_path),
        SHOP_CARD_PROVIDER="bogus",
    )
    began = time.monotonic()

    done = subprocess.run(
        [sys.executable, "-m", "adapters.django_web.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode != 0, done.stdout
    assert time.monotonic() - began < 30
    assert "serving on" not in done.stdout
    message = done.stderr + done.stdout
    assert "SHOP_CARD_PROVIDER" in message and "bogus" in message, message
    assert "Traceback" not in message, message
    with socket.socket() as s:  # nothing listens on the port
        assert s.connect_ex(("127.0.0.1", port)) != 0

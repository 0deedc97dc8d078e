"""Payment providers chosen per method by configuration: a Selector per method keyed by
provider name. Swapping a provider is a configuration change, never a code change."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from shop_app.ports.bank_statement import StatementReader, StatementTitles
from shop_app.ports.card_challenge import CardChallengePage
from shop_app.ports.payment_gateway import PaymentGateway, PaymentGateways
from shop_domain.order import PaymentMethod


def _card_sandbox(secret: str, public_url: str) -> PaymentGateway:
    from adapters.payments.card_sandbox import CardSandboxGateway

    return CardSandboxGateway(secret=secret, public_url=public_url)


def _stripe(settings: dict[str, Any], public_url: str) -> PaymentGateway:
    from adapters.payments.stripe_card import StripeCardGateway, StripeConfig

    if not settings.get("api_key"):
        raise ValueError("SHOP_CARD_PROVIDER=stripe needs SHOP_STRIPE_API_KEY")
    return StripeCardGateway(
        StripeConfig(
            api_key=settings["api_key"],
            webhook_secret=settings.get("webhook_secret") or "",
            api_base=settings.get("api_base"),
            public_url=public_url,
        )
    )


def _bank_transfer(settings: dict[str, Any]) -> PaymentGateway:
    from adapters.payments.bank_transfer import BankTransferGateway

    return BankTransferGateway(iban=settings["iban"], holder=settings["holder"])


def _payu(settings: dict[str, Any]) -> PaymentGateway:
    from adapters.payments.payu import PayUConfig, PayUGateway

    return PayUGateway(PayUConfig(**settings))


def _statement_titles() -> StatementTitles:
    from adapters.payments.bank_transfer import BankTransferTitles

    return BankTransferTitles()


def _statement_reader() -> StatementReader:
    from adapters.payments.bank_statement import Mt940StatementReader

    return Mt940StatementReader()


def _challenge_page(card: PaymentGateway | None) -> CardChallengePage | None:
    """The card provider's own 3-D Secure page, if it has one (only the sandbox does)."""
    from adapters.payments.card_sandbox import CardSandboxGateway

    return card if isinstance(card, CardSandboxGateway) else None


def _directory(card: Any, transfer: Any, payu: Any) -> PaymentGateways:
    return PaymentGateways(
        {PaymentMethod.CARD: card, PaymentMethod.TRANSFER: transfer, PaymentMethod.PAYU: payu}
    )


class Payments(containers.DeclarativeContainer):
    config = providers.Configuration()

    card = providers.Selector(
        config.card_provider,
        sandbox=providers.Singleton(_card_sandbox, config.secret, config.public_url),
        stripe=providers.Singleton(_stripe, config.stripe, config.public_url),
        none=providers.Object(None),
    )
    transfer = providers.Selector(
        config.transfer_provider,
        bank_transfer=providers.Singleton(_bank_transfer, config.transfer),
        none=providers.Object(None),
    )
    payu = providers.Selector(
        config.payu_provider,
        payu=providers.Singleton(_payu, config.payu),
        none=providers.Object(None),
    )
    gateways = providers.Singleton(_directory, card, transfer, payu)
    # Follows ``card`` (a test's override of it included): no singleton of its own.
    card_challenge_page = providers.Callable(_challenge_page, card)

    # The bank statement import: the transfer provider's titles, and MT940 files.
    statement_titles = providers.Selector(
        config.transfer_provider,
        bank_transfer=providers.Singleton(_statement_titles),
        none=providers.Object(None),
    )
    statement_reader = providers.Singleton(_statement_reader)

"""Build the whole core on in-memory adapters: what every unit test drives."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import attrs
from dependency_injector import providers

from adapters.addressing.rules import I18nAddressRules
from adapters.payments.bank_transfer import BankTransferTitles
from adapters.payments.fake import FakePaymentGateway
from adapters.persistence.in_memory import (
    FixedClock,
    InMemoryPaymentReplies,
    InMemoryStockHolds,
    InMemoryStore,
    InMemoryUnitOfWork,
    PlainPasswordHasher,
    SimplePasswordPolicy,
)
from adapters.persistence.in_memory_events import InMemoryEventLog
from adapters.persistence.in_memory_reconciliation import InMemoryStalePayments
from adapters.persistence.system import UuidSource
from shop_app.containers import UseCases
from shop_app.ports.payment_gateway import PaymentGateways
from shop_app.read_models import CustomerView, ProductView
from shop_app.settings import ShopSettings
from shop_domain.order import PaymentMethod
from shop_domain.refund import RefundStatus


@attrs.define
class Shop:
    use: UseCases
    store: InMemoryStore
    clock: FixedClock
    card: FakePaymentGateway
    transfer: FakePaymentGateway
    payu: FakePaymentGateway

    def customer(self, name: str | None = None) -> CustomerView:
        name = name or f"user-{uuid.uuid4().hex[:8]}"
        return self.use.register_customer()(
            username=name, password="correct-horse-9", email=f"{name}@example.com"
        )

    def product(self, *, stock: int = 10, price: str = "10.00", **kw: object) -> ProductView:
        kw.setdefault("name", f"product-{uuid.uuid4().hex[:6]}")
        return self.use.create_product()(price=Decimal(price), stock=stock, **kw)

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def stock_of(self, product_id: uuid.UUID) -> tuple[int, int]:
        """(on hand, reserved) as committed."""
        p = self.store.tables.products[product_id]
        return p.stock, p.reserved


def build_shop(
    *, reservation_minutes: int = 30, currency: str = "PLN", **more_settings: object
) -> Shop:
    store = InMemoryStore()
    clock = FixedClock()
    card = FakePaymentGateway("card-fake")
    transfer = FakePaymentGateway(
        "transfer-fake",
        customer_confirms=False,
        next_action={"type": "bank_transfer"},
        refunds_locally=True,  # a payout staff send, pending until marked sent
        refund_status=RefundStatus.PENDING,
    )
    payu = FakePaymentGateway("payu-fake", next_action={"type": "redirect", "url": "https://x"})
    use = UseCases(
        uow=providers.Factory(InMemoryUnitOfWork, store),
        stock_holds=InMemoryStockHolds(store),
        payment_replies=InMemoryPaymentReplies(store),
        clock=clock,
        ids=UuidSource(),
        hasher=PlainPasswordHasher(),
        password_policy=SimplePasswordPolicy(),
        gateways=PaymentGateways(
            {PaymentMethod.CARD: card, PaymentMethod.TRANSFER: transfer, PaymentMethod.PAYU: payu}
        ),
        settings=ShopSettings(
            currency=currency,
            reservation_ttl=timedelta(minutes=reservation_minutes),
            **more_settings,  # type: ignore[arg-type]
        ),
        statement_titles=BankTransferTitles(),  # pure: the titles' format and check digits
        stale_payments=InMemoryStalePayments(store),
        event_log=InMemoryEventLog(store.events),
        address_rules=I18nAddressRules("PL"),
    )
    return Shop(use=use, store=store, clock=clock, card=card, transfer=transfer, payu=payu)

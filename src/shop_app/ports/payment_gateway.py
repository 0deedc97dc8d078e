"""The payment-provider port and the directory that picks a provider per method."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from shop_domain.errors import PaymentMethodNotAvailable
from shop_domain.ids import OrderId, PaymentId, RefundId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod
from shop_domain.payment import Payment, PaymentStatus
from shop_domain.refund import RefundStatus


@attrs.frozen(kw_only=True)
class PaymentRequest:
    """What a provider needs to start taking money for one payment attempt."""

    payment_id: PaymentId
    order_id: OrderId
    amount: Money
    description: str
    customer_email: str = ""
    customer_ip: str = ""
    lines: tuple[tuple[str, int, Money], ...] = ()  # (name, quantity, unit price)


@attrs.frozen(kw_only=True)
class GatewayResult:
    """What a provider said about a payment.

    ``order_failed`` marks a definitive failure of the whole order (PayU canceled
    it), as opposed to a declined card the customer may retry.
    """

    status: PaymentStatus
    external_ref: str = ""
    next_action: dict[str, Any] | None = None
    order_failed: bool = False


@attrs.frozen(kw_only=True)
class RefundRequest:
    """Give ``amount`` of a succeeded payment back. ``refund_id`` is the provider's
    idempotency key (Stripe's Idempotency-Key, PayU's extRefundId): asked twice, the
    provider refunds once."""

    refund_id: RefundId
    payment: Payment
    amount: Money
    reason: str = ""
    external_ref: str = ""  # the provider's id of the refund, once known


@attrs.frozen(kw_only=True)
class RefundResult:
    """What a provider said about a refund: ``pending`` (on its way: a notification or
    the reconciliation job settles it), ``succeeded`` or ``failed`` (refused for good)."""

    status: RefundStatus
    external_ref: str = ""


@attrs.frozen(kw_only=True)
class RefundNote:
    """A provider's word on one refund, inside a notification."""

    refund_id: RefundId | None  # ours, when the provider echoes it (extRefundId, metadata)
    external_ref: str
    status: RefundStatus


@attrs.frozen(kw_only=True)
class Notification:
    """A provider's verified, parsed report on a payment (and, with ``refund``, on one
    of its refunds: then ``status`` is not a payment status to apply)."""

    payment_id: PaymentId | None
    external_ref: str
    status: PaymentStatus
    amount: Money | None = None
    order_failed: bool = False
    reply: dict[str, Any] | None = None  # body the provider expects back, if any
    refund: RefundNote | None = None


class PaymentGateway(Protocol):
    """One payment provider. Raises PaymentDeclined, PaymentProviderUnavailable or
    InvalidNotificationSignature; nothing from an HTTP client or SDK escapes."""

    provider: str
    #: False when the customer cannot confirm (bank transfers arrive on their own).
    customer_confirms: bool
    #: True when ``start`` calls no one (a sandbox, transfer instructions): it is asked
    #: before the attempt is recorded, and its usual answer (pending) goes in with it.
    answers_locally: bool

    def start(self, request: PaymentRequest) -> GatewayResult:
        """Create the payment at the provider."""
        ...

    def confirm(self, payment: Payment, params: Mapping[str, Any]) -> GatewayResult:
        """Complete or look up the payment (card token, status query)."""
        ...

    def refund(self, payment: Payment) -> GatewayResult:
        """Give all the money of a succeeded payment back (a payment that paid nothing:
        see give_back_stray_money)."""
        ...

    #: True when ``refund_money`` calls no one (the card sandbox, a transfer payout):
    #: it is asked inside the unit of work that records the refund.
    refunds_locally: bool

    def refund_money(self, request: RefundRequest) -> RefundResult:
        """Give part or all of a succeeded payment back, once per ``refund_id``
        however often asked. Raises PaymentProviderUnavailable when the provider cannot
        be reached or answers nonsense (the outcome is unknown: ask again later)."""
        ...

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Verify a provider's notification on its raw body, then parse it."""
        ...


@runtime_checkable
class StatusLookup(Protocol):
    """A provider that can be asked what became of a payment (reconciliation of a
    notification that never came)."""

    def look_up(self, payment: Payment) -> Notification | None:
        """The provider's word on the payment, as a notification would say it; None
        when it has nothing to tell yet. Raises PaymentProviderUnavailable."""
        ...


@runtime_checkable
class RefundLookup(Protocol):
    """A provider that can be asked what became of a refund still pending."""

    def look_up_refund(self, request: RefundRequest) -> RefundResult:
        """The refund's status now (a refund the provider never received is asked for
        again, under the same idempotency key). Raises PaymentProviderUnavailable."""
        ...


class PaymentGateways:
    """The configured provider of each payment method (None: method disabled)."""

    def __init__(self, by_method: Mapping[PaymentMethod, PaymentGateway | None]):
        self._by_method = dict(by_method)
        self._by_provider = {g.provider: g for g in self._by_method.values() if g is not None}

    def method(self, name: PaymentMethod | str) -> PaymentMethod:
        """Parse a method name (any case); unknown or disabled methods answer 5003."""
        try:
            method = PaymentMethod(str(name).lower())
        except ValueError:
            raise PaymentMethodNotAvailable(details={"method": str(name)}) from None
        if self._by_method.get(method) is None:
            raise PaymentMethodNotAvailable(details={"method": method.value})
        return method

    def for_method(self, name: PaymentMethod | str) -> PaymentGateway:
        gateway = self._by_method.get(self.method(name))
        assert gateway is not None
        return gateway

    def by_provider(self, provider: str) -> PaymentGateway:
        gateway = self._by_provider.get(provider)
        if gateway is None:
            raise PaymentMethodNotAvailable(details={"provider": provider})
        return gateway

    @property
    def enabled(self) -> list[PaymentMethod]:
        return [m for m, g in self._by_method.items() if g is not None]

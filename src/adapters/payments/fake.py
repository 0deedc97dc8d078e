"""A scriptable payment gateway for tests and scripts: no network, every outcome on demand."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import deque
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from shop_app.ports.payment_gateway import (
    GatewayResult,
    Notification,
    PaymentRequest,
    RefundNote,
    RefundRequest,
    RefundResult,
)
from shop_domain.errors import (
    InvalidNotificationSignature,
    PaymentDeclined,
    PaymentProviderUnavailable,
    ShopError,
)
from shop_domain.ids import PaymentId, RefundId
from shop_domain.money import Money
from shop_domain.payment import Payment, PaymentStatus
from shop_domain.refund import RefundStatus


class FakePaymentGateway:
    """Answers what it is told to and records what it was asked.

    ``confirm_outcomes`` is a queue of statuses or errors for the next confirms
    (empty: success); ``down`` makes every call fail as an unreachable provider.
    Notifications are JSON ``{"payment_id", "status", "amount"?, "currency"?}``
    signed by a ``X-Fake-Signature`` header: the HMAC-SHA256 of the body under ``secret``.
    """

    def __init__(
        self,
        provider: str = "fake",
        *,
        customer_confirms: bool = True,
        answers_locally: bool = False,
        start_status: PaymentStatus = PaymentStatus.PENDING,
        next_action: dict[str, Any] | None = None,
        secret: str = "fake-secret",
        refunds_locally: bool = False,
        refund_status: RefundStatus = RefundStatus.SUCCEEDED,
    ):
        self.provider = provider
        self.customer_confirms = customer_confirms
        self.answers_locally = answers_locally
        self.start_status = start_status
        self.next_action = next_action or {"type": "card_token"}
        self.secret = secret
        self.down = False
        self.confirm_outcomes: deque[PaymentStatus | ShopError] = deque()
        self.started: list[PaymentRequest] = []
        self.confirmed: list[PaymentId] = []
        self.refunded: list[PaymentId] = []
        #: What a status query answers per payment (reconciliation); absent: nothing yet.
        self.statuses: dict[PaymentId, tuple[PaymentStatus, Money | None]] = {}
        self.looked_up: list[PaymentId] = []
        self.refunds_locally = refunds_locally
        #: What refund_money answers; every call is recorded, by refund id.
        self.refund_status = refund_status
        self.refund_requests: list[RefundRequest] = []
        #: What a refund look-up answers per refund (absent: refund_status).
        self.refund_statuses: dict[RefundId, RefundStatus] = {}

    def _check_up(self) -> None:
        if self.down:
            raise PaymentProviderUnavailable(details={"provider": self.provider})

    def start(self, request: PaymentRequest) -> GatewayResult:
        self._check_up()
        self.started.append(request)
        return GatewayResult(
            status=self.start_status,
            external_ref=f"{self.provider}-{request.payment_id}",
            next_action=self.next_action,
        )

    def confirm(self, payment: Payment, params: Mapping[str, Any]) -> GatewayResult:
        self._check_up()
        self.confirmed.append(payment.id)
        outcome = self.confirm_outcomes.popleft() if self.confirm_outcomes else None
        if isinstance(outcome, ShopError):
            raise outcome
        return GatewayResult(status=outcome or PaymentStatus.SUCCEEDED)

    def decline_next(self) -> None:
        self.confirm_outcomes.append(PaymentDeclined())

    def refund(self, payment: Payment) -> GatewayResult:
        self._check_up()
        self.refunded.append(payment.id)
        return GatewayResult(status=PaymentStatus.REFUNDED)

    def refund_money(self, request: RefundRequest) -> RefundResult:
        self._check_up()
        self.refund_requests.append(request)
        return RefundResult(status=self.refund_status, external_ref=f"re-{request.refund_id}")

    def look_up_refund(self, request: RefundRequest) -> RefundResult:
        self._check_up()
        self.refund_requests.append(request)
        status = self.refund_statuses.get(request.refund_id, self.refund_status)
        return RefundResult(status=status, external_ref=f"re-{request.refund_id}")

    def look_up(self, payment: Payment) -> Notification | None:
        self._check_up()
        self.looked_up.append(payment.id)
        if payment.id not in self.statuses:
            return None
        status, amount = self.statuses[payment.id]
        return Notification(
            payment_id=payment.id, external_ref=payment.external_ref, status=status, amount=amount
        )

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        if not hmac.compare_digest(headers.get("X-Fake-Signature", ""), self._sign(body)):
            raise InvalidNotificationSignature()
        data = json.loads(body)
        amount = Money(data["amount"], data.get("currency", "PLN")) if "amount" in data else None
        if "refund_id" in data:
            return Notification(
                payment_id=PaymentId(UUID(data["payment_id"])),
                external_ref=data.get("external_ref", ""),
                status=PaymentStatus.SUCCEEDED,
                refund=RefundNote(
                    refund_id=RefundId(UUID(data["refund_id"])),
                    external_ref=data.get("refund_ref", ""),
                    status=RefundStatus(data["status"]),
                ),
            )
        return Notification(
            payment_id=PaymentId(UUID(data["payment_id"])),
            external_ref=data.get("external_ref", ""),
            status=PaymentStatus(data["status"]),
            amount=amount,
            order_failed=bool(data.get("order_failed", False)),
        )

    def notification(
        self, payment_id: PaymentId, status: str, **extra: Any
    ) -> tuple[bytes, dict[str, str]]:
        """A correctly signed notification, as the provider would send it."""
        body = json.dumps({"payment_id": str(payment_id), "status": status, **extra}).encode()
        return body, {"X-Fake-Signature": self._sign(body)}

    def _sign(self, body: bytes) -> str:
        return hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

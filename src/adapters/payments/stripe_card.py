"""Card payments through Stripe's PaymentIntents API, with the official ``stripe`` library.

Each gateway owns a ``stripe.StripeClient`` (no global ``stripe.api_key``), so it is
thread-safe and its API address can point at a local test double. Every failure of
Stripe or of the network becomes an application error: a card error is
PaymentDeclined, anything else PaymentProviderUnavailable; nothing from the SDK
escapes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import attrs
import stripe

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
    ValidationFailed,
)
from shop_domain.ids import PaymentId, RefundId
from shop_domain.money import Money
from shop_domain.payment import Payment, PaymentStatus
from shop_domain.refund import RefundStatus

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"


def _not_blank(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value or not value.strip():
        raise ValueError(f"Stripe needs a non-empty {attribute.name}")


@attrs.frozen
class StripeConfig:
    """``api_base`` None means Stripe's own address; ``timeout`` is in seconds per
    request; ``public_url`` is the shop's address, where 3-D Secure returns to. An
    empty ``webhook_secret`` refuses every webhook (confirm still asks Stripe)."""

    api_key: str = attrs.field(repr=False, validator=_not_blank)
    webhook_secret: str = attrs.field(repr=False, default="")
    api_base: str | None = None
    timeout: float = 10.0
    public_url: str = "http://127.0.0.1:8000"


class _Refused(PaymentProviderUnavailable):
    """Stripe refused a request (4xx other than a card error); ``stripe_code`` says why,
    so callers can recognise the refusals that are really answers."""

    def __init__(self, stripe_code: str | None):
        super().__init__(details={"provider": "stripe"})
        self.stripe_code = stripe_code


def _unavailable() -> PaymentProviderUnavailable:
    return PaymentProviderUnavailable(details={"provider": "stripe"})


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def _ignored() -> Notification:
    """An event the shop does not act on: acknowledged, then ignored."""
    return Notification(payment_id=None, external_ref="", status=PaymentStatus.PENDING)


def _payment_id(metadata: Any) -> PaymentId | None:
    try:
        return PaymentId(UUID(str(metadata["payment_id"])))
    except (KeyError, TypeError, ValueError):
        return None


def _money(obj: Mapping[str, Any]) -> Money | None:
    amount, currency = obj.get("amount"), obj.get("currency")
    if type(amount) is not int or not isinstance(currency, str):
        return None
    return Money.from_minor(amount, currency.upper())


class StripeCardGateway:
    """The ``stripe`` card provider."""

    provider = "stripe"
    customer_confirms = True
    answers_locally = False
    refunds_locally = False

    def __init__(self, config: StripeConfig, *, client: stripe.StripeClient | None = None):
        self._config = config
        self._client = client or stripe.StripeClient(
            config.api_key,
            base_addresses={"api": config.api_base.rstrip("/")} if config.api_base else None,
            http_client=stripe.RequestsClient(timeout=config.timeout),
            max_network_retries=0,
        )

    # --- the port -------------------------------------------------------------
    def start(self, request: PaymentRequest) -> GatewayResult:
        intent = self._call(
            "create payment intent",
            lambda: self._client.v1.payment_intents.create(
                params={
                    "amount": request.amount.minor,
                    "currency": request.amount.currency.lower(),
                    "payment_method_types": ["card"],
                    "description": request.description,
                    "metadata": {
                        "payment_id": str(request.payment_id),
                        "order_id": str(request.order_id),
                    },
                },
                # A retried start creates no second intent.
                options={"idempotency_key": str(request.payment_id)},
            ),
        )
        return GatewayResult(
            status=PaymentStatus.PENDING,
            external_ref=intent["id"],
            next_action={"type": "card_token"},
        )

    def confirm(self, payment: Payment, params: Mapping[str, Any]) -> GatewayResult:
        token = params.get("card_token")
        has_token = isinstance(token, str) and bool(token.strip())
        if not has_token:
            # After 3-D Secure the client may ask for the outcome without a new card.
            if payment.status == PaymentStatus.REQUIRES_ACTION and payment.external_ref:
                return self._intent_result(self._retrieve(payment.external_ref))
            raise ValidationFailed(details={"card_token": ["This field is required."]})
        if not payment.external_ref:
            raise _unavailable()  # the intent was never created; start a new payment
        assert isinstance(token, str)
        try:
            intent = self._call(
                "confirm payment intent",
                lambda: self._client.v1.payment_intents.confirm(
                    payment.external_ref,
                    params={
                        "payment_method": token.strip(),
                        "return_url": f"{self._config.public_url.rstrip('/')}"
                        f"/api/orders/{payment.order_id}/payment",
                    },
                ),
            )
        except _Refused as refused:
            if refused.stripe_code != "payment_intent_unexpected_state":
                raise
            # Confirmed already (a retry after a lost answer, a webhook that won):
            # report what the intent says now.
            intent = self._retrieve(payment.external_ref)
        return self._intent_result(intent)

    def refund(self, payment: Payment) -> GatewayResult:
        if not payment.external_ref:
            raise _unavailable()
        try:
            refund = self._call(
                "create refund",
                lambda: self._client.v1.refunds.create(
                    params={
                        "payment_intent": payment.external_ref,
                        "metadata": {"payment_id": str(payment.id)},
                    },
                    options={"idempotency_key": f"refund-{payment.id}"},
                ),
            )
        except _Refused as refused:
            if refused.stripe_code == "charge_already_refunded":
                return GatewayResult(status=PaymentStatus.REFUNDED)
            raise
        status = refund.get("status")
        if status == "succeeded":
            return GatewayResult(status=PaymentStatus.REFUNDED)
        if status in ("pending", "requires_action"):
            # Money on its way back: the payment stays succeeded until Stripe's
            # charge.refunded / refund.updated webhook says it arrived.
            return GatewayResult(status=PaymentStatus.SUCCEEDED)
        log.warning("stripe refund for payment %s ended %r", payment.id, status)
        raise _unavailable()

    def refund_money(self, request: RefundRequest) -> RefundResult:
        """Stripe's Refunds API for part of the payment, the refund's id as the
        Idempotency-Key (a repeat replays the first answer, never a second refund)."""
        payment = request.payment
        if not payment.external_ref:
            return RefundResult(status=RefundStatus.FAILED)
        try:
            refund = self._call(
                "create refund",
                lambda: self._client.v1.refunds.create(
                    params={
                        "payment_intent": payment.external_ref,
                        "amount": request.amount.minor,
                        "metadata": {
                            "refund_id": str(request.refund_id),
                            "payment_id": str(payment.id),
                        },
                    },
                    options={"idempotency_key": str(request.refund_id)},
                ),
            )
        except _Refused:
            return RefundResult(status=RefundStatus.FAILED)  # Stripe said no, for good
        return _refund_result(refund)

    def look_up_refund(self, request: RefundRequest) -> RefundResult:
        """The refund as Stripe has it now. One whose id we never heard (Stripe was down
        or did not answer) is looked for among the payment's refunds by its metadata
        first (an Idempotency-Key lasts 24 hours at Stripe, a refund forever), and only
        when Stripe has none is it asked for again, under the same key."""
        if not request.external_ref:
            found = self._find_refund(request)
            if found is None:
                return self.refund_money(request)
            return _refund_result(found)
        refund = self._call(
            "retrieve refund", lambda: self._client.v1.refunds.retrieve(request.external_ref)
        )
        return _refund_result(refund)

    def _find_refund(self, request: RefundRequest) -> dict[str, Any] | None:
        intent = request.payment.external_ref
        if not intent:
            return None
        try:
            page = self._client.v1.refunds.list(params={"payment_intent": intent, "limit": 100})
            listed = page.to_dict().get("data")
        except stripe.StripeError as error:
            log.warning("stripe failed to list refunds: %s", type(error).__name__)
            raise _unavailable() from error
        except (AttributeError, TypeError, ValueError) as error:
            raise _unavailable() from error
        if not isinstance(listed, list):
            raise _unavailable()
        return next(
            (r for r in listed if isinstance(r, dict) and _refund_id(r) == request.refund_id),
            None,
        )

    def look_up(self, payment: Payment) -> Notification | None:
        """The PaymentIntent's status, as its webhook would tell it; None while the
        intent still waits (for a card, 3-D Secure, or processing)."""
        if not payment.external_ref:
            return None
        intent = self._retrieve(payment.external_ref)
        status = {
            "succeeded": PaymentStatus.SUCCEEDED,
            "canceled": PaymentStatus.CANCELED,
        }.get(intent.get("status"))  # type: ignore[arg-type]
        if status is None:
            return None
        return Notification(
            payment_id=payment.id,
            external_ref=payment.external_ref,
            status=status,
            amount=_money(intent),
        )

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidNotificationSignature() from None
        try:
            event = self._client.construct_event(
                payload, _header(headers, SIGNATURE_HEADER), self._config.webhook_secret
            )
            data = event.to_dict()
            kind, obj = data["type"], data["data"]["object"]
        except stripe.SignatureVerificationError:
            raise InvalidNotificationSignature() from None
        except (AttributeError, KeyError, TypeError, ValueError):
            return _ignored()  # signed, but not an event shape we know
        if not isinstance(obj, dict):
            return _ignored()
        return self._notification(kind, obj)

    # --- helpers ----------------------------------------------------------------
    def _notification(self, kind: str, obj: dict[str, Any]) -> Notification:
        if kind.startswith("payment_intent."):
            status = {
                "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
                "payment_intent.payment_failed": PaymentStatus.FAILED,
                "payment_intent.canceled": PaymentStatus.CANCELED,
            }.get(kind)
            intent_id = obj.get("id")
        elif kind == "charge.refunded":
            listed = (
                (obj.get("refunds") or {}).get("data")
                if isinstance(obj.get("refunds"), dict)
                else None
            )
            ours = [r for r in listed or [] if isinstance(r, dict) and _refund_id(r)]
            if ours:  # the charge names our refunds: the latest one is the news
                return _refund_notification(max(ours, key=lambda r: r.get("created") or 0))
            # A full refund of a payment that paid nothing (give_back_stray_money).
            status = PaymentStatus.REFUNDED if obj.get("refunded") is True else None
            intent_id = obj.get("payment_intent")
        elif kind in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
            if _refund_id(obj):
                return _refund_notification(obj)
            status = PaymentStatus.REFUNDED if obj.get("status") == "succeeded" else None
            intent_id = obj.get("payment_intent")
        else:
            status, intent_id = None, None
        if status is None or not isinstance(intent_id, str) or not intent_id:
            return _ignored()
        return Notification(
            payment_id=_payment_id(obj.get("metadata")),
            external_ref=intent_id,
            status=status,
            amount=_money(obj),
        )

    def _retrieve(self, intent_id: str) -> dict[str, Any]:
        return self._call(
            "retrieve payment intent", lambda: self._client.v1.payment_intents.retrieve(intent_id)
        )

    def _intent_result(self, intent: dict[str, Any]) -> GatewayResult:
        status, ref = intent.get("status"), intent["id"]
        if status == "succeeded":
            return GatewayResult(status=PaymentStatus.SUCCEEDED, external_ref=ref)
        if status in ("requires_action", "requires_source_action"):
            action = intent.get("next_action") or {}
            url = (action.get("redirect_to_url") or {}).get("url")
            return GatewayResult(
                status=PaymentStatus.REQUIRES_ACTION,
                external_ref=ref,
                next_action={"type": "redirect", "url": url} if url else None,
            )
        if status in ("processing", "requires_capture"):
            return GatewayResult(status=PaymentStatus.PENDING, external_ref=ref)
        if status == "requires_confirmation":
            return GatewayResult(
                status=PaymentStatus.PENDING, external_ref=ref, next_action={"type": "card_token"}
            )
        if status == "requires_payment_method":  # the attempt failed (declined, 3-DS failed)
            error = intent.get("last_payment_error") or {}
            raise PaymentDeclined(details={"reason": error.get("code") or "card_declined"})
        if status == "canceled":
            return GatewayResult(status=PaymentStatus.CANCELED, external_ref=ref)
        log.warning("stripe payment intent %s in unknown status %r", ref, status)
        raise _unavailable()

    def _call(self, what: str, request: Callable[[], Any]) -> dict[str, Any]:
        """Run one Stripe request and give its object as a plain dict with an ``id``,
        translating every failure into the port's errors."""
        try:
            obj = request()
            data = obj.to_dict()
        except stripe.CardError as error:
            raise PaymentDeclined(details={"reason": error.code or "card_declined"}) from error
        except stripe.InvalidRequestError as error:
            if error.param == "payment_method":  # no such card token
                raise PaymentDeclined(details={"reason": error.code or "card_declined"}) from error
            log.warning("stripe refused to %s: %s", what, error.code)
            raise _Refused(error.code) from error
        except stripe.StripeError as error:
            log.warning("stripe failed to %s: %s", what, type(error).__name__)
            raise _unavailable() from error
        except (AttributeError, TypeError, ValueError) as error:
            log.warning("stripe answered %s with a malformed object", what)
            raise _unavailable() from error
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            log.warning("stripe answered %s without an id", what)
            raise _unavailable()
        return data


_STRIPE_REFUND_STATUSES = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


def _refund_result(refund: dict[str, Any]) -> RefundResult:
    status = _STRIPE_REFUND_STATUSES.get(str(refund.get("status")))
    if status is None:
        log.warning("stripe refund %s in unknown status %r", refund["id"], refund.get("status"))
        raise _unavailable()
    return RefundResult(status=status, external_ref=refund["id"])


def _refund_id(refund: dict[str, Any]) -> RefundId | None:
    metadata = refund.get("metadata")
    value = metadata.get("refund_id") if isinstance(metadata, dict) else None
    try:
        return RefundId(UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _refund_notification(refund: dict[str, Any]) -> Notification:
    """A Stripe refund object as news of one of our refunds."""
    status = _STRIPE_REFUND_STATUSES.get(str(refund.get("status")), RefundStatus.PENDING)
    return Notification(
        payment_id=_payment_id(refund.get("metadata")),
        external_ref=str(refund.get("payment_intent") or ""),
        status=PaymentStatus.SUCCEEDED,
        refund=RefundNote(
            refund_id=_refund_id(refund), external_ref=str(refund.get("id") or ""), status=status
        ),
    )

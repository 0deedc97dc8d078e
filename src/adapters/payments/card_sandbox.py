"""The card sandbox: an in-process card provider that behaves like a processor's test mode.

It accepts Stripe's test tokens (``pm_card_visa``, ``pm_card_mastercard``,
``pm_card_chargeDeclined``, ``pm_card_threeDSecure2Required``) and plays the bank's
3-D Secure page itself. It is stateless, because the shop runs several worker
processes: a 3-D Secure challenge is a URL-safe token HMAC-signed with the secret
that carries the payment id, amount and currency, and the outcome comes back as a
notification signed the same way, which the web layer feeds to ApplyNotification.

Challenge: ``<base64url(json)>.<base64url(hmac_sha256(challenge_key, first part))>``
where ``challenge_key`` is derived from the secret, so a challenge signature can
never pass for a notification signature. Notification: a JSON body with the header
``X-Sandbox-Signature: hex(hmac_sha256(secret, raw body))``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from shop_app.ports.payment_gateway import (
    GatewayResult,
    Notification,
    PaymentRequest,
    RefundRequest,
    RefundResult,
)
from shop_domain.errors import (
    InvalidNotificationSignature,
    PaymentDeclined,
    ValidationFailed,
)
from shop_domain.ids import PaymentId
from shop_domain.money import Money
from shop_domain.payment import Payment, PaymentStatus
from shop_domain.refund import RefundStatus

SIGNATURE_HEADER = "X-Sandbox-Signature"

SUCCEEDING_TOKENS = frozenset({"pm_card_visa", "pm_card_mastercard"})
DECLINED_TOKEN = "pm_card_chargeDeclined"
THREE_D_SECURE_TOKEN = "pm_card_threeDSecure2Required"

_CHALLENGE_VERSION = 1
_OUTCOMES = {"succeeded": PaymentStatus.SUCCEEDED, "failed": PaymentStatus.FAILED}
# What the result page says of a settled payment, by status.
_SETTLED = {
    PaymentStatus.SUCCEEDED: ("Payment succeeded", "The payment succeeded."),
    PaymentStatus.FAILED: ("Payment failed", "The payment failed: the check was not passed."),
    PaymentStatus.CANCELED: ("Payment canceled", "The payment was canceled."),
    PaymentStatus.REFUNDED: ("Payment refunded", "The payment succeeded and was refunded."),
}
_STYLE = (
    "<style>body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;"
    "padding:0 1rem}form{display:inline-block;margin:.5rem .5rem 0 0}"
    "button{font-size:1rem;padding:.5rem 1rem}</style>"
)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (plain dicts are case-sensitive)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def _same(expected: str, given: str) -> bool:
    # compare_digest refuses non-ASCII str; bytes keep the comparison constant-time.
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def external_ref_for(payment_id: PaymentId) -> str:
    return f"sbx_{payment_id.hex}"


class CardSandboxGateway:
    """The ``sandbox`` card provider. ``secret`` signs challenges and notifications
    (every worker must share it); ``public_url`` is where the shop is reachable, and
    the 3-D Secure page lives at ``{public_url}/sandbox/3ds/<challenge>``."""

    provider = "sandbox"
    customer_confirms = True
    answers_locally = True  # a sandbox: no one to call
    refunds_locally = True

    def __init__(
        self,
        secret: str,
        public_url: str,
        *,
        challenge_ttl: int = 3600,
        clock: Callable[[], float] = time.time,
    ):
        if not secret:
            raise ValueError("the card sandbox needs a non-empty secret")
        self._secret = secret.encode("utf-8")
        self._challenge_key = hmac.new(
            self._secret, b"card-sandbox/3ds-challenge", hashlib.sha256
        ).digest()
        self._public_url = public_url.rstrip("/")
        self._challenge_ttl = challenge_ttl
        self._clock = clock

    # --- the port -------------------------------------------------------------
    def start(self, request: PaymentRequest) -> GatewayResult:
        return GatewayResult(
            status=PaymentStatus.PENDING,
            external_ref=external_ref_for(request.payment_id),
            next_action={"type": "card_token"},
        )

    def confirm(self, payment: Payment, params: Mapping[str, Any]) -> GatewayResult:
        token = params.get("card_token")
        if not isinstance(token, str) or not token.strip():
            raise ValidationFailed(details={"card_token": ["This field is required."]})
        token = token.strip()
        ref = external_ref_for(payment.id)
        if token in SUCCEEDING_TOKENS:
            return GatewayResult(status=PaymentStatus.SUCCEEDED, external_ref=ref)
        if token == THREE_D_SECURE_TOKEN:
            challenge = self.make_challenge(payment.id, payment.amount)
            return GatewayResult(
                status=PaymentStatus.REQUIRES_ACTION,
                external_ref=ref,
                next_action={"type": "redirect", "url": self.challenge_url(challenge)},
            )
        reason = "card_declined" if token == DECLINED_TOKEN else "unknown_test_card"
        raise PaymentDeclined(details={"reason": reason})

    def refund(self, payment: Payment) -> GatewayResult:
        return GatewayResult(
            status=PaymentStatus.REFUNDED, external_ref=external_ref_for(payment.id)
        )

    def refund_money(self, request: RefundRequest) -> RefundResult:
        """The sandbox gives money back at once."""
        return RefundResult(status=RefundStatus.SUCCEEDED, external_ref=f"re_{request.refund_id}")

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature or not _same(self._sign_body(body), signature.strip()):
            raise InvalidNotificationSignature()
        # Signed by us, so a malformed body is a bug rather than an attack.
        try:
            data = json.loads(body)
            payment_id = PaymentId(UUID(data["payment_id"]))
            status = _OUTCOMES[data["status"]]
            amount = Money.from_minor(int(data["amount"]), str(data["currency"]))
            external_ref = str(data["external_ref"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValidationFailed(details={"body": ["malformed sandbox notification"]}) from error
        return Notification(
            payment_id=payment_id, external_ref=external_ref, status=status, amount=amount
        )

    # --- the 3-D Secure page ---------------------------------------------------
    def make_challenge(self, payment_id: PaymentId, amount: Money) -> str:
        claims = {
            "v": _CHALLENGE_VERSION,
            "pid": str(payment_id),
            "amt": amount.minor,
            "cur": amount.currency,
            "exp": int(self._clock()) + self._challenge_ttl,
        }
        body = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._sign_challenge(body)}"

    def challenge_url(self, challenge: str) -> str:
        return f"{self._public_url}/sandbox/3ds/{challenge}"

    def read_challenge(self, challenge: str) -> tuple[PaymentId, Money]:
        """The payment and amount a challenge is about; a forged, tampered or
        expired challenge raises InvalidNotificationSignature."""
        body, dot, signature = challenge.partition(".")
        if not dot or not _same(self._sign_challenge(body), signature):
            raise InvalidNotificationSignature()
        try:
            claims = json.loads(_b64decode(body))
            if claims["v"] != _CHALLENGE_VERSION:
                raise ValueError("unknown challenge version")
            expires = int(claims["exp"])
            payment_id = PaymentId(UUID(claims["pid"]))
            amount = Money.from_minor(int(claims["amt"]), str(claims["cur"]))
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise InvalidNotificationSignature() from error
        if self._clock() > expires:
            raise InvalidNotificationSignature("3-D Secure challenge expired")
        return payment_id, amount

    def complete_challenge(self, challenge: str, succeeded: bool) -> tuple[bytes, dict[str, str]]:
        """The signed notification the bank's answer produces: feed its body and
        headers to ApplyNotification(provider="sandbox", ...)."""
        payment_id, amount = self.read_challenge(challenge)
        body = json.dumps(
            {
                "payment_id": str(payment_id),
                "external_ref": external_ref_for(payment_id),
                "status": "succeeded" if succeeded else "failed",
                "amount": amount.minor,
                "currency": amount.currency,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return body, {SIGNATURE_HEADER: self._sign_body(body)}

    def render_challenge_page(self, challenge: str, csrf_token: str) -> str:
        """A self-contained HTML page with two forms POSTing back to the page's own
        URL with ``outcome=succeed`` or ``outcome=fail`` (and Django's CSRF field)."""
        payment_id, amount = self.read_challenge(challenge)
        csrf = html.escape(csrf_token, quote=True)

        def form(outcome: str, label: str) -> str:
            return (
                '<form method="post">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                f'<input type="hidden" name="outcome" value="{outcome}">'
                f'<button type="submit">{label}</button>'
                "</form>"
            )

        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Card sandbox: 3-D Secure</title>{_STYLE}</head><body>"
            "<h1>3-D Secure check</h1>"
            f"<p>Payment <code>{html.escape(str(payment_id))}</code> of "
            f"<strong>{html.escape(str(amount))}</strong>.</p>"
            "<p>This is the shop's card sandbox: no bank is involved. "
            "Choose how the cardholder's check ends.</p>"
            f"{form('succeed', 'Complete authentication')}"
            f"{form('fail', 'Fail authentication')}"
            "</body></html>\n"
        )

    def return_url(self, order_id: UUID) -> str:
        """Where a result page sends the customer: the shop, with the order in the
        query (as PayU's ``continueUrl`` leads back to the shop)."""
        return f"{self._public_url}/?{urlencode({'order': str(order_id)})}"

    def render_result_page(
        self, challenge: str, *, status: PaymentStatus, order_id: UUID, already: bool = False
    ) -> str:
        """The page after the check, or instead of it once the payment is settled: it
        says how the payment ended (no buttons: there is nothing left to choose) and
        links back to the shop. ``already``: it was settled before this visit."""
        payment_id, amount = self.read_challenge(challenge)
        heading, text = _SETTLED.get(status, ("Payment in progress", "The payment is open."))
        note = " This payment was already settled; nothing was changed." if already else ""
        back = html.escape(self.return_url(order_id), quote=True)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Card sandbox: {heading}</title>{_STYLE}</head><body>"
            f"<h1>{heading}</h1>"
            f"<p>Payment <code>{html.escape(str(payment_id))}</code> of "
            f"<strong>{html.escape(str(amount))}</strong>.</p>"
            f"<p>{text}{note}</p>"
            f'<p><a href="{back}">Back to the shop</a></p>'
            "</body></html>\n"
        )

    # --- signatures -------------------------------------------------------------
    def _sign_challenge(self, body: str) -> str:
        return _b64encode(hmac.new(self._challenge_key, body.encode(), hashlib.sha256).digest())

    def _sign_body(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

"""PayU REST API v2.1 behind the PaymentGateway port.

The buyer pays on PayU's hosted page: ``start`` creates a PayU order and answers
with its ``redirectUri``; the outcome arrives later as a signed notification (or
by asking PayU in ``confirm``). Every HTTP, timeout or protocol failure becomes
PaymentProviderUnavailable; nothing from httpx leaves this module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote
from uuid import UUID

import attrs
import httpx

from shop_app.ports.payment_gateway import (
    GatewayResult,
    Notification,
    PaymentRequest,
    RefundNote,
    RefundRequest,
    RefundResult,
)
from shop_domain.errors import (
    AmountMismatch,
    InvalidNotificationSignature,
    PaymentDeclined,
    PaymentProviderUnavailable,
    ValidationFailed,
)
from shop_domain.ids import PaymentId, RefundId
from shop_domain.money import Money
from shop_domain.payment import Payment, PaymentStatus
from shop_domain.refund import RefundStatus

logger = logging.getLogger(__name__)

SANDBOX_URL = "https://secure.snd.payu.com"
OAUTH_PATH = "/pl/standard/user/oauth/authorize"
ORDERS_PATH = "/api/v2_1/orders"

# Order statuses (reference section 9). REJECTED only appears in old SDKs.
_ORDER_STATUSES: dict[str, PaymentStatus] = {
    "NEW": PaymentStatus.PENDING,
    "PENDING": PaymentStatus.PENDING,
    "WAITING_FOR_CONFIRMATION": PaymentStatus.PENDING,
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "CANCELED": PaymentStatus.FAILED,
    "REJECTED": PaymentStatus.FAILED,
}
# A refund is a separate object: until it is FINALIZED the payment stays succeeded.
_REFUND_STATUSES: dict[str, PaymentStatus] = {
    "PENDING": PaymentStatus.SUCCEEDED,
    "FINALIZED": PaymentStatus.REFUNDED,
    "CANCELED": PaymentStatus.SUCCEEDED,
}
# The same, as the status of one of our refunds.
_OUR_REFUND_STATUSES: dict[str, RefundStatus] = {
    "PENDING": RefundStatus.PENDING,
    "FINALIZED": RefundStatus.SUCCEEDED,
    "CANCELED": RefundStatus.FAILED,
}
_SIGNATURE_HEADERS = ("openpayu-signature", "x-openpayu-signature")
# Only what PayU signs with: MD5 (real notifications) and SHA-256 (the SDKs' alias "SHA").
_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA256": hashlib.sha256,
    "SHA": hashlib.sha256,
}
_UUID_RE = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", re.IGNORECASE)
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_CREATE_OK = {200, 201, 302}
_REFRESH_EARLY_SECONDS = 60.0  # as PayU's PHP SDK does
_DEFAULT_TOKEN_TTL = 43199


@attrs.frozen(kw_only=True)
class PayUConfig:
    """One PayU POS. Defaults are PayU's public sandbox POS (reference section 12),
    published by PayU for testing; production credentials come from the environment."""

    base_url: str = SANDBOX_URL
    pos_id: str = "300746"
    client_id: str = "300746"
    client_secret: str = attrs.field(default="2ee86a66e5d97e3fadc400c9f19b065d", repr=False)
    second_key: str = attrs.field(default="b6ca15b0d1020e8094d9b5f8d163db54", repr=False)
    notify_url: str = "http://127.0.0.1:8000/api/payments/payu/notify"
    continue_url: str = "http://127.0.0.1:8000/"
    timeout: float = 10.0


@attrs.frozen
class _Token:
    value: str = attrs.field(repr=False)
    refresh_at: float


class PayUGateway:
    """PaymentGateway for PayU's hosted payment page (REST API v2.1, OAuth)."""

    provider = "payu"
    customer_confirms = True
    answers_locally = False
    refunds_locally = False

    def __init__(
        self,
        config: PayUConfig,
        http: httpx.Client | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._config = config
        self._base = config.base_url.rstrip("/")
        self._timeout = httpx.Timeout(config.timeout)
        self._owns_http = http is None
        self._http = (
            http
            if http is not None
            else httpx.Client(timeout=self._timeout, follow_redirects=False)
        )
        self._clock = clock
        self._token: _Token | None = None
        self._token_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------
    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PayUGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the port -------------------------------------------------------------
    def start(self, request: PaymentRequest) -> GatewayResult:
        body = self._order_body(request)
        response = self._api("POST", ORDERS_PATH, body)
        data = self._answer(response, _CREATE_OK, "create order")
        order_id = data.get("orderId")
        redirect = data.get("redirectUri") or response.headers.get("location")
        if not isinstance(order_id, str) or not order_id or not isinstance(redirect, str):
            raise self._unavailable(response, "create order: no orderId or redirectUri")
        return GatewayResult(
            status=PaymentStatus.PENDING,
            external_ref=order_id,
            next_action={"type": "redirect", "url": redirect},
        )

    def confirm(self, payment: Payment, params: Mapping[str, Any]) -> GatewayResult:
        order_ref = payment.external_ref
        if not order_ref:
            raise PaymentProviderUnavailable(
                "payment has no PayU order", details={"provider": self.provider}
            )
        order, status = self._retrieve(order_ref)
        if status == PaymentStatus.SUCCEEDED:
            reported = _money_or_none(order.get("totalAmount"), order.get("currencyCode"))
            if reported is not None and reported != payment.amount:
                raise AmountMismatch(
                    details={"expected": str(payment.amount), "reported": str(reported)}
                )
        return GatewayResult(
            status=status,
            external_ref=order_ref,
            # Still waiting: keep the redirect so the buyer can go back to PayU.
            next_action=payment.next_action if status == PaymentStatus.PENDING else None,
            order_failed=status == PaymentStatus.FAILED,
        )

    def look_up(self, payment: Payment) -> Notification | None:
        """The order status endpoint's word on the payment, as a notification says it
        (reconciliation: the amount is checked where notifications are checked)."""
        if not payment.external_ref:
            return None  # never created at PayU: nothing to ask
        order, status = self._retrieve(payment.external_ref)
        amount = _money_or_none(order.get("totalAmount"), order.get("currencyCode"))
        return Notification(
            payment_id=payment.id,
            external_ref=payment.external_ref,
            status=status,
            amount=amount,
            order_failed=status == PaymentStatus.FAILED,
        )

    def _retrieve(self, order_ref: str) -> tuple[dict[str, Any], PaymentStatus]:
        response = self._api("GET", f"{ORDERS_PATH}/{_path(order_ref)}", None)
        data = self._answer(response, {200}, "retrieve order")
        orders = data.get("orders")
        order = orders[0] if isinstance(orders, list) and orders else None
        status = _lookup(_ORDER_STATUSES, order.get("status")) if isinstance(order, dict) else None
        if not isinstance(order, dict) or status is None:
            raise self._unavailable(response, "retrieve order: unexpected body")
        return order, status

    def refund(self, payment: Payment) -> GatewayResult:
        """Ask PayU for a full refund. PayU refunds asynchronously: SUCCEEDED here
        means "requested"; the FINALIZED refund notification makes it refunded."""
        order_ref = payment.external_ref
        if not order_ref:
            raise PaymentProviderUnavailable(
                "payment has no PayU order", details={"provider": self.provider}
            )
        body = {
            "orderId": order_ref,
            "refund": {
                # No amount: a full refund. A stable extRefundId makes a repeat
                # return the refund already created instead of a second one.
                "description": f"Refund of payment {payment.id}",
                "extRefundId": f"refund-{payment.id}",
                "currencyCode": payment.amount.currency,
            },
        }
        path = f"{ORDERS_PATH}/{_path(order_ref)}/refunds"
        response = self._api("POST", path, body)
        self._answer(response, {200, 201}, "refund")
        return GatewayResult(status=PaymentStatus.SUCCEEDED, external_ref=order_ref)

    def refund_money(self, request: RefundRequest) -> RefundResult:
        """Ask PayU to refund part of a completed order, ``extRefundId`` = our refund's
        id and the amount in minor units: PayU answers an identical repeat with the
        refund already made. The refund stays pending until PayU's refund notification
        (FINALIZED or CANCELED); PayU's refusal (a 4xx status object) fails it."""
        order_ref = request.payment.external_ref
        if not order_ref:
            return RefundResult(status=RefundStatus.FAILED)
        body = {
            "orderId": order_ref,
            "refund": {
                "description": (request.reason or f"Refund {request.refund_id}")[:255],
                "amount": str(request.amount.minor),
                "extRefundId": str(request.refund_id),
                "currencyCode": request.amount.currency,
            },
        }
        response = self._api("POST", f"{ORDERS_PATH}/{_path(order_ref)}/refunds", body)
        data = self._json_object(response)
        if response.status_code not in (200, 201) or not _is_success(_status_code(data)):
            if not _status_code(data):
                raise self._unavailable(response, "refund: no PayU status in the answer")
            self._refusal(response, data, "refund")  # logged
            return RefundResult(status=RefundStatus.FAILED)
        return self._refund_result(data.get("refund"), response)

    def look_up_refund(self, request: RefundRequest) -> RefundResult:
        """The refund among the order's refunds (by extRefundId); one PayU never got is
        asked for again, with the same extRefundId."""
        order_ref = request.payment.external_ref
        if not order_ref:
            return RefundResult(status=RefundStatus.FAILED)
        response = self._api("GET", f"{ORDERS_PATH}/{_path(order_ref)}/refunds", None)
        if response.status_code != 200:
            raise self._unavailable(response, "list refunds")
        refunds = self._json_object(response).get("refunds")
        if not isinstance(refunds, list):
            raise self._unavailable(response, "list refunds: no refunds list")
        for found in refunds:
            if isinstance(found, dict) and found.get("extRefundId") == str(request.refund_id):
                return self._refund_result(found, response)
        return self.refund_money(request)

    def _refund_result(self, refund: Any, response: httpx.Response) -> RefundResult:
        if not isinstance(refund, dict):
            raise self._unavailable(response, "refund: no refund object")
        status = _OUR_REFUND_STATUSES.get(str(refund.get("status", "")))
        if status is None:
            raise self._unavailable(response, "refund: unknown status")
        return RefundResult(status=status, external_ref=str(refund.get("refundId", "")))

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        self._verify(body, headers)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed(details={"body": "not JSON"}) from None
        if not isinstance(data, dict):
            raise ValidationFailed(details={"body": "not a JSON object"})
        if isinstance(data.get("refund"), dict):
            return self._refund_notification(data)
        if isinstance(data.get("order"), dict):
            return self._order_notification(data["order"])
        raise ValidationFailed(details={"body": "neither an order nor a refund notification"})

    # --- notifications ----------------------------------------------------------
    def _verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        found: dict[str, str] = {}
        for name, value in headers.items():
            key = name.lower().replace("_", "-")
            key = key.removeprefix("http-")  # Django's META spelling
            if key in _SIGNATURE_HEADERS:
                found[key] = value
        raw = next((found[k] for k in _SIGNATURE_HEADERS if k in found), None)
        if raw is None:
            raise InvalidNotificationSignature(details={"reason": "no signature header"})
        fields: dict[str, str] = {}
        for part in raw.split(";"):
            key, sep, value = part.partition("=")
            if sep:
                fields[key.strip().lower()] = value.strip()
        signature = fields.get("signature", "")
        algorithm = fields.get("algorithm", "MD5").upper()  # PayU's SDK defaults to MD5
        hasher = _HASHES.get(algorithm)
        if not signature or hasher is None:
            raise InvalidNotificationSignature(details={"reason": "bad signature header"})
        expected = hasher(body + self._config.second_key.encode()).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
            raise InvalidNotificationSignature()

    def _order_notification(self, order: Mapping[str, Any]) -> Notification:
        status = _lookup(_ORDER_STATUSES, order.get("status"))
        order_ref = order.get("orderId")
        if status is None or not isinstance(order_ref, str) or not order_ref:
            raise ValidationFailed(details={"order": "missing or unknown orderId or status"})
        amount = None
        if "totalAmount" in order or "currencyCode" in order:
            amount = _money_or_none(order.get("totalAmount"), order.get("currencyCode"))
            if amount is None:
                raise ValidationFailed(details={"order": "bad totalAmount or currencyCode"})
        return Notification(
            payment_id=_payment_id(order.get("extOrderId")),
            external_ref=order_ref,
            status=status,
            amount=amount,
            order_failed=status == PaymentStatus.FAILED,
        )

    def _refund_notification(self, data: Mapping[str, Any]) -> Notification:
        # Two shapes: top-level orderId/extOrderId, or an "order" object beside "refund".
        order = data.get("order") if isinstance(data.get("order"), dict) else {}
        order_ref = data.get("orderId") or order.get("orderId")
        ext_order_id = data.get("extOrderId") or order.get("extOrderId")
        status = _lookup(_REFUND_STATUSES, data["refund"].get("status"))
        if status is None or not isinstance(order_ref, str) or not order_ref:
            raise ValidationFailed(details={"refund": "missing or unknown orderId or status"})
        # No amount: a refund's amount is not the payment's and must not be compared to it.
        refund = data["refund"]
        ours = _OUR_REFUND_STATUSES.get(str(refund.get("status", "")))
        note = None
        if ours is not None:
            note = RefundNote(
                refund_id=_refund_id(refund.get("extRefundId")),
                external_ref=str(refund.get("refundId") or ""),
                status=ours,
            )
        return Notification(
            payment_id=_payment_id(ext_order_id), external_ref=order_ref, status=status,
            refund=note,
        )  # fmt: skip

    # --- HTTP -------------------------------------------------------------------
    def _order_body(self, request: PaymentRequest) -> dict[str, Any]:
        amount = request.amount
        products = [
            {"name": name[:255] or "item", "unitPrice": str(price.minor), "quantity": str(qty)}
            for name, qty, price in request.lines
        ]
        listed = sum(price.minor * qty for _, qty, price in request.lines)
        if not products or listed != amount.minor:
            # PayU needs at least one product, and lines that add up to the total.
            products = [
                {
                    "name": request.description[:255] or "order",
                    "unitPrice": str(amount.minor),
                    "quantity": "1",
                }
            ]
        ip = request.customer_ip.strip()
        body: dict[str, Any] = {
            "extOrderId": str(request.payment_id),  # one payment = one attempt
            "merchantPosId": str(self._config.pos_id),
            "customerIp": ip if ip and ip != "0.0.0.0" else "127.0.0.1",
            "description": request.description[:4000] or f"Order {request.order_id}",
            "currencyCode": amount.currency,
            "totalAmount": str(amount.minor),
            "products": products,
        }
        if self._config.notify_url:
            body["notifyUrl"] = self._config.notify_url
        if self._config.continue_url:
            body["continueUrl"] = self._config.continue_url
        if request.customer_email:
            body["buyer"] = {"email": request.customer_email}
        return body

    def _api(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        """One authorized API call; on a 401 the token is renewed and the call retried once."""
        token = self._access_token()
        response = self._send(method, path, body, token)
        if response.status_code == 401:
            logger.info("PayU answered 401 to %s %s; renewing the token once", method, path)
            self._forget(token)
            response = self._send(method, path, body, self._access_token())
            if response.status_code == 401:
                raise self._unavailable(response, "unauthorized after a token refresh")
        if response.status_code >= 500 or response.status_code in (401, 403, 408, 429):
            raise self._unavailable(response, f"{method} {path}")
        return response

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, token: _Token
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token.value}", "Accept": "application/json"}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body).encode()
        return self._request(method, path, headers=headers, content=content)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(
                method,
                self._base + path,
                follow_redirects=False,  # create-order answers 302 with the JSON we need
                timeout=self._timeout,
                **kwargs,
            )
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as error:
            logger.warning("PayU %s %s failed: %s", method, path, type(error).__name__)
            raise PaymentProviderUnavailable(
                details={"provider": self.provider, "error": type(error).__name__}
            ) from None

    def _access_token(self) -> _Token:
        with self._token_lock:
            token = self._token
            if token is not None and self._clock() < token.refresh_at:
                return token
            self._token = self._fetch_token()
            return self._token

    def _forget(self, token: _Token) -> None:
        with self._token_lock:
            if self._token is token:  # another thread may already hold a fresh one
                self._token = None

    def _fetch_token(self) -> _Token:
        started = self._clock()
        response = self._request(
            "POST",
            OAUTH_PATH,
            data={
                "grant_type": "client_credentials",
                "client_id": self._config.client_id,
                "client_secret": self._config.client_secret,
            },
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            raise self._unavailable(response, "OAuth token refused")
        data = self._json_object(response)
        value = data.get("access_token")
        ttl = data.get("expires_in", _DEFAULT_TOKEN_TTL)
        if not isinstance(value, str) or not value or isinstance(ttl, bool):
            raise self._unavailable(response, "OAuth: unexpected body")
        try:
            seconds = float(ttl)
        except (TypeError, ValueError):
            raise self._unavailable(response, "OAuth: unexpected expires_in") from None
        early = min(_REFRESH_EARLY_SECONDS, seconds / 2)
        return _Token(value=value, refresh_at=started + seconds - early)

    # --- answers ------------------------------------------------------------------
    def _json_object(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise self._unavailable(response, "answer is not a JSON object")
        return data

    def _answer(self, response: httpx.Response, ok: set[int], what: str) -> dict[str, Any]:
        """The JSON of a PayU answer that reports success. A PayU status object that
        refuses is a decline; anything else unexpected means PayU is unavailable."""
        data = self._json_object(response)
        status_code = _status_code(data)
        if not status_code:
            raise self._unavailable(response, f"{what}: no PayU status in the answer")
        if response.status_code not in ok or not _is_success(status_code):
            raise self._refusal(response, data, what)
        return data

    def _unavailable(self, response: httpx.Response, what: str) -> PaymentProviderUnavailable:
        logger.warning(
            "PayU unavailable (%s): HTTP %s, Correlation-Id %s",
            what,
            response.status_code,
            response.headers.get("correlation-id", "-"),
        )
        return PaymentProviderUnavailable(
            details={"provider": self.provider, "http_status": response.status_code}
        )

    def _refusal(
        self, response: httpx.Response, data: Mapping[str, Any], what: str
    ) -> PaymentDeclined:
        status = data.get("status") if isinstance(data.get("status"), dict) else {}
        details = {
            "provider": self.provider,
            "http_status": response.status_code,
            "status_code": str(status.get("statusCode", "")),
            "code_literal": str(status.get("codeLiteral", "")),
        }
        logger.info(
            "PayU refused %s: %s, Correlation-Id %s",
            what,
            details,
            response.headers.get("correlation-id", "-"),
        )
        return PaymentDeclined(details=details)


def _status_code(data: Mapping[str, Any]) -> str:
    status = data.get("status")
    if isinstance(status, dict) and isinstance(status.get("statusCode"), str):
        return status["statusCode"]
    return ""


def _is_success(status_code: str) -> bool:
    return status_code == "SUCCESS" or status_code.startswith("WARNING_CONTINUE_")


def _path(order_ref: str) -> str:
    return quote(order_ref, safe="")


def _lookup(table: Mapping[str, PaymentStatus], value: Any) -> PaymentStatus | None:
    return table.get(value) if isinstance(value, str) else None


def _refund_id(ext_refund_id: Any) -> RefundId | None:
    """Our refund's id: an extRefundId that is exactly a uuid (a stray payment's full
    refund uses ``refund-<payment uuid>``, which is no refund of ours)."""
    if not isinstance(ext_refund_id, str):
        return None
    try:
        return RefundId(UUID(ext_refund_id)) if len(ext_refund_id) == 36 else None
    except ValueError:
        return None


def _payment_id(ext_order_id: Any) -> PaymentId | None:
    """Our payment uuid inside extOrderId; None for an order that is not ours."""
    match = _UUID_RE.search(ext_order_id) if isinstance(ext_order_id, str) else None
    return PaymentId(UUID(match.group(0))) if match else None


def _money_or_none(minor: Any, currency: Any) -> Money | None:
    if isinstance(minor, bool) or not isinstance(currency, str):
        return None
    if not _CURRENCY_RE.match(currency):
        return None
    if isinstance(minor, str) and minor.isascii() and minor.isdigit():
        return Money.from_minor(int(minor), currency)
    if isinstance(minor, int) and minor >= 0:
        return Money.from_minor(minor, currency)
    return None

"""A local stand-in for PayU's REST API v2.1, written from shared/reference/payu-rest-api.md.

It listens on 127.0.0.1 only, on a free port, and sends nothing anywhere: the
notifications it would POST are handed back as ``(body, headers)`` for the
adapter's ``parse_notification``.

What it does like PayU: OAuth client_credentials (form encoding required, 401
otherwise), Bearer checks on every ``/api/v2_1`` route, create order answering
302 with a JSON body and a ``Location``, 27-character order ids, duplicate
``extOrderId`` refused, ``GET`` in the ``orders: [...]`` array form, cancel,
capture, refunds (completed orders only, idempotent repeats, never above the
order's total), notifications signed ``md5(body + second_key)`` (or SHA-256) in
both header spellings.

What it checks beyond PayU (the shop's own rules for its adapter): amounts are
strings of minor units, ``notifyUrl`` is the expected one, products add up to
the total, no redirect is ever followed. Every breach is answered like PayU
would and also recorded in ``violations``; the fixture fails a test that leaves
any behind.

Test controls: ``expire_tokens()`` (the next API call answers 401 once),
``reject_all_tokens``, ``fail_next()``/``down`` (500, 503, hang, garbage, html,
close), ``refuse_next_order()``, ``set_status()``, ``finalize_refund()``.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import secrets
import socket
import string
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer as _ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

OAUTH_PATH = "/pl/standard/user/oauth/authorize"
API_PREFIX = "/api/v2_1/"
PAY_PAGE = "/pay/"  # stands for PayU's hosted payment page (another host in reality)
ORDER_STATUSES = ("NEW", "PENDING", "WAITING_FOR_CONFIRMATION", "COMPLETED", "CANCELED")
FAULTS = ("500", "503", "hang", "garbage", "html", "close", "gzip")

_MINOR = frozenset(string.digits)


class ThreadingHTTPServer(_ThreadingHTTPServer):
    # The stdlib backlog of 5 drops simultaneous connects, which a client with a short
    # timeout sees as a ConnectTimeout: concurrent tests need a deeper queue.
    request_queue_size = 128
    daemon_threads = True


@attrs.define
class Recorded:
    """One request as the double received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any = None
    form: dict[str, list[str]] | None = None


@attrs.define
class Order:
    order_id: str
    ext_order_id: str
    body: dict[str, Any]
    status: str = "NEW"
    created: str = ""
    refunds: list[dict[str, Any]] = attrs.Factory(list)

    @property
    def total(self) -> int:
        return int(self.body["totalAmount"])

    @property
    def currency(self) -> str:
        return str(self.body["currencyCode"])

    def as_payu(self) -> dict[str, Any]:
        """The order as PayU echoes it (GET and notifications): ``virtual`` dropped."""
        keys = ("notifyUrl", "customerIp", "merchantPosId", "description", "currencyCode")
        echo = {k: self.body[k] for k in keys if k in self.body}
        out: dict[str, Any] = {
            "orderId": self.order_id,
            "extOrderId": self.ext_order_id,
            "orderCreateDate": self.created,
            **echo,
            "validityTime": str(self.body.get("validityTime", "86400")),
            "totalAmount": self.body["totalAmount"],
            "products": [
                {k: v for k, v in p.items() if k != "virtual"} for p in self.body["products"]
            ],
            "status": self.status,
        }
        if "buyer" in self.body:
            out["buyer"] = self.body["buyer"]
        if self.status != "NEW":
            out["payMethod"] = {"type": "PBL"}
        return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _is_minor(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and set(value) <= _MINOR


class PayUDouble:
    """A PayU REST v2.1 server for tests. Use as a context manager (or start/stop)."""

    def __init__(
        self,
        *,
        pos_id: str = "300746",
        client_id: str = "300746",
        client_secret: str = "double-client-secret",
        second_key: str = "double-second-key",
        token_ttl: int = 43199,
        expected_notify_url: str | None = None,
        auto_receive: bool = True,
        hang_seconds: float = 5.0,
        browser_page: bool = False,
    ):
        self.pos_id = pos_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.second_key = second_key
        self.token_ttl = token_ttl
        self.expected_notify_url = expected_notify_url
        self.auto_receive = auto_receive
        self.hang_seconds = hang_seconds
        # A browser test's buyer visits the payment page: a page with the way back to the
        # shop (the order's continueUrl), and no violation (it is the buyer, not the adapter).
        self.browser_page = browser_page

        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.orders: dict[str, Order] = {}
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.reject_all_tokens = False
        self.down: str | None = None  # a FAULTS value: every request fails that way
        self.before_reply: Any = None  # called with each request after it took effect
        self._faults: list[str] = []
        self._refusals: list[tuple[int, dict[str, Any]]] = []
        self._ext_ids: set[str] = set()
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # --- lifecycle -------------------------------------------------------------
    def start(self) -> PayUDouble:
        double = self

        class Handler(_Handler):
            pass

        Handler.double = double
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging handlers at once
        if self._server is not None:
            self._server.shutdown()
            with self._lock:
                for conn in list(self._connections):
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_RDWR)
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> PayUDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the double first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- controls --------------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every token issued so far stops working: the next API call gets 401."""
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def fail_next(self, fault: str, times: int = 1) -> None:
        """The next ``times`` requests (any route) fail with ``fault`` (see FAULTS)."""
        assert fault in FAULTS, fault
        with self._lock:
            self._faults.extend([fault] * times)

    def refuse_next_order(
        self,
        status_code: str = "BUSINESS_ERROR",
        code_literal: str = "ERROR_VALUE_INVALID",
        http_status: int = 400,
    ) -> None:
        """The next create-order is refused as PayU's antifraud would."""
        with self._lock:
            self._refusals.append(
                (
                    http_status,
                    {
                        "status": {
                            "statusCode": status_code,
                            "code": "8070",
                            "codeLiteral": code_literal,
                            "statusDesc": "Order refused",
                            "severity": "ERROR",
                        }
                    },
                )
            )

    def set_status(self, order_id: str, status: str) -> None:
        assert status in (*ORDER_STATUSES, "REJECTED"), status
        with self._lock:
            self.orders[order_id].status = status

    def pay(self, order_id: str) -> None:
        """The buyer pays: COMPLETED, or WAITING_FOR_CONFIRMATION with auto-receive off."""
        self.set_status(order_id, "COMPLETED" if self.auto_receive else "WAITING_FOR_CONFIRMATION")

    def _refund_of(self, order_id: str, ext_refund_id: str | None) -> dict[str, Any]:
        refunds = self.orders[order_id].refunds
        if ext_refund_id is None:
            return refunds[-1]
        return next(r for r in refunds if r.get("extRefundId") == ext_refund_id)

    def finalize_refund(
        self, order_id: str, status: str = "FINALIZED", *, ext_refund_id: str | None = None
    ) -> dict[str, Any]:
        """PayU finishes a refund of the order (FINALIZED or CANCELED): the one with
        ``ext_refund_id``, or the latest."""
        with self._lock:
            refund = self._refund_of(order_id, ext_refund_id)
            refund["status"] = status
            refund["statusDateTime"] = _now()
            return dict(refund)

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.startswith(path_prefix) and (method is None or r.method == method)
            ]

    @property
    def token_requests(self) -> list[Recorded]:
        return self.requests_to(OAUTH_PATH, "POST")

    @property
    def create_requests(self) -> list[Recorded]:
        return [
            r for r in self.requests_to(API_PREFIX + "orders", "POST") if r.path.count("/") == 3
        ]

    def only_order(self) -> Order:
        with self._lock:
            assert len(self.orders) == 1, list(self.orders)
            return next(iter(self.orders.values()))

    # --- notifications -----------------------------------------------------------
    def sign(
        self,
        body: bytes,
        *,
        algorithm: str = "MD5",
        header: str = "both",
        key: str | None = None,
        signature: str | None = None,
    ) -> dict[str, str]:
        """Signature headers as PayU sends them. ``header``: "both" (PayU's habit),
        or one exact header name (any spelling) to send only that one."""
        digest = hashlib.md5 if algorithm.upper() == "MD5" else hashlib.sha256
        secret = (self.second_key if key is None else key).encode()
        value = signature if signature is not None else digest(body + secret).hexdigest()
        signed = f"sender=checkout;signature={value};algorithm={algorithm};content=DOCUMENT"
        headers = {"Content-Type": "application/json;charset=UTF-8"}
        if header == "both":
            headers["OpenPayu-Signature"] = signed
            headers["X-OpenPayU-Signature"] = signed
        else:
            headers[header] = signed
        return headers

    def order_notification(
        self,
        order_id: str,
        status: str | None = None,
        *,
        total_amount: str | None = None,
        currency: str | None = None,
        algorithm: str = "MD5",
        header: str = "both",
        bad_signature: bool = False,
    ) -> tuple[bytes, dict[str, str]]:
        """The section 8.2 notification for an order (its current status unless given);
        ``total_amount``/``currency`` override the echo (a tampered or wrong amount)."""
        with self._lock:
            order = self.orders[order_id].as_payu()
        if status is not None:
            order["status"] = status
        if total_amount is not None:
            order["totalAmount"] = total_amount
        if currency is not None:
            order["currencyCode"] = currency
        payload: dict[str, Any] = {"order": order}
        if order["status"] == "COMPLETED":
            payload["localReceiptDateTime"] = _now()
        payload["properties"] = [{"name": "PAYMENT_ID", "value": str(secrets.randbelow(10**10))}]
        return self._signed(payload, algorithm, header, bad_signature)

    def refund_notification(
        self,
        order_id: str,
        status: str | None = None,
        *,
        with_order: bool = False,
        algorithm: str = "MD5",
        header: str = "both",
        bad_signature: bool = False,
        ext_refund_id: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The section 8.3 notification for a refund of the order (``ext_refund_id``'s,
        or the latest): top-level orderId/extOrderId, or (``with_order``) beside an
        ``order`` object."""
        with self._lock:
            order = self.orders[order_id]
            refund = dict(self._refund_of(order_id, ext_refund_id))
            echo = order.as_payu()
        if status is not None:
            refund["status"] = status
        note = {
            k: refund[k]
            for k in ("refundId", "extRefundId", "amount", "currencyCode", "status")
            if k in refund
        }
        note.update(
            statusDateTime=_now(), reasonDescription=refund["description"], refundDate=_now()
        )
        payload: dict[str, Any]
        if with_order:
            payload = {"order": echo, "refund": note}
        else:
            payload = {"orderId": order_id, "extOrderId": echo["extOrderId"], "refund": note}
        return self._signed(payload, algorithm, header, bad_signature)

    def notification_sequence(
        self, order_id: str, statuses: Iterable[str], **kw: Any
    ) -> list[tuple[bytes, dict[str, str]]]:
        """Notifications in the given order: duplicates and out-of-order on demand."""
        return [self.order_notification(order_id, status, **kw) for status in statuses]

    def _signed(
        self, payload: dict[str, Any], algorithm: str, header: str, bad: bool
    ) -> tuple[bytes, dict[str, str]]:
        # Pretty-printed like PayU's examples: the signature covers these exact bytes.
        body = json.dumps(payload, indent=2).encode()
        key = "not-the-second-key" if bad else None
        return body, self.sign(body, algorithm=algorithm, header=header, key=key)

    # --- request handling (called from server threads) ----------------------------
    def _violate(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    def _next_fault(self) -> str | None:
        with self._lock:
            if self._faults:
                return self._faults.pop(0)
            return self.down

    def _pay_page(self, rec: Recorded) -> str:
        order_id = (rec.query.get("orderId") or [""])[0]
        with self._lock:
            order = self.orders.get(order_id)
        back = html.escape(str(order.body.get("continueUrl", "")) if order else "", quote=True)
        total = f"{order.total / 100:.2f} {order.currency}" if order else "?"
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>PayU (test double)</title></head><body><main>"
            f"<h1>PayU payment page (test double)</h1><p>Order {html.escape(order_id)}: {total}</p>"
            f'<p><a id="back-to-shop" href="{back}">Back to the shop</a></p></main></body></html>'
        )

    def _issue_token(self, rec: Recorded) -> tuple[int, dict[str, Any]]:
        content_type = rec.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            self._violate(f"OAuth request not form-encoded: {content_type!r}")
            return 401, {"error": "invalid_request", "error_description": "form encoding"}
        form = {k: v[0] for k, v in (rec.form or {}).items()}
        if form.get("grant_type") != "client_credentials":
            self._violate(f"OAuth grant_type {form.get('grant_type')!r}")
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            self._violate("OAuth with wrong client_id or client_secret")
            return 401, {"error": "invalid_client", "error_description": "Bad client credentials"}
        token = str(secrets.token_hex(16))
        token = f"{token[:8]}-{token[8:12]}-{token[12:16]}-{token[16:20]}-{token[20:]}"
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "refresh_token": secrets.token_hex(16),
            "expires_in": self.token_ttl,
            "grant_type": "client_credentials",
        }

    def _check_bearer(self, rec: Recorded) -> tuple[int, dict[str, Any]] | None:
        auth = rec.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            self._violate(f"{rec.method} {rec.path} without a Bearer token")
            return 401, _status("UNAUTHORIZED", "Authorization header missing")
        with self._lock:
            expiry = self.tokens.get(auth.removeprefix("Bearer "))
            rejected = self.reject_all_tokens
        if expiry is None or rejected:
            return 401, _status("UNAUTHORIZED", "Invalid token")
        if expiry <= time.monotonic():
            return 401, {"error": "invalid_token", "error_description": "Access token expired"}
        return None

    def _create_order(self, rec: Recorded) -> tuple[int, dict[str, Any], dict[str, str]]:
        content_type = rec.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            self._violate(f"create order with content type {content_type!r}")
        body = rec.json
        if not isinstance(body, dict):
            self._violate("create order body is not a JSON object")
            return 400, _status("ERROR_SYNTAX", "Syntax error"), {}
        problem = self._order_problem(body)
        if problem is not None:
            self._violate(problem[1])
            return problem[0], _status(problem[2], problem[1]), {}
        with self._lock:
            ext_id = body["extOrderId"]
            if ext_id in self._ext_ids:
                self._violate(f"extOrderId reused: {ext_id}")
                return 400, _status("ERROR_ORDER_NOT_UNIQUE", "Order already exists"), {}
            self._ext_ids.add(ext_id)
            if self._refusals:
                status, answer = self._refusals.pop(0)
                return status, answer, {}
            order_id = "".join(
                secrets.choice(string.ascii_uppercase + string.digits) for _ in range(27)
            )
            self.orders[order_id] = Order(
                order_id=order_id, ext_order_id=ext_id, body=body, created=_now()
            )
        redirect = f"{self.base_url}{PAY_PAGE}?orderId={order_id}&token={secrets.token_hex(8)}"
        answer = {
            "status": {"statusCode": "SUCCESS"},
            "redirectUri": redirect,
            "orderId": order_id,
            "extOrderId": ext_id,
        }
        return 302, answer, {"Location": redirect}

    def _order_problem(self, body: dict[str, Any]) -> tuple[int, str, str] | None:
        """(http status, what is wrong, PayU statusCode) for a bad create-order body."""
        for field in ("customerIp", "merchantPosId", "description", "currencyCode"):
            if not isinstance(body.get(field), str) or not body[field]:
                return 400, f"missing or non-string {field}", "ERROR_VALUE_MISSING"
        if body["customerIp"] == "0.0.0.0":
            return 400, "customerIp 0.0.0.0", "ERROR_VALUE_INVALID"
        if body["merchantPosId"] != self.pos_id:
            return 403, "merchantPosId is not the token's POS", "ERROR_VALUE_INVALID"
        if len(body["description"]) > 4000:
            return 400, "description over 4000 characters", "ERROR_VALUE_INVALID"
        if not _is_minor(body.get("totalAmount")):
            found = body.get("totalAmount")
            return 400, f"totalAmount not a minor-unit string: {found!r}", "ERROR_VALUE_INVALID"
        if not isinstance(body.get("extOrderId"), str) or not body["extOrderId"]:
            return 400, "no extOrderId (the shop always sends one)", "ERROR_VALUE_MISSING"
        if len(body["extOrderId"]) > 1024:
            return 400, "extOrderId over 1024 characters", "ERROR_VALUE_INVALID"
        notify = body.get("notifyUrl")
        if not isinstance(notify, str) or not notify.startswith(("http://", "https://")):
            return 400, f"no usable notifyUrl: {notify!r}", "ERROR_VALUE_MISSING"
        if self.expected_notify_url is not None and notify != self.expected_notify_url:
            wanted = self.expected_notify_url
            return 400, f"notifyUrl {notify!r} is not {wanted!r}", "ERROR_VALUE_INVALID"
        products = body.get("products")
        if not isinstance(products, list) or not products:
            return 400, "no products", "ERROR_VALUE_MISSING"
        total = 0
        for product in products:
            if not isinstance(product, dict) or not isinstance(product.get("name"), str):
                return 400, f"bad product {product!r}", "ERROR_VALUE_INVALID"
            if len(product["name"]) > 255 or not _is_minor(product.get("unitPrice")):
                return 400, f"bad product name or unitPrice {product!r}", "ERROR_VALUE_INVALID"
            quantity = product.get("quantity")
            if isinstance(quantity, str) and _is_minor(quantity):
                quantity = int(quantity)
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                return 400, f"bad product quantity {product!r}", "ERROR_VALUE_INVALID"
            total += int(product["unitPrice"]) * quantity
        if total != int(body["totalAmount"]):
            # Whether PayU checks this is unconfirmed; the shop promises consistent values.
            self._violate(f"products add up to {total}, totalAmount is {body['totalAmount']}")
        buyer = body.get("buyer")
        if buyer is not None and not (isinstance(buyer, dict) and "@" in buyer.get("email", "")):
            return 400, f"bad buyer {buyer!r}", "ERROR_VALUE_INVALID"
        return None

    def _order_route(self, rec: Recorded, parts: list[str]) -> tuple[int, dict[str, Any]]:
        """Routes under /api/v2_1/orders/{orderId}[/...]."""
        with self._lock:
            order = self.orders.get(parts[0])
            if order is None:
                return 404, _status("DATA_NOT_FOUND", "Could not find order")
            rest = parts[1:]
            if rec.method == "GET" and not rest:
                return 200, {
                    "orders": [order.as_payu()],
                    "status": {"statusCode": "SUCCESS", "statusDesc": "Request processed"},
                    "properties": [{"name": "PAYMENT_ID", "value": "5000000001"}],
                }
            if rec.method == "DELETE" and not rest:
                if order.status == "COMPLETED":  # the exact error is unconfirmed
                    return 400, _status("ERROR_VALUE_INVALID", "Order is completed")
                order.status = "CANCELED"
                return 200, {
                    "orderId": order.order_id,
                    "extOrderId": order.ext_order_id,
                    "status": {"statusCode": "SUCCESS"},
                }
            if (rec.method == "POST" and rest == ["captures"]) or (
                rec.method == "PUT" and rest == ["status"]
            ):
                if order.status != "WAITING_FOR_CONFIRMATION":
                    return 200, _status("ERROR_VALUE_INVALID", "Order is not waiting")
                order.status = "COMPLETED"
                return 200, {
                    "status": {"statusCode": "SUCCESS", "statusDesc": "Status was updated"}
                }
            if rest == ["refunds"] and rec.method == "GET":
                return 200, {"refunds": [dict(r) for r in order.refunds]}
            if rest == ["refunds"] and rec.method == "POST":
                return self._refund(rec, order)
        return 404, _status("DATA_NOT_FOUND", "No such resource")

    def _refund(self, rec: Recorded, order: Order) -> tuple[int, dict[str, Any]]:
        body = rec.json
        refund = body.get("refund") if isinstance(body, dict) else None
        if not isinstance(refund, dict) or not isinstance(refund.get("description"), str):
            self._violate(f"refund without refund.description: {body!r}")
            return 400, _status("ERROR_VALUE_MISSING", "refund.description")
        if "amount" in refund and not _is_minor(refund["amount"]):
            self._violate(f"refund amount not a minor-unit string: {refund['amount']!r}")
            return 400, _status("ERROR_VALUE_INVALID", "refund.amount")
        # The shop's rule beyond PayU's: every refund names its extRefundId (PayU needs
        # it for several partial refunds in a second; it is what makes a repeat safe).
        ext = refund.get("extRefundId")
        if not isinstance(ext, str) or not ext:
            self._violate(f"refund without extRefundId: {refund!r}")
        elif any(
            r.get("extRefundId") == ext and r["_request"] != json.dumps(refund, sort_keys=True)
            for r in order.refunds
        ):
            self._violate(f"extRefundId {ext} reused for another refund: {refund!r}")
            return 400, _status("ERROR_VALUE_INVALID", "refund.extRefundId")
        if order.status != "COMPLETED":  # the exact error is unconfirmed
            return 400, _status("ERROR_VALUE_INVALID", "Order is not completed")
        request_key = json.dumps(refund, sort_keys=True)
        for existing in order.refunds:
            if existing["_request"] == request_key:  # PayU: identical repeat, same refund
                return 200, self._refund_answer(order, existing)
        refunded = sum(int(r["amount"]) for r in order.refunds if r["status"] != "CANCELED")
        amount = int(refund.get("amount", order.total - refunded))
        if amount <= 0 or refunded + amount > order.total:
            return 400, _status("ERROR_VALUE_INVALID", "Refund amount exceeds the order")
        record = {
            "refundId": str(5000000000 + secrets.randbelow(10**9)),
            "amount": str(amount),
            "currencyCode": refund.get("currencyCode", order.currency),
            "description": refund["description"],
            "creationDateTime": _now(),
            "status": "PENDING",
            "statusDateTime": _now(),
            "_request": request_key,
        }
        if "extRefundId" in refund:
            record["extRefundId"] = refund["extRefundId"]
        order.refunds.append(record)
        return 200, self._refund_answer(order, record)

    @staticmethod
    def _refund_answer(order: Order, record: dict[str, Any]) -> dict[str, Any]:
        public = {k: v for k, v in record.items() if not k.startswith("_")}
        return {
            "orderId": order.order_id,
            "refund": public,
            "status": {"statusCode": "SUCCESS", "statusDesc": "Refund queued for processing"},
        }

    def _route(self, rec: Recorded) -> tuple[int, dict[str, Any], dict[str, str]]:
        if rec.path.startswith(PAY_PAGE):
            if self.browser_page:
                return 200, {"html": self._pay_page(rec)}, {"X-Html": "1"}
            self._violate("the adapter followed PayU's redirect to the payment page")
            return 200, {}, {"X-Html": "1"}
        if rec.path == OAUTH_PATH and rec.method == "POST":
            return (*self._issue_token(rec), {})
        if not rec.path.startswith(API_PREFIX):
            return 404, _status("DATA_NOT_FOUND", "No such resource"), {}
        refused = self._check_bearer(rec)
        if refused is not None:
            return (*refused, {})
        parts = [p for p in rec.path[len(API_PREFIX) :].split("/") if p]
        if parts == ["orders"] and rec.method == "POST":
            return self._create_order(rec)
        if len(parts) >= 2 and parts[0] == "orders":
            return (*self._order_route(rec, parts[1:]), {})
        return 404, _status("DATA_NOT_FOUND", "No such resource"), {}


def _status(status_code: str, desc: str) -> dict[str, Any]:
    return {"status": {"statusCode": status_code, "statusDesc": desc, "severity": "ERROR"}}


class _Handler(BaseHTTPRequestHandler):
    double: PayUDouble
    protocol_version = "HTTP/1.1"
    server_version = "PayUDouble/1.0"
    timeout = 10  # idle keep-alive connections do not outlive a test for long
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def setup(self) -> None:
        super().setup()
        with self.double._lock:
            self.double._connections.add(self.connection)

    def finish(self) -> None:
        with self.double._lock:
            self.double._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_GET

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        rec = Recorded(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=raw,
        )
        if "form-urlencoded" in rec.headers.get("content-type", ""):
            rec.form = parse_qs(raw.decode("utf-8", "replace"))
        else:
            try:
                rec.json = json.loads(raw) if raw else None
            except ValueError:
                rec.json = None
        double = self.double
        with double._lock:
            double.requests.append(rec)

        fault = double._next_fault()
        if fault == "hang":
            double._stopping.wait(double.hang_seconds)
            self.close_connection = True
            return
        if fault == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "garbage":
            self._reply(200, b"\x00\xffnot json{", "application/json")
            return
        if fault == "gzip":  # a body that claims a compression it does not have
            self._reply(200, b"not gzip at all", extra={"Content-Encoding": "gzip"})
            return
        if fault == "html":
            self._reply(502, b"<html><body>Bad Gateway</body></html>", "text/html")
            return
        if fault in ("500", "503"):
            code = "ERROR_INTERNAL" if fault == "500" else "SERVICE_NOT_AVAILABLE"
            self._reply(int(fault), json.dumps(_status(code, "PayU problem")).encode())
            return

        status, answer, extra = double._route(rec)
        if double.before_reply is not None:  # a test's hook: e.g. kill the caller now
            double.before_reply(rec)
        if extra.pop("X-Html", None):
            page = answer.get("html", "<html><body>PayU payment page</body></html>")
            self._reply(status, page.encode(), "text/html; charset=utf-8")
            return
        self._reply(status, json.dumps(answer).encode(), extra=extra)

    def _reply(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json;charset=UTF-8",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Correlation-Id", secrets.token_hex(8))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

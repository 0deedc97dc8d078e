"""A local test double of the Stripe API endpoints the card gateway uses, and
helpers that sign webhook payloads the way Stripe does.

The double is a threading stdlib HTTP server on 127.0.0.1 (a free port). It takes
form-encoded bodies as Stripe's API does, checks the Bearer key, integer minor-unit
amounts and the Idempotency-Key header (replaying a key's first answer), and
behaves on Stripe's test tokens. ``mode`` makes it fail: ``"error"`` (500 with a
Stripe error body), ``"garbage"`` (200 with a non-JSON body), ``"lost"`` (the
request is carried out, then answered with garbage), ``"empty"`` (200
``{}``) or ``"hang"`` (answers only after ``hang_seconds``, past the client's
timeout; released at once by ``stop()``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer as _ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

SUCCEEDING_TOKENS = frozenset({"pm_card_visa", "pm_card_mastercard"})
DECLINED_TOKEN = "pm_card_chargeDeclined"
THREE_D_SECURE_TOKEN = "pm_card_threeDSecure2Required"
CONFIRMABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})

_INTENT = re.compile(r"^/v1/payment_intents/(pi_[A-Za-z0-9]+)$")
_CONFIRM = re.compile(r"^/v1/payment_intents/(pi_[A-Za-z0-9]+)/confirm$")
_REFUND = re.compile(r"^/v1/refunds/(re_[A-Za-z0-9]+)$")


class ThreadingHTTPServer(_ThreadingHTTPServer):
    # The stdlib backlog of 5 drops simultaneous connects, which a client with a short
    # timeout sees as a ConnectTimeout: concurrent tests need a deeper queue.
    request_queue_size = 128
    daemon_threads = True


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _error(status: int, type_: str, message: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": type_, "message": message, **extra}}


@attrs.frozen
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class StripeDouble:
    def __init__(self, api_key: str = "sk_test_double", webhook_secret: str = "whsec_double"):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.mode = "up"
        self.hang_seconds = 5.0
        self.refund_status = "succeeded"
        #: Status the next successful confirm leaves the intent in (e.g. "processing").
        self.next_confirm_status: str | None = None
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        #: The Idempotency-Key each refund was created under.
        self.refund_keys: dict[str, str] = {}
        self.requests: list[Recorded] = []
        self._idempotent: dict[str, tuple[str, dict[str, str], int, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the double first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StripeDouble:
        double = self

        class Handler(_Handler):
            pass

        Handler.double = double
        self._release.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> StripeDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what Stripe does on its own ----------------------------------------------
    def complete_3ds(self, intent_id: str, *, succeeded: bool) -> dict[str, Any]:
        """The cardholder passes (or fails) the bank's check; returns the intent."""
        with self._lock:
            intent = self.intents[intent_id]
            assert intent["status"] == "requires_action", intent["status"]
            intent["next_action"] = None
            if succeeded:
                self._succeed(intent)
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "type": "card_error",
                    "code": "payment_intent_authentication_failure",
                }
            return json.loads(json.dumps(intent))

    def charge_of(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents[intent_id]
        mine = [r for r in self.refunds.values() if r["payment_intent"] == intent_id]
        back = sum(r["amount"] for r in mine if r["status"] == "succeeded")
        refunded = back >= intent["amount"]
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": back,
            # As Stripe lists them with expand[]=refunds (and did by default before
            # API version 2022-11-15).
            "refunds": {"object": "list", "data": [json.loads(json.dumps(r)) for r in mine]},
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "metadata": dict(intent["metadata"]),
            "refunded": refunded,
            "status": "succeeded",
        }

    def event(self, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
        return event(type_, obj)

    # --- HTTP -------------------------------------------------------------------
    def handle(
        self, method: str, path: str, headers: dict[str, str], form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(Recorded(method, path, headers, form))
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided")
        if method == "GET" and path == "/v1/refunds":
            with self._lock:
                listed = [
                    json.loads(json.dumps(r))
                    for r in self.refunds.values()
                    if r["payment_intent"] == form.get("payment_intent")
                ]
            return 200, {"object": "list", "data": listed, "has_more": False, "url": "/v1/refunds"}
        if method == "GET":
            found = _REFUND.match(path)
            if found:
                with self._lock:
                    refund = self.refunds.get(found.group(1))
                if refund is None:
                    return _error(404, "invalid_request_error", "No such refund")
                return 200, json.loads(json.dumps(refund))
            match = _INTENT.match(path)
            if not match:
                return _error(404, "invalid_request_error", "Unrecognized request URL")
            with self._lock:
                return self._retrieve(match.group(1))
        key = headers.get("idempotency-key")
        if not key:
            return _error(400, "invalid_request_error", "Idempotency-Key header missing")
        with self._lock:
            seen = self._idempotent.get(key)
            if seen is not None:
                if (seen[0], seen[1]) != (path, form):
                    return _error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    )
                return seen[2], seen[3]
            status, body = self._post(path, form)
            if status < 500:
                self._idempotent[key] = (path, dict(form), status, body)
                if path == "/v1/refunds" and status == 200:
                    self.refund_keys[key] = body["id"]
            return status, body

    def _post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/v1/payment_intents":
            return self._create_intent(form)
        if path == "/v1/refunds":
            return self._create_refund(form)
        match = _CONFIRM.match(path)
        if match:
            return self._confirm(match.group(1), form)
        return _error(404, "invalid_request_error", "Unrecognized request URL")

    def _create_intent(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        amount = form.get("amount", "")
        if not re.fullmatch(r"[1-9][0-9]*", amount):
            return _error(
                400,
                "invalid_request_error",
                "Invalid integer",
                param="amount",
                code="parameter_invalid_integer",
            )
        currency = form.get("currency", "")
        if not re.fullmatch(r"[a-z]{3}", currency):
            return _error(400, "invalid_request_error", "Invalid currency", param="currency")
        metadata = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
        methods = [v for k, v in sorted(form.items()) if k.startswith("payment_method_types[")]
        intent_id = _new_id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(amount),
            "amount_received": 0,
            "currency": currency,
            "description": form.get("description"),
            "metadata": metadata,
            "payment_method_types": methods or ["card"],
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "status": "requires_payment_method",
            "next_action": None,
            "last_payment_error": None,
            "latest_charge": None,
            "payment_method": None,
            "livemode": False,
        }
        self.intents[intent_id] = intent
        return 200, intent

    def _retrieve(self, intent_id: str) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(intent_id)
        if intent is None:
            return _error(
                404,
                "invalid_request_error",
                f"No such payment_intent: '{intent_id}'",
                param="intent",
                code="resource_missing",
            )
        return 200, intent

    def _confirm(self, intent_id: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        status, found = self._retrieve(intent_id)
        if status != 200:
            return status, found
        intent = found
        if intent["status"] not in CONFIRMABLE:
            return _error(
                400,
                "invalid_request_error",
                f"This PaymentIntent's status is {intent['status']}.",
                code="payment_intent_unexpected_state",
                payment_intent=intent,
            )
        token = form.get("payment_method", "")
        if token in SUCCEEDING_TOKENS:
            intent["payment_method"] = _new_id("pm")
            intent["next_action"] = intent["last_payment_error"] = None
            if self.next_confirm_status:
                intent["status"], self.next_confirm_status = self.next_confirm_status, None
            else:
                self._succeed(intent)
            return 200, intent
        if token == DECLINED_TOKEN:
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            }
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = error
            return 402, {"error": {**error, "payment_intent": intent}}
        if token == THREE_D_SECURE_TOKEN:
            intent["payment_method"] = _new_id("pm")
            intent["status"] = "requires_action"
            return_url = form.get("return_url")
            if return_url:
                intent["next_action"] = {
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "url": f"{self.url}/3ds/{intent_id}",
                        "return_url": return_url,
                    },
                }
            else:
                intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            return 200, intent
        return _error(
            400,
            "invalid_request_error",
            f"No such PaymentMethod: '{token}'",
            param="payment_method",
            code="resource_missing",
        )

    def _create_refund(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None:
            return _error(
                400,
                "invalid_request_error",
                "No such payment_intent",
                param="payment_intent",
                code="resource_missing",
            )
        if intent["status"] != "succeeded":
            return _error(
                400,
                "invalid_request_error",
                "This PaymentIntent does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        done = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent["id"] and r["status"] != "failed"
        )
        if done >= intent["amount"]:
            return _error(
                400,
                "invalid_request_error",
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        asked = form.get("amount")
        if asked is not None and not asked.isdigit():
            return _error(400, "invalid_request_error", "Invalid integer", param="amount")
        amount = int(asked) if asked is not None else intent["amount"] - done
        if amount <= 0 or done + amount > intent["amount"]:
            return _error(
                400,
                "invalid_request_error",
                "Refund amount is greater than unrefunded amount on charge",
                code="amount_too_large",
            )
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "created": time.time_ns(),
            "amount": amount,
            "currency": intent["currency"],
            "charge": intent["latest_charge"],
            "payment_intent": intent["id"],
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "status": self.refund_status,
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    @staticmethod
    def _succeed(intent: dict[str, Any]) -> None:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        intent["latest_charge"] = _new_id("ch")


class _Handler(BaseHTTPRequestHandler):
    double: StripeDouble

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        double = self.double
        if double.mode == "hang":
            double._release.wait(double.hang_seconds)
            self._send(200, b"{}")
            return
        if double.mode == "error":
            self._send(
                500, json.dumps({"error": {"type": "api_error", "message": "boom"}}).encode()
            )
            return
        if double.mode == "garbage":
            self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
            return
        if double.mode == "empty":
            self._send(200, b"{}")
            return
        query = urlsplit(self.path).query if method == "GET" else raw.decode("utf-8")
        form = dict(parse_qsl(query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body = double.handle(method, urlsplit(self.path).path, headers, form)
        if double.mode == "lost":  # done, but the answer never arrives whole
            self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
            return
        self._send(status, json.dumps(body).encode())

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", _new_id("req"))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)


@contextmanager
def running_double(**kwargs: Any) -> Iterator[StripeDouble]:
    double = StripeDouble(**kwargs).start()
    try:
        yield double
    finally:
        double.stop()


# --- webhooks -------------------------------------------------------------------
def event(type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    """A snapshot event as Stripe posts it to a webhook endpoint."""
    return {
        "id": _new_id("evt"),
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type_,
        "data": {"object": obj},
    }


def signature_header(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """Stripe's scheme: ``t=<ts>,v1=<hex hmac_sha256(secret, f"{t}.{payload}")>``."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def signed_webhook(
    event_: dict[str, Any], secret: str, *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event_).encode()
    return body, {"Stripe-Signature": signature_header(body, secret, timestamp=timestamp)}


def wrongly_signed_webhooks(
    event_: dict[str, Any], secret: str
) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Ways a webhook fails verification, by name: each a (body, headers) pair."""
    body, headers = signed_webhook(event_, secret)
    tampered = body.replace(b'"object": "event"', b'"object": "event" ', 1)
    assert tampered != body
    header = headers["Stripe-Signature"]
    stamp, mac = header.split(",")
    now = int(time.time())
    return {
        "wrong secret": signed_webhook(event_, secret + "x"),
        "tampered body": (tampered, headers),
        "stale timestamp": signed_webhook(event_, secret, timestamp=now - 3600),
        "no header": (body, {}),
        "empty header": (body, {"Stripe-Signature": ""}),
        "garbled header": (body, {"Stripe-Signature": "not-a-signature"}),
        "other scheme only": (body, {"Stripe-Signature": header.replace("v1=", "v0=")}),
        "timestamp moved": (body, {"Stripe-Signature": f"t={int(stamp[2:]) + 7},{mac}"}),
    }

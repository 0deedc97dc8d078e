"""PayUGateway against the local PayU double: OAuth, orders, refunds, notifications."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from adapters.payments.payu import PayUConfig, PayUGateway
from shop_app.ports.payment_gateway import PaymentRequest
from shop_domain.errors import (
    AmountMismatch,
    InvalidNotificationSignature,
    PaymentDeclined,
    PaymentProviderUnavailable,
    ValidationFailed,
)
from shop_domain.ids import CustomerId, OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod
from shop_domain.payment import Payment, PaymentStatus
from tests.integration.payments.conftest import NOTIFY_URL
from tests.integration.payments.payu_double import OAUTH_PATH, PayUDouble

CONTINUE_URL = "http://127.0.0.1:8000/orders/done"
TIMEOUT = 0.5  # every call in this module is bounded by it


def config_for(double: PayUDouble, **overrides: object) -> PayUConfig:
    values: dict[str, object] = {
        "base_url": double.base_url,
        "pos_id": double.pos_id,
        "client_id": double.client_id,
        "client_secret": double.client_secret,
        "second_key": double.second_key,
        "notify_url": NOTIFY_URL,
        "continue_url": CONTINUE_URL,
        "timeout": TIMEOUT,
    }
    values.update(overrides)
    return PayUConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: building its TLS context per test costs more than
    the tests. The gateways that build their own client are tested separately."""
    with httpx.Client() as client:
        yield client


@pytest.fixture
def gateway(payu_double: PayUDouble, http: httpx.Client) -> Iterator[PayUGateway]:
    with PayUGateway(config_for(payu_double), http=http) as gw:
        yield gw


def request(
    amount: str = "123.45",
    *,
    email: str = "buyer@example.com",
    ip: str = "203.0.113.7",
    lines: tuple[tuple[str, int, Money], ...] | None = None,
) -> PaymentRequest:
    total = Money(Decimal(amount), "PLN")
    return PaymentRequest(
        payment_id=PaymentId(uuid.uuid4()),
        order_id=OrderId(uuid.uuid4()),
        amount=total,
        description="Order for tests",
        customer_email=email,
        customer_ip=ip,
        lines=lines if lines is not None else (("Thing", 1, total),),
    )


def payment_for(req: PaymentRequest, external_ref: str, **kw: object) -> Payment:
    payment = Payment.start(
        id=req.payment_id,
        order_id=req.order_id,
        customer_id=CustomerId(uuid.uuid4()),
        method=PaymentMethod.PAYU,
        provider="payu",
        amount=req.amount,
        at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    payment.external_ref = external_ref
    for key, value in kw.items():
        setattr(payment, key, value)
    return payment


def started(gateway: PayUGateway, req: PaymentRequest | None = None) -> tuple[Payment, str]:
    """Start a payment; return it (as the shop records it) and PayU's order id."""
    req = req or request()
    result = gateway.start(req)
    return payment_for(req, result.external_ref, next_action=result.next_action), (
        result.external_ref
    )


# --- configuration --------------------------------------------------------------
def test_defaults_are_payus_public_sandbox_pos() -> None:
    config = PayUConfig()
    assert config.base_url == "https://secure.snd.payu.com"
    assert (config.pos_id, config.client_id) == ("300746", "300746")
    assert config.second_key == "b6ca15b0d1020e8094d9b5f8d163db54"
    assert "b6ca15b0" not in repr(config) and config.client_secret not in repr(config)
    gateway = PayUGateway(config)
    assert (gateway.provider, gateway.customer_confirms) == ("payu", True)
    gateway.close()


# --- OAuth ----------------------------------------------------------------------
def test_token_is_fetched_once_with_form_credentials_and_cached(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    payment, _ = started(gateway)
    gateway.start(request())
    gateway.confirm(payment, {})

    (oauth,) = payu_double.token_requests
    assert oauth.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert oauth.form == {
        "grant_type": ["client_credentials"],
        "client_id": [payu_double.client_id],
        "client_secret": [payu_double.client_secret],
    }
    api_calls = payu_double.requests_to("/api/v2_1/")
    assert len(api_calls) == 3
    tokens = {r.headers["authorization"] for r in api_calls}
    assert len(tokens) == 1 and tokens.pop().startswith("Bearer ")


def test_token_is_renewed_shortly_before_it_expires(payu_double: PayUDouble) -> None:
    now = [1000.0]
    payu_double.token_ttl = 600
    with PayUGateway(config_for(payu_double), clock=lambda: now[0]) as gateway:
        gateway.start(request())
        now[0] += 600 - 61  # more than 60 s left: still cached
        gateway.start(request())
        assert len(payu_double.token_requests) == 1
        now[0] += 2  # less than 60 s left: renewed before PayU would refuse it
        gateway.start(request())
        assert len(payu_double.token_requests) == 2


def test_a_401_renews_the_token_once_and_retries(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    gateway.start(request())
    payu_double.expire_tokens()

    result = gateway.start(request())

    assert result.status == PaymentStatus.PENDING
    assert len(payu_double.token_requests) == 2
    creates = payu_double.create_requests
    assert len(creates) == 3  # first, refused with 401, retried
    assert creates[1].body == creates[2].body
    assert creates[1].headers["authorization"] != creates[2].headers["authorization"]
    assert len(payu_double.orders) == 2


def test_a_second_401_is_not_retried_again(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    payu_double.reject_all_tokens = True

    with pytest.raises(PaymentProviderUnavailable):
        gateway.start(request())

    assert len(payu_double.token_requests) == 2
    assert len(payu_double.create_requests) == 2
    assert payu_double.orders == {}


def test_refused_credentials_make_payu_unavailable(payu_double: PayUDouble) -> None:
    config = config_for(payu_double, client_secret="wrong")
    with PayUGateway(config) as gateway, pytest.raises(PaymentProviderUnavailable):
        gateway.start(request())
    assert payu_double.create_requests == []
    payu_double.violations.clear()  # the double noted the wrong secret on purpose


def test_concurrent_calls_share_one_token(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            gateway.start(request())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert errors == []
    assert len(payu_double.token_requests) == 1
    assert len(payu_double.orders) == 8


# --- create order ---------------------------------------------------------------
def test_start_sends_the_order_and_answers_with_the_redirect(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    mug, tea = Money(Decimal("19.99"), "PLN"), Money(Decimal("5.50"), "PLN")
    req = request("45.48", lines=(("Mug", 2, mug), ("Tea", 1, tea)))

    result = gateway.start(req)

    (create,) = payu_double.create_requests
    assert create.headers["content-type"] == "application/json"
    body = create.json
    assert str(req.payment_id) in body["extOrderId"]
    assert body["merchantPosId"] == payu_double.pos_id
    assert body["totalAmount"] == "4548" and body["currencyCode"] == "PLN"
    assert body["products"] == [
        {"name": "Mug", "unitPrice": "1999", "quantity": "2"},
        {"name": "Tea", "unitPrice": "550", "quantity": "1"},
    ]
    assert body["customerIp"] == "203.0.113.7"
    assert body["buyer"] == {"email": "buyer@example.com"}
    assert body["description"] == "Order for tests"
    assert body["notifyUrl"] == NOTIFY_URL and body["continueUrl"] == CONTINUE_URL

    order = payu_double.only_order()
    assert result.status == PaymentStatus.PENDING
    assert result.external_ref == order.order_id
    assert len(order.order_id) == 27
    assert result.next_action is not None
    assert result.next_action["type"] == "redirect"
    assert result.next_action["url"].startswith(payu_double.base_url + "/pay/")
    assert not result.order_failed


def test_the_302_is_read_not_followed(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    result = gateway.start(request())

    assert payu_double.requests_to("/pay/") == []
    assert result.next_action is not None and "orderId=" in result.next_action["url"]


def test_the_redirect_is_not_followed_even_on_a_client_that_follows(
    payu_double: PayUDouble,
) -> None:
    with httpx.Client(follow_redirects=True) as client:
        gateway = PayUGateway(config_for(payu_double), http=client)
        result = gateway.start(request())
    assert result.external_ref in payu_double.orders
    assert payu_double.requests_to("/pay/") == []


def test_missing_ip_email_and_lines_fall_back(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    gateway.start(request("10.00", email="", ip="", lines=()))

    (create,) = payu_double.create_requests
    assert create.json["customerIp"] == "127.0.0.1"
    assert "buyer" not in create.json
    assert create.json["products"] == [
        {"name": "Order for tests", "unitPrice": "1000", "quantity": "1"}
    ]


def test_lines_that_do_not_add_up_become_one_line(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    gateway.start(request("30.00", lines=(("Mug", 2, Money(Decimal("10.00"), "PLN")),)))

    (create,) = payu_double.create_requests
    assert create.json["totalAmount"] == "3000"
    assert create.json["products"] == [
        {"name": "Order for tests", "unitPrice": "3000", "quantity": "1"}
    ]


def test_each_attempt_has_its_own_ext_order_id(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    first, second = request(), request()
    gateway.start(first)
    gateway.start(second)

    ext_ids = [r.json["extOrderId"] for r in payu_double.create_requests]
    assert len(set(ext_ids)) == 2
    assert str(first.payment_id) in ext_ids[0] and str(second.payment_id) in ext_ids[1]


def test_the_same_attempt_twice_is_refused_not_charged_twice(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    req = request()
    gateway.start(req)

    with pytest.raises(PaymentDeclined) as caught:
        gateway.start(req)

    assert caught.value.details is not None
    assert caught.value.details["status_code"] == "ERROR_ORDER_NOT_UNIQUE"
    assert len(payu_double.orders) == 1
    payu_double.violations.clear()  # the reuse was provoked on purpose


def test_a_refused_order_is_declined(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    payu_double.refuse_next_order()

    with pytest.raises(PaymentDeclined) as caught:
        gateway.start(request())

    assert caught.value.code == 5002
    assert caught.value.details is not None
    assert caught.value.details["status_code"] == "BUSINESS_ERROR"


def test_money_goes_in_minor_units_for_other_currencies(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    price = Money(Decimal("1000"), "HUF")  # PayU wants HUF times 100 as well
    req = PaymentRequest(
        payment_id=PaymentId(uuid.uuid4()),
        order_id=OrderId(uuid.uuid4()),
        amount=price,
        description="HUF order",
        lines=(("Paprika", 1, price),),
    )
    gateway.start(req)
    assert payu_double.create_requests[0].json["totalAmount"] == "100000"


# --- confirm --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payu_status", "status", "order_failed"),
    [
        ("NEW", PaymentStatus.PENDING, False),
        ("PENDING", PaymentStatus.PENDING, False),
        ("WAITING_FOR_CONFIRMATION", PaymentStatus.PENDING, False),
        ("COMPLETED", PaymentStatus.SUCCEEDED, False),
        ("CANCELED", PaymentStatus.FAILED, True),
        ("REJECTED", PaymentStatus.FAILED, True),
    ],
)
def test_confirm_asks_payu_and_maps_its_status(
    gateway: PayUGateway,
    payu_double: PayUDouble,
    payu_status: str,
    status: PaymentStatus,
    order_failed: bool,
) -> None:
    payment, order_id = started(gateway)
    payu_double.set_status(order_id, payu_status)

    result = gateway.confirm(payment, {})

    assert (result.status, result.order_failed) == (status, order_failed)
    assert result.external_ref == order_id
    assert payu_double.requests_to(f"/api/v2_1/orders/{order_id}", "GET")
    # A payment still waiting keeps its way back to PayU's page.
    expected_action = payment.next_action if status == PaymentStatus.PENDING else None
    assert result.next_action == expected_action


def test_confirm_refuses_a_completed_order_of_another_amount(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    payment, order_id = started(gateway)
    payu_double.pay(order_id)
    payment.amount = Money(Decimal("1.00"), "PLN")

    with pytest.raises(AmountMismatch):
        gateway.confirm(payment, {})


def test_confirm_of_an_order_payu_does_not_know_is_declined(gateway: PayUGateway) -> None:
    req = request()
    with pytest.raises(PaymentDeclined) as caught:
        gateway.confirm(payment_for(req, "NOSUCHORDER0000000000000000"), {})
    assert caught.value.details is not None
    assert caught.value.details["status_code"] == "DATA_NOT_FOUND"


# --- refund ---------------------------------------------------------------------
def test_refund_requests_a_full_refund(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    payment, order_id = started(gateway)
    payu_double.pay(order_id)

    result = gateway.refund(payment)

    assert result.status == PaymentStatus.SUCCEEDED  # requested; PayU finishes it later
    assert result.external_ref == order_id
    (call,) = payu_double.requests_to(f"/api/v2_1/orders/{order_id}/refunds", "POST")
    assert "amount" not in call.json["refund"]  # no amount: a full refund
    assert call.json["refund"]["description"]
    (refund,) = payu_double.orders[order_id].refunds
    assert (refund["status"], refund["amount"]) == ("PENDING", "12345")


def test_a_repeated_refund_is_the_same_refund(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    payment, order_id = started(gateway)
    payu_double.pay(order_id)

    gateway.refund(payment)
    gateway.refund(payment)

    assert len(payu_double.orders[order_id].refunds) == 1


def test_refund_of_an_unpaid_order_is_declined(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    payment, order_id = started(gateway)
    with pytest.raises(PaymentDeclined):
        gateway.refund(payment)
    assert payu_double.orders[order_id].refunds == []


# --- PayU down ------------------------------------------------------------------
FAULTS = ["500", "503", "garbage", "html", "close", "gzip", "hang"]


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_on_create_make_payu_unavailable(
    gateway: PayUGateway, payu_double: PayUDouble, fault: str
) -> None:
    gateway.start(request())  # a cached token: the fault hits the API call
    payu_double.fail_next(fault)
    began = time.monotonic()

    with pytest.raises(PaymentProviderUnavailable) as caught:
        gateway.start(request())

    assert caught.value.code == 5005
    error = caught.value  # nothing from httpx hangs on to it
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert time.monotonic() - began < TIMEOUT * 4


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_on_the_token_make_payu_unavailable(
    gateway: PayUGateway, payu_double: PayUDouble, fault: str
) -> None:
    payu_double.fail_next(fault)
    with pytest.raises(PaymentProviderUnavailable):
        gateway.start(request())
    assert payu_double.create_requests == []


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_on_confirm_and_refund_make_payu_unavailable(
    gateway: PayUGateway, payu_double: PayUDouble, fault: str
) -> None:
    payment, order_id = started(gateway)
    payu_double.pay(order_id)
    payu_double.fail_next(fault, times=2)

    with pytest.raises(PaymentProviderUnavailable):
        gateway.confirm(payment, {})
    with pytest.raises(PaymentProviderUnavailable):
        gateway.refund(payment)


def test_an_outage_lasts_until_payu_is_back(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    payu_double.down = "503"
    for _ in range(3):
        with pytest.raises(PaymentProviderUnavailable):
            gateway.start(request())
    payu_double.down = None
    assert gateway.start(request()).status == PaymentStatus.PENDING


@pytest.mark.parametrize("base_url", ["not a url", "ftp://127.0.0.1:1", "http://[::1"])
def test_a_bad_base_url_is_unavailable_too(base_url: str) -> None:
    config = PayUConfig(base_url=base_url, timeout=TIMEOUT)
    with PayUGateway(config) as gateway, pytest.raises(PaymentProviderUnavailable):
        gateway.start(request())


def test_an_unreachable_payu_is_unavailable() -> None:
    with PayUDouble() as double:
        config = config_for(double)
    with PayUGateway(config) as gateway, pytest.raises(PaymentProviderUnavailable):
        gateway.start(request())  # the port is closed now: connection refused


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (302, {"status": {"statusCode": "SUCCESS"}}),  # no orderId, no redirectUri
        (302, {"orderId": "X", "redirectUri": "http://127.0.0.1/pay"}),  # no status
        (500, {"status": 500, "error": "proxy"}),  # a gateway's shape, not PayU's
        (404, {"detail": "not found"}),  # not PayU at that address
        (200, ["not", "an", "object"]),
    ],
)
def test_unexpected_answers_are_unavailable_not_declines(
    payu_double: PayUDouble, status: int, answer: object
) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path == OAUTH_PATH:
            return httpx.Response(200, json={"access_token": "t", "expires_in": 43199})
        return httpx.Response(status, json=answer)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        gateway = PayUGateway(config_for(payu_double), http=client)
        with pytest.raises(PaymentProviderUnavailable):
            gateway.start(request())


@pytest.mark.parametrize(
    "token_answer",
    [{}, {"access_token": ""}, {"access_token": "t", "expires_in": "soon"}, {"error": "x"}],
)
def test_unexpected_token_answers_are_unavailable(
    payu_double: PayUDouble, token_answer: dict[str, object]
) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        assert req.url.path == OAUTH_PATH  # never reaches the API without a token
        return httpx.Response(200, json=token_answer)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        gateway = PayUGateway(config_for(payu_double), http=client)
        with pytest.raises(PaymentProviderUnavailable):
            gateway.start(request())


def test_secrets_never_reach_the_log(
    payu_double: PayUDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with PayUGateway(config_for(payu_double)) as gateway:
        gateway.start(request())
        payu_double.expire_tokens()
        payu_double.fail_next("500", times=2)
        with pytest.raises(PaymentProviderUnavailable):
            gateway.start(request())
        payu_double.reject_all_tokens = True
        with pytest.raises(PaymentProviderUnavailable):
            gateway.start(request())
    tokens = list(payu_double.tokens)
    for secret in (payu_double.client_secret, payu_double.second_key, *tokens):
        assert secret not in caplog.text
    assert "Correlation-Id" in caplog.text


# --- notifications --------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA256"])
@pytest.mark.parametrize(
    "header", ["both", "OpenPayu-Signature", "X-OpenPayU-Signature", "openpayu-signature"]
)
def test_notifications_verify_with_both_algorithms_and_header_spellings(
    gateway: PayUGateway, payu_double: PayUDouble, algorithm: str, header: str
) -> None:
    req = request("123.45")
    _, order_id = started(gateway, req)
    payu_double.pay(order_id)

    body, headers = payu_double.order_notification(order_id, algorithm=algorithm, header=header)
    note = gateway.parse_notification(body, headers)

    assert note.payment_id == req.payment_id
    assert note.external_ref == order_id
    assert note.status == PaymentStatus.SUCCEEDED
    assert note.amount == Money(Decimal("123.45"), "PLN")
    assert not note.order_failed


def test_django_style_header_names_are_found(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    _, order_id = started(gateway)
    body, headers = payu_double.order_notification(order_id, header="HTTP_X_OPENPAYU_SIGNATURE")
    assert gateway.parse_notification(body, headers).status == PaymentStatus.PENDING


def test_the_signature_header_is_parsed_loosely(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    _, order_id = started(gateway)
    body, _ = payu_double.order_notification(order_id)
    digest = payu_double.sign(body)["OpenPayu-Signature"].split("signature=")[1].split(";")[0]
    header = f" content=DOCUMENT ; algorithm=md5; signature={digest.upper()} ;sender=checkout;"
    note = gateway.parse_notification(body, {"OpenPayU-Signature": header})
    assert note.external_ref == order_id


@pytest.mark.parametrize(
    ("payu_status", "status", "order_failed"),
    [
        ("NEW", PaymentStatus.PENDING, False),
        ("PENDING", PaymentStatus.PENDING, False),
        ("WAITING_FOR_CONFIRMATION", PaymentStatus.PENDING, False),
        ("COMPLETED", PaymentStatus.SUCCEEDED, False),
        ("CANCELED", PaymentStatus.FAILED, True),
    ],
)
def test_order_notification_statuses(
    gateway: PayUGateway,
    payu_double: PayUDouble,
    payu_status: str,
    status: PaymentStatus,
    order_failed: bool,
) -> None:
    _, order_id = started(gateway)
    note = gateway.parse_notification(*payu_double.order_notification(order_id, payu_status))
    assert (note.status, note.order_failed) == (status, order_failed)


def test_a_bad_signature_is_refused_before_parsing(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    _, order_id = started(gateway)
    body, headers = payu_double.order_notification(order_id, bad_signature=True)
    with pytest.raises(InvalidNotificationSignature) as caught:
        gateway.parse_notification(body, headers)
    assert caught.value.code == 5004

    garbage = b"{not json at all"
    forged = payu_double.sign(garbage, key="guessed-key")
    with pytest.raises(InvalidNotificationSignature):  # not ValidationFailed: never parsed
        gateway.parse_notification(garbage, forged)


def test_a_tampered_body_is_refused(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    _, order_id = started(gateway)
    body, headers = payu_double.order_notification(order_id, "CANCELED")
    tampered = body.replace(b"CANCELED", b"COMPLETED")
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(tampered, headers)
    reserialized = json.dumps(json.loads(body)).encode()  # same JSON, other bytes
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(reserialized, headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-Type": "application/json"},
        {"OpenPayu-Signature": "sender=checkout;algorithm=MD5;content=DOCUMENT"},
        {"OpenPayu-Signature": "garbage"},
        {"OpenPayu-Signature": "signature=;algorithm=MD5"},
    ],
)
def test_missing_or_empty_signatures_are_refused(
    gateway: PayUGateway, headers: dict[str, str]
) -> None:
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(b'{"order": {}}', headers)


@pytest.mark.parametrize("algorithm", ["none", "SHA-1", "CRC32"])
def test_unaccepted_algorithms_are_refused(
    gateway: PayUGateway, payu_double: PayUDouble, algorithm: str
) -> None:
    _, order_id = started(gateway)
    body, _ = payu_double.order_notification(order_id)
    headers = payu_double.sign(body)  # a valid MD5 digest, but claims another algorithm
    headers = {k: v.replace("algorithm=MD5", f"algorithm={algorithm}") for k, v in headers.items()}
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(body, headers)


def test_a_missing_algorithm_means_md5(gateway: PayUGateway, payu_double: PayUDouble) -> None:
    _, order_id = started(gateway)
    body, _ = payu_double.order_notification(order_id)
    headers = {k: v.replace(";algorithm=MD5", "") for k, v in payu_double.sign(body).items()}
    assert gateway.parse_notification(body, headers).external_ref == order_id


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b"{}",
        b'{"order": {"orderId": "X", "status": "UNHEARD_OF"}}',
        b'{"order": {"status": "COMPLETED"}}',
        b'{"order": {"orderId": "X", "status": ["COMPLETED"]}}',
        b'{"order": {"orderId": "X", "status": "COMPLETED", "totalAmount": "1.5",'
        b' "currencyCode": "PLN"}}',
        b'{"order": {"orderId": "X", "status": "COMPLETED", "totalAmount": "150"}}',
        b'{"orderId": "X", "refund": {"status": "LOST"}}',
        b'{"refund": {"status": "FINALIZED"}}',
    ],
)
def test_verified_but_unparseable_bodies_fail_validation(
    gateway: PayUGateway, payu_double: PayUDouble, payload: bytes
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        gateway.parse_notification(payload, payu_double.sign(payload))
    assert caught.value.code == 1000


def test_wrong_amount_and_currency_are_reported_as_sent(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    _, order_id = started(gateway, request("123.45"))
    payu_double.pay(order_id)

    body, headers = payu_double.order_notification(order_id, total_amount="100", currency="EUR")
    note = gateway.parse_notification(body, headers)

    assert note.amount == Money(Decimal("1.00"), "EUR")  # the use case refuses it (5006)


def test_an_order_that_is_not_ours_has_no_payment_id(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    order = {"orderId": "OTHERSHOP000000000000000001", "extOrderId": "shop-42"}
    order |= {"status": "COMPLETED", "totalAmount": "100", "currencyCode": "PLN"}
    payload = {"order": order}
    body = json.dumps(payload).encode()
    note = gateway.parse_notification(body, payu_double.sign(body))
    assert note.payment_id is None
    assert note.external_ref == "OTHERSHOP000000000000000001"


def test_duplicates_and_out_of_order_notifications_parse_alike(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    req = request()
    _, order_id = started(gateway, req)
    sequence = ["PENDING", "COMPLETED", "COMPLETED", "PENDING", "CANCELED"]

    notes = [
        gateway.parse_notification(body, headers)
        for body, headers in payu_double.notification_sequence(order_id, sequence)
    ]

    assert [n.status for n in notes] == [
        PaymentStatus.PENDING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PENDING,  # stale: the use case's one-way machine ignores it
        PaymentStatus.FAILED,  # stale too: a succeeded payment cannot fail
    ]
    assert {n.payment_id for n in notes} == {req.payment_id}
    assert notes[1] == notes[2]


@pytest.mark.parametrize("with_order", [False, True])
@pytest.mark.parametrize(
    ("refund_status", "status"),
    [
        ("FINALIZED", PaymentStatus.REFUNDED),
        ("CANCELED", PaymentStatus.SUCCEEDED),  # the refund failed: the money stays paid
        ("PENDING", PaymentStatus.SUCCEEDED),
    ],
)
def test_refund_notifications(
    gateway: PayUGateway,
    payu_double: PayUDouble,
    with_order: bool,
    refund_status: str,
    status: PaymentStatus,
) -> None:
    req = request()
    payment, order_id = started(gateway, req)
    payu_double.pay(order_id)
    gateway.refund(payment)
    payu_double.finalize_refund(order_id, refund_status)

    body, headers = payu_double.refund_notification(order_id, with_order=with_order)
    note = gateway.parse_notification(body, headers)

    assert note.status == status
    assert note.payment_id == req.payment_id
    assert note.external_ref == order_id
    assert note.amount is None  # a refund's amount is not the payment's
    assert not note.order_failed


def test_a_refund_notification_with_a_bad_signature_is_refused(
    gateway: PayUGateway, payu_double: PayUDouble
) -> None:
    payment, order_id = started(gateway)
    payu_double.pay(order_id)
    gateway.refund(payment)
    body, headers = payu_double.refund_notification(
        order_id, "FINALIZED", algorithm="SHA-256", bad_signature=True
    )
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(body, headers)

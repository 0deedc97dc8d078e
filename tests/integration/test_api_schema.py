"""/api/schema is honest: valid OpenAPI 3 in YAML and JSON, generated without a warning,
every operation with its request, its answers and its security, and the response
components naming exactly the fields the presenters write."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml

from tests.integration.conftest import Api

SAFE = {"get", "head"}
METHODS = {"get", "post", "put", "patch", "delete"}
WEBHOOKS = {"payu_notify", "stripe_webhook"}


@pytest.fixture
def document(anon: Api) -> dict[str, Any]:
    response = anon.get("/api/schema", format="json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return dict(json.loads(response.content))


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_the_schema_is_valid_openapi_3_in_json_and_the_same_in_yaml(
    anon: Api, document: dict[str, Any]
) -> None:
    from drf_spectacular.validation import validate_schema

    validate_schema(document)
    assert str(document["openapi"]).startswith("3.0")
    as_yaml = yaml.safe_load(anon.get("/api/schema").content)
    assert as_yaml == document
    assert yaml.safe_load(anon.client.get("/api/schema", HTTP_ACCEPT="application/json").content)


def test_generation_leaves_no_warning_or_error() -> None:
    """drf-spectacular's own report: also what `shop manage check --deploy` runs."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    from adapters.django_web.schema import ShopSchemaGenerator

    for generator in (SchemaGenerator, ShopSchemaGenerator):
        GENERATOR_STATS.reset()
        with GENERATOR_STATS.silence():
            generator().get_schema(request=None, public=True)
        assert not GENERATOR_STATS._warn_cache, generator
        assert not GENERATOR_STATS._error_cache, generator


def test_one_path_per_route_and_no_html_page(document: dict[str, Any]) -> None:
    paths = list(document["paths"])
    assert all(p.startswith("/api/") and not p.endswith("/") for p in paths), paths
    assert not any(p.startswith(("/api/schema", "/api/docs", "/sandbox", "/admin")) for p in paths)


def test_every_operation_documents_its_answers_and_security(document: dict[str, Any]) -> None:
    ids = set()
    for path, method, op in operations(document):
        where = f"{method.upper()} {path}"
        ids.add(op["operationId"])
        responses = op["responses"]
        ok = [code for code in responses if code.startswith("2")]
        assert len(ok) == 1, where
        assert "application/json" in responses[ok[0]]["content"], where
        for code, answer in responses.items():
            if code.startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, where
        assert "security" in op, where
        if op["operationId"] in WEBHOOKS:
            continue
        if method not in SAFE:
            assert "403" in responses, f"{where}: CSRF"
            assert any("csrfToken" in requirement for requirement in op["security"]), where
        if "{" in path:
            assert "404" in responses, f"{where}: an unknown or malformed id"
    assert len(ids) == len(operations(document)), "operation ids are unique"
    schemes = document["components"]["securitySchemes"]
    assert schemes["cookieAuth"]["name"] == "sessionid"
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "in": "header", "name": "X-CSRFToken"}


def test_request_bodies_are_the_views_serializers(document: dict[str, Any]) -> None:
    bodies = {
        op["operationId"]: op["requestBody"]["content"]["application/json"]["schema"]
        for _, _, op in operations(document)
        if "requestBody" in op
    }
    components = document["components"]["schemas"]

    def fields(operation_id: str) -> set[str]:
        ref = bodies[operation_id]["$ref"].rsplit("/", 1)[1]
        return set(components[ref]["properties"])

    assert fields("register") == {"username", "password", "email", "first_name"}
    assert fields("bucket_add") == {"product", "quantity"}
    assert fields("order_place") == {  # refund_account: our extension
        "payment",
        "delivery_method",
        "address",
        "point_id",
        "refund_account",
    }
    assert fields("payment_confirm") == {"card_token"}
    assert fields("staff_product_create") == {
        "name", "price", "description", "product_type", "status", "stock", "active"
    }  # fmt: skip


def _samples() -> dict[str, dict[str, Any]]:
    """Each presenter's output for a sample read model, by response component."""
    from adapters.django_web import presenters as p
    from shop_app.read_models import (
        BucketLineView,
        CustomerView,
        OrderLineView,
        OrderView,
        PaymentView,
        ProductView,
        RefundLineView,
        RefundView,
    )
    from shop_domain.money import Money

    now = datetime.now(UTC)
    money = Money(Decimal("12.50"), "PLN")
    customer = CustomerView(
        id=uuid.uuid4(), username="u", email="u@example.com", first_name="", last_name="",
        phone="", city="", is_staff=False,
    )  # fmt: skip
    product = ProductView(
        id=uuid.uuid4(), name="n", description="", price=money, product_type="", status="new",
        active=True, stock=3, reserved=1, available=2,
    )  # fmt: skip
    line = BucketLineView(
        id=uuid.uuid4(), customer_id=customer.id, product_id=product.id, product_name="n",
        quantity=1, unit_price=money, reserved_until=now,
    )  # fmt: skip
    refund = RefundView(
        id=uuid.uuid4(), order_id=uuid.uuid4(), amount=money, status="succeeded",
        provider="sandbox", reason="", delivery=False, external_ref="", created_at=now,
        completed_at=now,
        lines=(RefundLineView(line_id=uuid.uuid4(), quantity=1, restock=True),),
    )  # fmt: skip
    order = OrderView(
        id=uuid.uuid4(), customer_id=customer.id, status="new", created_at=now, paid_at=None,
        total=money, payment_method="card",
        lines=(OrderLineView(id=uuid.uuid4(), product_id=product.id, product_name="n",
                             quantity=1, unit_price=money),),
        refunded=money, refunds=(refund,),
    )  # fmt: skip
    payment = PaymentView(
        id=uuid.uuid4(), order_id=order.id, method="card", provider="sandbox", status="pending",
        amount=money, next_action={"type": "card_token"},
    )  # fmt: skip
    return {
        "Registered": p.registered_json(customer),
        "Profile": p.profile_json(customer),
        "Product": p.product_json(product),
        "StaffProduct": p.staff_product_json(product),
        "BucketRow": p.bucket_row_json(line),
        "BucketLine": p.bucket_line_json(line),
        "Order": p.order_json(order),
        "OrderLine": p.order_json(order)["lines"][0],
        "Payment": p.payment_json(payment),
        "Refund": p.refund_json(refund),
        "RefundLine": p.refund_json(refund)["lines"][0],
        "StatusMessage": p.OK_REMOVED,
    }


def test_response_components_name_exactly_the_presenters_fields(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    for name, sample in _samples().items():
        component = components[name]
        assert set(component["properties"]) == set(sample), name
        assert set(component["required"]) == set(sample), name
        assert component["additionalProperties"] is False, name


def _refusal(response: Any) -> int | None:
    """The contract code of a 403 answer (3002 not logged in, 3005 staff only), or None."""
    if response.status_code != 403:
        return None
    return int(response.json()["code"])


def test_each_operation_says_who_may_call_it_and_means_it(
    document: dict[str, Any], anon: Api, customer: Api
) -> None:
    """The document said "logged-in customers only" of /api/csrf, /api/logout and
    /api/register (a base class's docstring): each description now starts with who may
    call, and the routes answer an anonymous caller and a customer accordingly."""
    import re

    for path, method, op in operations(document):
        where = f"{method.upper()} {path}"
        said = op.get("description", "")
        assert "Base of" not in said, where
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)

        def call(api: Api, url: str = url, method: str = method) -> Any:
            return api.get(url) if method == "get" else api.send(method.upper(), url, {})

        if said.startswith("Open to anyone."):
            assert _refusal(call(anon)) not in (3002, 3005), where
        elif said.startswith("Logged-in customers only."):
            assert _refusal(call(anon)) == 3002, where
            assert _refusal(call(customer)) is None, where
        elif said.startswith("Staff only."):
            assert _refusal(call(anon)) == 3002, where
            assert _refusal(call(customer)) == 3005, where
        else:
            raise AssertionError(f"{where}: {said!r} does not say who may call it")
    by_id = {op["operationId"]: op for _, _, op in operations(document)}
    for open_route in ("csrf", "logout", "logout_post", "register", "login"):
        assert by_id[open_route]["description"].startswith("Open to anyone."), open_route

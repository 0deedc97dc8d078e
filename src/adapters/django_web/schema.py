"""The OpenAPI document: what every operation takes and answers, for /api/schema.

Documentation only. The views keep answering with the plain dicts presenters.py builds;
the response serializers here describe exactly those dicts (field names, types,
nullability, formats), field by field, and are never used to render anything. The
views attach them with one decorator per method (``operation``); the schema view uses
``ShopSchemaGenerator`` (one path per route, security schemes, closed response
objects) and ``SchemaNegotiation`` (YAML, or JSON with ``?format=json``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from adapters.django_web.negotiation import AlwaysJson
from adapters.django_web.paging import PageQuery
from shop_domain.order import OrderStatus, PaymentMethod
from shop_domain.payment import PaymentStatus
from shop_domain.product import ProductStatus
from shop_domain.refund import RefundStatus

# --- fields ---------------------------------------------------------------------------

MONEY = {
    "type": "string",
    "pattern": r"^[0-9]+(\.[0-9]+)?$",
    "description": "Decimal amount as a string with the currency's decimals (two for PLN)",
    "example": "3000.00",
}


@extend_schema_field(MONEY)
class MoneyField(serializers.CharField):
    pass


def _enum(name: str, values: Iterable[str], text: str) -> type[serializers.Field]:
    """A string field documented as a named enum component."""
    schema = {"type": "string", "enum": list(values), "description": text}
    return extend_schema_field(schema, component_name=name)(
        type(f"{name}Field", (serializers.CharField,), {})
    )


OrderStatusField = _enum("OrderStatus", (s.value for s in OrderStatus), "Order status")
PaymentMethodField = _enum("PaymentMethod", (m.value for m in PaymentMethod), "Payment method")
PaymentStatusField = _enum("PaymentStatus", (s.value for s in PaymentStatus), "Payment status")
ProductStatusField = _enum("ProductStatus", (s.value for s in ProductStatus), "Product status")


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
        "description": "Decimal amount as a string, at least 0, at most two decimals",
        "example": "19.99",
    }
)
class PriceInputField(serializers.DecimalField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "additionalProperties": True,
        "description": "Per-field messages (validation) or other facts about the error, or null",
    }
)
class DetailsField(serializers.JSONField):
    pass


_NEXT_ACTION = {
    "type": "object",
    "nullable": True,
    "description": "What the client does next; null when nothing is left to do",
    "oneOf": [
        {
            "type": "object",
            "title": "card_token",
            "properties": {"type": {"type": "string", "enum": ["card_token"]}},
            "required": ["type"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "redirect",
            "properties": {
                "type": {"type": "string", "enum": ["redirect"]},
                "url": {"type": "string", "format": "uri"},
            },
            "required": ["type", "url"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "bank_transfer",
            "properties": {
                "type": {"type": "string", "enum": ["bank_transfer"]},
                "account_holder": {"type": "string"},
                "iban": {"type": "string"},
                "title": {"type": "string"},
                "amount": MONEY,
                "currency": {"type": "string"},
            },
            "required": ["type", "account_holder", "iban", "title", "amount", "currency"],
            "additionalProperties": False,
        },
    ],
}


@extend_schema_field(_NEXT_ACTION)
class NextActionField(serializers.JSONField):
    pass


# --- response bodies: presenters.py, field by field -----------------------------------


class Error(serializers.Serializer):
    code = serializers.IntegerField(help_text="The contract's error code (1000, 1001, ...)")
    message = serializers.CharField()
    details = DetailsField(allow_null=True)


class Csrf(serializers.Serializer):
    csrftoken = serializers.CharField()


OkField = _enum("Ok", ["OK"], "Always OK")


class StatusMessage(serializers.Serializer):
    status = OkField()
    message = serializers.CharField()


class BucketMerge(serializers.Serializer):
    product = serializers.UUIDField()
    guest_quantity = serializers.IntegerField(min_value=1)
    customer_quantity = serializers.IntegerField(
        min_value=0, help_text="0 when the customer had no line for the product"
    )
    quantity = serializers.IntegerField(
        min_value=0, help_text="The customer's line afterwards (0: no line)"
    )
    outcome = serializers.ChoiceField(choices=["added", "merged", "clamped", "dropped", "kept"])


class LoggedIn(serializers.Serializer):
    status = OkField()
    user = serializers.UUIDField(help_text="The account's uuid")
    bucket_merge = BucketMerge(
        many=True,
        help_text="What merging the session's guest bucket did, per product; [] when it was empty",
    )


class Registered(serializers.Serializer):
    uuid = serializers.UUIDField()
    username = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField()


class Profile(serializers.Serializer):
    uuid = serializers.UUIDField()
    username = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    city = serializers.CharField(allow_blank=True)


class Product(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    price = MoneyField()
    product_type = serializers.CharField(allow_blank=True)
    status = ProductStatusField()
    quantity = serializers.IntegerField(min_value=0, help_text="What can still be bought")


class StaffProduct(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    price = MoneyField()
    description = serializers.CharField(allow_blank=True)
    product_type = serializers.CharField(allow_blank=True)
    status = ProductStatusField()
    stock = serializers.IntegerField(min_value=0, help_text="On hand")
    active = serializers.BooleanField()
    reserved = serializers.IntegerField(min_value=0, help_text="Held by buckets")


class BucketRow(serializers.Serializer):
    bucket_uuid = serializers.UUIDField()
    product = serializers.UUIDField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    value = MoneyField(help_text="Unit price")
    reserved_until = serializers.DateTimeField()


class BucketLine(serializers.Serializer):
    bucket_uuid = serializers.UUIDField()
    customer = serializers.UUIDField(allow_null=True, help_text="null on a guest's line")
    product = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1)
    value = MoneyField(help_text="Unit price")
    reserved_until = serializers.DateTimeField()


class OrderLine(serializers.Serializer):
    order_product_uuid = serializers.UUIDField()
    product = serializers.UUIDField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    value = MoneyField(help_text="Unit price, frozen when the order was placed")


DeliveryKindField = _enum(
    "DeliveryKind", ["courier", "pickup_point", "store_pickup"], "Delivery method kind"
)


class AddressFields(serializers.Serializer):
    name = serializers.CharField()
    street = serializers.CharField()
    postal_code = serializers.CharField(help_text="In the country's format")
    city = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2")
    phone = serializers.CharField(allow_blank=True, help_text="E.164, or empty")


class Address(AddressFields):
    uuid = serializers.UUIDField()
    is_default = serializers.BooleanField()


class DeliveryMethod(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = DeliveryKindField()
    price = MoneyField()
    currency = serializers.CharField()
    free_from = MoneyField(allow_null=True, help_text="Items total from which delivery is free")
    needs_address = serializers.BooleanField()
    needs_point = serializers.BooleanField()


class StaffDeliveryMethod(DeliveryMethod):
    active = serializers.BooleanField()


class OrderDelivery(serializers.Serializer):
    method = serializers.CharField(help_text="The delivery method's code")
    name = serializers.CharField()
    kind = DeliveryKindField()
    price = MoneyField(help_text="Frozen when the order was placed (0 from free_from)")
    address = AddressFields(allow_null=True, help_text="A frozen copy of the address")
    point_id = serializers.CharField(allow_null=True)


class Fulfilment(serializers.Serializer):
    status = _enum("FulfilmentStatus", ["shipped"], "Fulfilment status")()
    carrier = serializers.CharField(allow_blank=True)
    tracking_number = serializers.CharField(allow_blank=True)
    shipped_at = serializers.DateTimeField()


RefundStatusField = _enum("RefundStatus", (s.value for s in RefundStatus), "Refund status")


class RefundLine(serializers.Serializer):
    order_product_uuid = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1)
    restock = serializers.BooleanField()


class Refund(serializers.Serializer):
    refund_uuid = serializers.UUIDField()
    order = serializers.UUIDField()
    amount = MoneyField()
    currency = serializers.CharField()
    status = RefundStatusField()
    provider = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    lines = RefundLine(many=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class Order(serializers.Serializer):
    order_uuid = serializers.UUIDField()
    status = OrderStatusField()
    date_created = serializers.DateTimeField()
    date_paid = serializers.DateTimeField(allow_null=True)
    sum = MoneyField()
    currency = serializers.CharField()
    payment = PaymentMethodField()
    customer = serializers.UUIDField()
    lines = OrderLine(many=True)
    items_total = MoneyField(help_text="The lines' total; sum = items_total + delivery price")
    delivery = OrderDelivery(allow_null=True)
    fulfilment = Fulfilment(allow_null=True)
    refunded = MoneyField(help_text="Sum of the succeeded refunds")
    refunds = Refund(many=True)


class Payment(serializers.Serializer):
    payment_uuid = serializers.UUIDField()
    order = serializers.UUIDField()
    method = PaymentMethodField()
    provider = serializers.CharField()
    status = PaymentStatusField()
    amount = MoneyField()
    currency = serializers.CharField()
    next_action = NextActionField(allow_null=True)


def _page(name: str, item: type[serializers.Serializer], **extra: serializers.Field) -> type:
    fields: dict[str, Any] = {
        "count": serializers.IntegerField(min_value=0),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
        **extra,
    }
    return type(name, (serializers.Serializer,), fields)


class Event(serializers.Serializer):
    id = serializers.CharField(help_text='"evt_" + uuid, stable')
    type = serializers.CharField()
    created_at = serializers.DateTimeField()
    sequence = serializers.IntegerField(min_value=1, help_text="grows per order")
    data = serializers.JSONField(help_text="the order or payment as the API shows it")


ProfilePage = _page("ProfilePage", Profile)
ProductPage = _page("ProductPage", Product)
StaffProductPage = _page("StaffProductPage", StaffProduct)
BucketPage = _page("BucketPage", BucketRow, total=MoneyField(help_text="Sum of the lines"))
OrderPage = _page("OrderPage", Order)
EventPage = _page("EventPage", Event)
AddressPage = _page("AddressPage", Address)
DeliveryMethodPage = _page("DeliveryMethodPage", DeliveryMethod)
StaffDeliveryMethodPage = _page("StaffDeliveryMethodPage", StaffDeliveryMethod)
RefundPage = _page("RefundPage", Refund)

BucketLineOrRemoved = PolymorphicProxySerializer(
    component_name="BucketLineOrRemoved",
    serializers=[BucketLine, StatusMessage],
    resource_type_field_name=None,
)

# Response objects carry exactly these fields: the generator closes them.
CLOSED = (
    {
        s.__name__
        for s in (Error, Csrf, StatusMessage, LoggedIn, Registered, Profile, Product, StaffProduct)
    }
    | {s.__name__ for s in (BucketRow, BucketLine, OrderLine, Order, Payment, ProfilePage)}
    | {s.__name__ for s in (ProductPage, StaffProductPage, BucketPage, OrderPage)}
    | {s.__name__ for s in (AddressFields, Address, DeliveryMethod, StaffDeliveryMethod)}
    | {s.__name__ for s in (OrderDelivery, Fulfilment, AddressPage, DeliveryMethodPage)}
    | {StaffDeliveryMethodPage.__name__}
    | {s.__name__ for s in (Refund, RefundLine, RefundPage)}
)

NOTIFICATION_REPLY = {"type": "object", "additionalProperties": True}
RAW_NOTIFICATION = {
    "type": "object",
    "additionalProperties": True,
    "description": "The provider's signed event, verified over its raw bytes",
}

# --- query strings and headers --------------------------------------------------------

PAGING = [PageQuery]

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=False,
    description="Replays the first answer for the same key and body; another body: 422/1005",
)


def signature_header(name: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, str, OpenApiParameter.HEADER, required=False, description="The provider's signature"
    )


# --- operations -----------------------------------------------------------------------

SAFE = frozenset({"GET", "HEAD"})

SUCCESS = {200: "OK", 201: "Created", 202: "Accepted"}

# Answers every operation of a kind may give, with the contract's codes.
NOT_LOGGED_IN = "3002 not logged in"
CSRF = "3003 CSRF token missing or wrong"
ERROR_TEXT = {
    402: "5002 payment declined",
    413: "1007 request too large",
    414: "1007 request line too long (the server's limit is 4094 bytes)",
    422: "1005 idempotency key reused with a different request",
    502: "5005 payment provider unavailable",
}
RETRY_AFTER = OpenApiParameter(
    "Retry-After", int, OpenApiParameter.HEADER, response=[429], description="Seconds"
)

# Security requirements (the schemes are added by the generator).
SESSION = {"cookieAuth": []}
CSRF_HEADER = {"csrfToken": []}


def _responses(
    ok: tuple[int, Any],
    errors: Mapping[int, str],
    method: str,
    access: str,
    body: bool,
    query: bool,
) -> dict[int, Any]:
    status, answer = ok
    out: dict[int, Any] = {status: OpenApiResponse(answer, description=SUCCESS[status])}
    texts: dict[int, list[str]] = {}
    for code, text in errors.items():
        texts.setdefault(code, []).append(text)
    if access in ("customer", "staff"):
        texts.setdefault(403, []).insert(0, NOT_LOGGED_IN)
    if access == "staff":
        texts[403].append("3005 staff only")
    if method not in SAFE and access != "anonymous":
        texts.setdefault(403, []).append(CSRF)
    if body:
        texts.setdefault(413, []).append(ERROR_TEXT[413])
    if query:
        texts.setdefault(414, []).append(ERROR_TEXT[414])
    for code in sorted(texts):
        unique = list(dict.fromkeys(texts[code]))
        out[code] = OpenApiResponse(Error, description="; ".join(unique))
    return out


def _auth(method: str, access: str) -> list[dict[str, list[str]]]:
    if access == "anonymous":
        return [{}]
    if method in SAFE:
        return [SESSION] if access != "public" else [SESSION, {}]
    return [{**SESSION, **CSRF_HEADER}] if access != "public" else [CSRF_HEADER]


def operation(
    ids: str | Mapping[str, str],
    ok: tuple[int, Any],
    errors: Mapping[int, str] | None = None,
    *,
    request: Any = None,
    name: str | None = None,
    access: str = "customer",
    parameters: Iterable[Any] = (),
    fields: Mapping[str, type[serializers.Field]] | None = None,
    summary: str | None = None,
    description: str | None = None,
) -> Callable[[Any], Any]:
    """Document a view method. ``ids`` is the operation id, or one per HTTP method when
    one function serves several (``post = put``); ``access`` is ``public`` (session
    optional), ``customer``, ``staff`` or ``anonymous`` (no authentication at all, so no
    CSRF either: the catalog, and provider webhooks, which carry a signature instead); ``request`` the
    view's Input serializer, whose component is called ``name``; ``fields`` documents
    some of its fields more precisely than their DRF types can (e.g. the accepted values
    of a free-text field that the use case checks)."""
    if request is not None and name is not None and isinstance(request, type):
        if fields:
            request = _documented(request, fields)
        extend_schema_serializer(component_name=name)(request)
    by_method = dict(ids) if isinstance(ids, Mapping) else {"": ids}
    params = list(parameters)
    query = any(isinstance(p, type) for p in params)  # query-string serializers

    def decorate(method_function: Any) -> Any:
        for method, op_id in by_method.items():
            verb = method or _verb(method_function)
            method_function = extend_schema(
                methods=[method] if method else None,
                operation_id=op_id,
                request=request if verb not in SAFE else None,
                responses=_responses(ok, errors or {}, verb, access, request is not None, query),
                auth=_auth(verb, access),
                parameters=params + ([RETRY_AFTER] if 429 in (errors or {}) else []),
                summary=summary,
                description=description,
            )(method_function)
        return method_function

    return decorate


def _documented(
    serializer: type[serializers.Serializer], fields: Mapping[str, type[serializers.Field]]
) -> type[serializers.Serializer]:
    """The view's serializer for the document only, some fields described by others
    (built with the same arguments): the view still validates with its own."""
    key = (serializer, tuple(sorted(fields.items(), key=lambda item: item[0])))
    if key not in _DOCUMENTED:
        declared: dict[str, Any] = serializer._declared_fields  # type: ignore[attr-defined]
        overrides: dict[str, Any] = {
            name: documented(*declared[name]._args, **declared[name]._kwargs)
            for name, documented in fields.items()
        }
        overrides["__module__"] = serializer.__module__
        overrides["__qualname__"] = serializer.__qualname__
        _DOCUMENTED[key] = type(serializer.__name__, (serializer,), overrides)
    return _DOCUMENTED[key]


_DOCUMENTED: dict[Any, type[serializers.Serializer]] = {}


def _verb(function: Any) -> str:
    return str(getattr(function, "__name__", "get")).upper()


# --- the generator, the authentication scheme, the format ------------------------------


class ShopSchemaGenerator(SchemaGenerator):
    """One path per route (every route also answers with a trailing slash: the contract
    says so once, instead of doubling every path), no HTML pages, closed response
    objects, and the session + CSRF security schemes."""

    def _initialise_endpoints(self) -> None:
        super()._initialise_endpoints()
        self.endpoints = [
            endpoint
            for endpoint in self.endpoints
            if endpoint[0].startswith("/api/")
            and not endpoint[0].endswith("/")
            and not endpoint[0].startswith(("/api/schema", "/api/docs"))
        ]

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = super().get_schema(request=request, public=public)
        components = result.setdefault("components", {})
        for name, component in components.get("schemas", {}).items():
            if name in CLOSED and component.get("type") == "object":
                component["additionalProperties"] = False
            if name.endswith("Request"):
                for prop in component.get("properties", {}).values():
                    _refuse_nul(prop)
        for path in result.get("paths", {}).values():
            for op in path.values():
                for parameter in op.get("parameters", []):
                    if parameter.get("in") == "query":
                        _refuse_nul(parameter.get("schema", {}))
        components["securitySchemes"] = {
            "cookieAuth": {
                "type": "apiKey",
                "in": "cookie",
                "name": "sessionid",
                "description": "Django's session cookie, set by POST /api/login",
            },
            "csrfToken": {
                "type": "apiKey",
                "in": "header",
                "name": "X-CSRFToken",
                "description": "Every unsafe request: the value of the csrftoken cookie "
                "(GET /api/csrf sets it and returns it)",
            },
        }
        result["info"]["description"] = (
            str(result["info"].get("description") or "")
            + " Every route also answers with a trailing slash. Errors are "
            '{"code", "message", "details"} (schema Error).'
        ).strip()
        return result


NO_NUL = "^[^\\u0000]*$"


def _refuse_nul(schema: dict[str, Any]) -> None:
    """DRF refuses NUL characters in every text field (400): free text says so."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum"} & set(schema):
        schema["pattern"] = NO_NUL


class ShopAutoSchema(AutoSchema):
    """Each operation's description says who may call it, read from the permissions that
    decide it. The text is the method's docstring or the view's; drf-spectacular took the
    first docstring up the class tree, so the customer routes' base class ("logged-in
    customers only") described routes open to anyone (csrf, logout, register)."""

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation:
            text = operation.get("description", "")
            operation["description"] = " ".join(p for p in (_access(self.view), text) if p)
        return operation

    def get_description(self) -> str:  # type: ignore[override]
        view: Any = self.view
        method = getattr(view, getattr(view, "action", None) or self.method.lower(), None)
        doc = getattr(method, "__doc__", None)
        for cls in type(view).__mro__:
            if doc or cls.__module__.startswith(("rest_framework", "django")):
                break
            if cls.__name__ not in ACCESS_BASES:
                doc = vars(cls).get("__doc__")
        return inspect.cleandoc(doc or "")


# The views' base classes by access: their docstrings say who may call, not what it does.
ACCESS_BASES = frozenset({"ShopView", "PublicView", "StaffView"})


def _access(view: Any) -> str:
    from adapters.django_web.views.base import IsStaff  # the views import this module

    permissions = view.get_permissions()
    if any(isinstance(p, IsStaff) for p in permissions):
        return "Staff only."
    if any(isinstance(p, IsAuthenticated) for p in permissions):
        return "Logged-in customers only."
    return "Open to anyone."


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "adapters.django_web.auth.CsrfSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class SchemaNegotiation(AlwaysJson):
    """YAML by default; JSON with ``?format=json`` or an Accept header asking for JSON."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: Any = None) -> Any:
        wanted = request.query_params.get("format") or format_suffix
        accept = request.META.get("HTTP_ACCEPT", "")
        json_asked = wanted == "json" or (wanted is None and "json" in accept)
        for renderer in renderers:
            if json_asked and issubclass(type(renderer), OpenApiJsonRenderer):
                return renderer, renderer.media_type
            if not json_asked and issubclass(type(renderer), OpenApiYamlRenderer):
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type


# --- addresses and delivery (requests) ---------------------------------------------------

_ADDRESS_INPUT = {
    "type": "object",
    "title": "inline address",
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "street": {"type": "string", "maxLength": 300},
        "postal_code": {"type": "string", "maxLength": 16},
        "city": {"type": "string", "maxLength": 100},
        "country": {"type": "string", "minLength": 2, "maxLength": 2},
        "phone": {"type": "string", "maxLength": 32},
    },
    "required": ["name", "street", "postal_code", "city"],
}


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "uuid", "title": "one of the caller's addresses"},
            _ADDRESS_INPUT,
        ],
        "nullable": True,
        "description": "An address uuid of the caller's, or an inline address",
    }
)
class AddressChoiceField(serializers.JSONField):
    pass


DeliveryKindInputField = _enum(
    "DeliveryKindInput", ["courier", "pickup_point", "store_pickup"], "Delivery method kind"
)

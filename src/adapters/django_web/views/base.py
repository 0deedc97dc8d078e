from __future__ import annotations

import contextlib
import functools
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from django.http import HttpRequest
from rest_framework import serializers
from rest_framework.fields import ProhibitSurrogateCharactersValidator, empty
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from adapters.django_web.containers import use_cases
from adapters.django_web.fields import WholeNumber
from shop_app.containers import UseCases
from shop_domain.errors import ValidationFailed
from shop_domain.ids import CustomerId


class IsStaff(BasePermission):
    message = "staff only"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class ShopView(APIView):
    """Base of the customer routes: logged-in customers only."""

    permission_classes = [IsAuthenticated]

    @property
    def use(self) -> UseCases:
        return use_cases()

    @staticmethod
    def customer_id(request: Request) -> CustomerId:
        return CustomerId(request.user.pk)


class PublicView(ShopView):
    permission_classes: list[type[BasePermission]] = []


class StaffView(ShopView):
    permission_classes = [IsAuthenticated, IsStaff]


def client_address(request: Request | HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with SHOP_TRUSTED_PROXIES=N proxies in
    front, the address the outermost trusted proxy saw (X-Forwarded-For, N-th from the
    right; entries further left are the client's to forge)."""
    proxies = int(settings.SHOP.get("trusted_proxies", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "")


def validated(serializer_class: type, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed(details={"body": ["expected a JSON object"]})
    quick = _quick_check(serializer_class)
    if quick is not None:
        with contextlib.suppress(_Unsure):
            return quick(data)
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


class _Unsure(Exception):
    """Not plainly valid: DRF decides, and words the error."""


_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_VALIDATORS = (
    MaxLengthValidator, MinLengthValidator, MaxValueValidator, MinValueValidator,
    ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator,
)  # fmt: skip


def _field_check(field: serializers.Field) -> Callable[[Any], Any] | None:
    if any(not isinstance(v, _PLAIN_VALIDATORS) for v in field.validators):
        return None
    kind = type(field)
    if kind in (serializers.IntegerField, WholeNumber):
        low, high = field.min_value, field.max_value

        def whole(value: Any) -> Any:
            if type(value) is not int or (low is not None and value < low):
                raise _Unsure
            if high is not None and value > high:
                raise _Unsure
            return value

        return whole
    if kind is serializers.CharField:
        trim, blank, longest = field.trim_whitespace, field.allow_blank, field.max_length
        if field.min_length is not None:
            return None

        def text(value: Any) -> Any:
            if type(value) is not str:
                raise _Unsure
            value = value.strip() if trim else value
            if (not value and not blank) or (longest is not None and len(value) > longest):
                raise _Unsure
            if "\x00" in value or _SURROGATE.search(value):
                raise _Unsure
            return value

        return text
    if kind is UUIDString:

        def an_id(value: Any) -> Any:
            if type(value) is not str:
                raise _Unsure
            try:
                return uuid.UUID(value)
            except ValueError:
                raise _Unsure from None

        return an_id
    return None


@functools.cache
def _quick_check(serializer_class: type) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """For an input of plain fields (whole numbers, text, ids, with their usual limits),
    a check that returns what DRF would for a plainly valid body and defers everything
    else to DRF. Instantiating a DRF serializer deep-copies its fields: on the busiest
    routes that cost more than the check itself."""
    fields = serializer_class._declared_fields
    if serializer_class.validate is not serializers.Serializer.validate or any(
        hasattr(serializer_class, f"validate_{name}") for name in fields
    ):
        return None
    plan = []
    for name, field in fields.items():
        check = _field_check(field)
        if check is None or field.read_only or field.allow_null or field.source not in (None, name):
            return None
        if field.default is not empty and callable(field.default):
            return None
        plan.append((name, check, field.required, field.default))

    def quick(data: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, check, required, default in plan:
            if name in data:
                out[name] = check(data[name])
            elif required:
                raise _Unsure
            elif default is not empty:
                out[name] = default
        return out

    return quick


class UUIDString(serializers.UUIDField):
    """A UUID sent as a JSON string: DRF's UUIDField would also take 42 as UUID(int=42)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)

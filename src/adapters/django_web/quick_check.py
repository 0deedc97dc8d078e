"""Request bodies checked against their input serializer, fast for plainly valid ones.

``validated`` is what every view calls. For an input of plain fields (whole numbers,
text, ids, with their usual limits) a quick check returns what DRF would for a plainly
valid body and defers everything else to DRF, which decides and words every error.
Instantiating a DRF serializer deep-copies its fields: on the busiest routes that cost
more than the check itself. tests/integration/test_quick_check.py holds the two to the
same answers for any body.
"""

from __future__ import annotations

import contextlib
import functools
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from rest_framework import serializers
from rest_framework.fields import ProhibitSurrogateCharactersValidator, empty

from adapters.django_web.fields import UUIDString, WholeNumber
from shop_domain.errors import ValidationFailed


def validated(serializer_class: type, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed(details={"body": ["expected a JSON object"]})
    quick = quick_check(serializer_class)
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
def quick_check(serializer_class: type) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
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

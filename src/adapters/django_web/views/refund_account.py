"""The customer's refund account: an IBAN, checked (country format, check digits, the
national check digits where schwifty knows them) and kept compact."""

from __future__ import annotations

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from shop_domain.errors import ValidationFailed


def refund_account(text: str) -> str:
    """The IBAN in its compact form, "" for none; 400/1000 for one that is not valid."""
    if not text.strip():
        return ""
    try:
        return str(IBAN(text, validate_bban=True).compact)
    except (SchwiftyException, ValueError):
        raise ValidationFailed(details={"refund_account": ["not a valid IBAN"]}) from None

"""A customer account: identity and profile. The password hash never leaves persistence."""

from __future__ import annotations

import unicodedata

import attrs

from shop_domain.ids import CustomerId

# The longest folded username an account may have: folding can lengthen a name (NFKC
# spells out ligatures, casefold turns ß into ss), and the folded form is what the
# database indexes.
USERNAME_KEY_MAX_LENGTH = 300


def _fold_once(text: str) -> str:
    # casefold keeps the dotless i (U+0131) apart, yet its upper case is I: the one
    # character whose cases would fold apart (checked over all of Unicode), so it is
    # folded as i.
    return unicodedata.normalize("NFKC", text.casefold().replace("\u0131", "i"))


def fold_username(username: str) -> str:
    """The one spelling of a username that identifies its account: NFKC, casefold, NFKC
    (Unicode's NFKC_Casefold shape, as Django compares usernames), with the dotless i
    (U+0131) as ``i`` so that every case of a name folds together (its upper case is
    ``I``). Look-ups, uniqueness and the login throttle's per-account counter all go by
    it, so the dotless i, the long s (U+017F), full-width letters, ligatures or another
    case reach the same account and count against the same counter."""
    once = _fold_once(unicodedata.normalize("NFKC", username))
    # The composition is idempotent for every single character; loop to a fixed point
    # so that it is for any string (NFKC can meet a new composable pair after folding).
    for _ in range(4):
        again = _fold_once(once)
        if again == once:
            break
        once = again
    return once


@attrs.define(kw_only=True)
class Customer:
    id: CustomerId
    username: str
    email: str
    password_hash: str = attrs.field(repr=False)
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    city: str = ""
    is_staff: bool = False

    def update_profile(
        self,
        *,
        username: str,
        email: str,
        first_name: str,
        last_name: str,
        phone: str,
        city: str,
    ) -> None:
        self.username = username
        self.email = email
        self.first_name = first_name
        self.last_name = last_name
        self.phone = phone
        self.city = city

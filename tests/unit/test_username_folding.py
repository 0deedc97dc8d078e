"""The one folding of usernames (shop_domain.customer.fold_username): what it joins,
what it keeps apart, and that the use cases go by it (with the in-memory adapters)."""

# Look-alike letters are what these tests are about.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop_domain.customer import USERNAME_KEY_MAX_LENGTH, fold_username
from shop_domain.errors import BadCredentials, UsernameOrEmailTaken, ValidationFailed
from tests.unit.shop import Shop

PASSWORD = "correct-horse-9"

# Letters, digits and the punctuation Django's username validator takes, from any script.
username_text = st.text(
    st.characters(categories=["L", "M", "N", "Pc", "Pd"], include_characters=".@+-"),
    min_size=1,
    max_size=40,
)


@given(username_text)
def test_folding_is_idempotent(name: str) -> None:
    once = fold_username(name)
    assert fold_username(once) == once


@given(username_text)
def test_the_folded_form_is_nfkc_and_case_free(name: str) -> None:
    key = fold_username(name)
    assert unicodedata.normalize("NFKC", key) == key
    assert fold_username(key.upper()) == fold_username(key.casefold()) == key


@given(username_text)
def test_every_case_of_a_name_folds_together(name: str) -> None:
    assert fold_username(name.upper()) == fold_username(name.lower()) == fold_username(name)


@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40))
def test_an_ascii_name_folds_to_its_lower_case(name: str) -> None:
    assert fold_username(name) == name.lower()


@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40))
def test_a_full_width_spelling_folds_onto_its_ascii_form(name: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in name)  # U+FF01..U+FF5E
    assert fold_username(full_width) == fold_username(name)


@pytest.mark.parametrize(
    ("look_alike", "plain"),
    [
        ("rt_ſs_x", "rt_ss_x"),  # long s: casefold says s
        ("rt_ıs_x", "rt_is_x"),  # dotless i: its upper case is I
        ("ＲＴ＿ＩＳ＿Ｘ", "rt_is_x"),  # full width: NFKC says ASCII
        ("ﬁsh", "fish"),  # ligature: NFKC spells it out
        ("oﬀer", "OFFER"),
        ("straße", "STRASSE"),  # casefold says ss
        ("K_kelvin", "k_kelvin"),  # KELVIN SIGN
        ("Å_x", "å_x"),  # ANGSTROM SIGN
        ("café", "cafe\u0301"),  # composed and decomposed
    ],
)
def test_look_alikes_fold_onto_the_plain_name(look_alike: str, plain: str) -> None:
    assert fold_username(look_alike) == fold_username(plain)


def test_the_dotless_i_folds_as_its_upper_case_says() -> None:
    # casefold alone keeps `ı` apart, though "ı".upper() is "I": it would be the one
    # letter whose cases fold apart (see test_every_case_of_a_name_folds_together).
    assert fold_username("rt_ıs_x") == fold_username("RT_IS_X") == "rt_is_x"


def register(shop: Shop, username: str, email: str | None = None) -> object:
    return shop.use.register_customer()(
        username=username,
        email=email or f"{fold_username(username)}@example.com"[-60:],
        password=PASSWORD,
    )


@pytest.mark.parametrize(("first", "second"), [("rt_ss_x", "RT_ſS_X"), ("fish", "ﬁsh")])
def test_a_look_alike_of_a_taken_name_cannot_register(shop: Shop, first: str, second: str) -> None:
    register(shop, first, "one@example.com")
    with pytest.raises(UsernameOrEmailTaken):
        register(shop, second, "two@example.com")


def test_a_look_alike_logs_in_to_the_one_account(shop: Shop) -> None:
    me = register(shop, "rt_ss_x")
    found = shop.use.authenticate()(username="ＲＴ_ſs_X", password=PASSWORD)
    assert found.id == me.id  # type: ignore[attr-defined]


def test_renaming_onto_a_look_alike_of_another_account_is_taken(shop: Shop) -> None:
    register(shop, "fish", "one@example.com")
    me = register(shop, "trout", "two@example.com")
    with pytest.raises(UsernameOrEmailTaken):
        shop.use.update_profile()(
            customer_id=me.id,  # type: ignore[attr-defined]
            target_id=me.id,  # type: ignore[attr-defined]
            username="ﬁsh",
            email="two@example.com",
        )


def test_a_name_whose_folded_form_is_too_long_is_refused(shop: Shop) -> None:
    name = "ﷺ" * 20  # 20 characters that NFKC spells out as 18 each
    assert len(fold_username(name)) > USERNAME_KEY_MAX_LENGTH
    with pytest.raises(ValidationFailed):
        register(shop, name, "long@example.com")


def test_the_password_change_takes_any_spelling_of_ones_name(shop: Shop) -> None:
    me = register(shop, "rt_ss_x")
    change = shop.use.change_password()
    change(
        customer_id=me.id,  # type: ignore[attr-defined]
        target_id=me.id,  # type: ignore[attr-defined]
        username="RT_ſS_X",
        old_password=PASSWORD,
        password="a-new-horse-10",
    )
    with pytest.raises(BadCredentials):
        change(
            customer_id=me.id,  # type: ignore[attr-defined]
            target_id=me.id,  # type: ignore[attr-defined]
            username="rt_sx_x",
            old_password="a-new-horse-10",
            password="a-third-horse-11",
        )

"""Accounts: register, authenticate, profile, password change."""

from __future__ import annotations

import uuid

import pytest

from shop_app.read_models import CustomerView
from shop_domain.errors import (
    BadCredentials,
    ProfileNotFound,
    UsernameOrEmailTaken,
    ValidationFailed,
)
from shop_domain.ids import CustomerId
from tests.unit.shop import Shop

PASSWORD = "correct-horse-9"


def register(
    shop: Shop,
    username: str = "alice",
    email: str = "alice@example.com",
    password: str = PASSWORD,
    first_name: str = "",
) -> CustomerView:
    return shop.use.register_customer()(
        username=username, email=email, password=password, first_name=first_name
    )


def test_register_creates_the_account_and_stores_only_a_hash(shop: Shop) -> None:
    view = register(shop, first_name="Alice")
    assert (view.username, view.email, view.first_name, view.is_staff) == (
        "alice",
        "alice@example.com",
        "Alice",
        False,
    )
    stored = shop.store.tables.customers[view.id]
    assert stored.password_hash and PASSWORD not in stored.password_hash
    assert not hasattr(view, "password_hash")


@pytest.mark.parametrize("password", ["short1", "1234567890", "alice"])
def test_register_refuses_weak_passwords_with_details_on_password(
    shop: Shop, password: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        register(shop, password=password)
    assert raised.value.details is not None and raised.value.details["password"]
    assert shop.store.tables.customers == {}


@pytest.mark.parametrize(
    ("username", "email"),
    [("ALICE", "other@example.com"), ("bob", "Alice@Example.COM")],
)
def test_register_refuses_a_taken_username_or_email_whatever_the_case(
    shop: Shop, username: str, email: str
) -> None:
    register(shop)
    with pytest.raises(UsernameOrEmailTaken):
        register(shop, username=username, email=email)
    assert len(shop.store.tables.customers) == 1


def test_authenticate_with_the_right_password(shop: Shop) -> None:
    alice = register(shop)
    assert shop.use.authenticate()(username="alice", password=PASSWORD).id == alice.id


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-pass-1"), ("nobody", PASSWORD)]
)
def test_wrong_password_and_unknown_user_answer_the_same(
    shop: Shop, username: str, password: str
) -> None:
    register(shop)
    with pytest.raises(BadCredentials):
        shop.use.authenticate()(username=username, password=password)


def test_get_profile(shop: Shop) -> None:
    alice = register(shop)
    assert shop.use.get_profile()(customer_id=alice.id) == alice


def test_get_profile_of_an_unknown_account_is_not_found(shop: Shop) -> None:
    with pytest.raises(ProfileNotFound):
        shop.use.get_profile()(customer_id=CustomerId(uuid.uuid4()))


def update(
    shop: Shop, who: CustomerId, target: CustomerId | None = None, **kw: str
) -> CustomerView:
    kw.setdefault("username", "alice")
    kw.setdefault("email", "alice@example.com")
    return shop.use.update_profile()(customer_id=who, target_id=target or who, **kw)


def test_update_profile_changes_every_field(shop: Shop) -> None:
    alice = register(shop)
    view = update(
        shop,
        alice.id,
        username="alicja",
        email="alicja@example.com",
        first_name="Alicja",
        last_name="Nowak",
        phone="+48 600 000 000",
        city="Kraków",
    )
    assert shop.use.get_profile()(customer_id=alice.id) == view
    assert (view.username, view.last_name, view.city) == ("alicja", "Nowak", "Kraków")


def test_update_profile_may_keep_the_own_username_in_another_case(shop: Shop) -> None:
    alice = register(shop)
    assert update(shop, alice.id, username="Alice").username == "Alice"


def test_update_profile_of_another_account_is_not_found(shop: Shop) -> None:
    alice, bob = register(shop), shop.customer("bob")
    with pytest.raises(ProfileNotFound):
        update(shop, alice.id, bob.id, username="bob", email="hacked@example.com")
    assert shop.store.tables.customers[bob.id].email == "bob@example.com"


@pytest.mark.parametrize(
    ("username", "email"), [("BOB", "alice@example.com"), ("alice", "bob@EXAMPLE.com")]
)
def test_update_profile_to_another_accounts_name_or_email_is_refused(
    shop: Shop, username: str, email: str
) -> None:
    alice = register(shop)
    shop.customer("bob")
    with pytest.raises(UsernameOrEmailTaken):
        update(shop, alice.id, username=username, email=email)
    assert shop.store.tables.customers[alice.id].username == "alice"


def change_password(
    shop: Shop, who: CustomerId, target: CustomerId | None = None, **kw: str
) -> None:
    kw.setdefault("username", "alice")
    kw.setdefault("old_password", PASSWORD)
    kw.setdefault("password", "new-secret-42")
    shop.use.change_password()(customer_id=who, target_id=target or who, **kw)


def test_change_password_replaces_the_old_one(shop: Shop) -> None:
    alice = register(shop)
    change_password(shop, alice.id)
    assert shop.use.authenticate()(username="alice", password="new-secret-42").id == alice.id
    with pytest.raises(BadCredentials):
        shop.use.authenticate()(username="alice", password=PASSWORD)


@pytest.mark.parametrize(
    "wrong", [{"old_password": "not-the-password"}, {"username": "someone-else"}]
)
def test_change_password_with_wrong_credentials_is_refused(
    shop: Shop, wrong: dict[str, str]
) -> None:
    alice = register(shop)
    with pytest.raises(BadCredentials):
        change_password(shop, alice.id, **wrong)
    assert shop.use.authenticate()(username="alice", password=PASSWORD).id == alice.id


def test_change_password_to_a_weak_one_is_refused(shop: Shop) -> None:
    alice = register(shop)
    with pytest.raises(ValidationFailed) as raised:
        change_password(shop, alice.id, password="123")
    assert raised.value.details is not None and raised.value.details["password"]
    assert shop.use.authenticate()(username="alice", password=PASSWORD).id == alice.id


def test_change_password_of_another_account_is_not_found(shop: Shop) -> None:
    alice, bob = register(shop), shop.customer("bob")
    with pytest.raises(ProfileNotFound):
        change_password(shop, alice.id, bob.id, username="bob")
    assert shop.use.authenticate()(username="bob", password=PASSWORD).id == bob.id

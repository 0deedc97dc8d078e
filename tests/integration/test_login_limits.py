"""Everything that tries a password counts against the login limits, and every spelling
of an account is that one account: the admin's login page and the password change are
throttled like `POST /api/login`; look-alike usernames share one account, one counter,
and cannot be registered twice, not even concurrently.

test_login_limits_in_redis.py runs these again with the cache, sessions and users in
Redis, as production runs."""

# Look-alike letters are what these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import unicodedata
import uuid
from importlib import import_module
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from shop_domain.customer import fold_username
from tests.integration.conftest import PASSWORD, Api, error_of, race

WRONG = "Wrong-Passw0rd-1"
NEW_PASSWORD = "An0ther-Lengthy-Secret!"


def name(prefix: str = "lim") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def registered(api: Api, username: str) -> str:
    """Register `username` (with an ASCII e-mail of its own); its uuid."""
    body = {"username": username, "password": PASSWORD, "email": f"{uuid.uuid4().hex}@ex.io"}
    response = api.post("/api/register", body)
    assert response.status_code == 201, response.content
    api.username = username
    return str(response.json()["uuid"])


def staff_account(api: Api) -> str:
    username = name("boss")
    registered(api, username)
    get_user_model().objects.filter(username=username).update(is_staff=True)
    return username


def admin_login(client: Client, username: str, password: str, **headers: Any) -> Any:
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **headers
    )


def logged_in_to_admin(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


# --- item 2: one folding for look-up, uniqueness and the throttle ----------------------


@pytest.mark.parametrize(
    ("plain", "look_alike"),
    [
        ("rt_{}_is_x", "rt_{}_ıs_x"),  # dotless i (PostgreSQL's UPPER() made it I)
        ("rt_{}_ss_x", "RT_{}_ſS_X"),  # long s
        ("rt_{}_fi_x", "rt_{}_ﬁ_x"),  # ligature
    ],
)
def test_a_look_alike_spelling_logs_in_to_the_account_and_shares_its_counter(
    new_api: Any, plain: str, look_alike: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    owner = new_api()
    uid = registered(owner, plain.format(tag))
    spelling = look_alike.format(tag)

    attacker = new_api()
    assert attacker.login(username=spelling).json()["user"] == uid  # the one account
    for _ in range(5):
        assert error_of(attacker.login(username=spelling, password=WRONG)) == (404, 3001)

    # The owner's counter is the one the look-alike filled: even the right password waits.
    assert error_of(new_api().login(username=plain.format(tag))) == (429, 3004)


def test_a_full_width_spelling_counts_against_the_ascii_account(new_api: Any) -> None:
    owner = new_api()
    plain = name("fw")
    registered(owner, plain)
    full_width = unicodedata.normalize("NFC", "".join(chr(ord(c) + 0xFEE0) for c in plain))
    for _ in range(5):
        new_api().login(username=full_width, password=WRONG)

    assert error_of(new_api().login(username=plain)) == (429, 3004)


@pytest.mark.parametrize(
    ("first", "second"),
    [("dup_{}_is", "DUP_{}_ıS"), ("dup_{}_ss", "dup_{}_ſs"), ("dup_{}_fix", "dup_{}_ﬁx")],
)
def test_a_look_alike_of_a_registered_name_is_409(anon: Api, first: str, second: str) -> None:
    tag = uuid.uuid4().hex[:6]
    registered(anon, first.format(tag))
    body = {"username": second.format(tag), "password": PASSWORD, "email": f"{tag}@other.io"}

    assert error_of(anon.post("/api/register", body)) == (409, 2001)
    assert (
        get_user_model().objects.filter(username_key=fold_username(first.format(tag))).count() == 1
    )


def test_renaming_onto_a_look_alike_of_another_account_is_409(new_api: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    registered(new_api(), f"ren_{tag}_ss")
    me = new_api()
    uid = registered(me, name("ren"))
    assert me.login().status_code == 200
    body = {"username": f"REN_{tag}_ſS", "email": f"{tag}@mine.io"}

    assert error_of(me.put(f"/api/profile/{uid}", body)) == (409, 2001)
    assert me.get("/api/profile").json()["results"][0]["username"] == me.username


def test_renaming_oneself_to_another_spelling_of_ones_name_is_fine(customer: Api) -> None:
    body = {"username": customer.username.upper(), "email": f"{uuid.uuid4().hex}@mine.io"}

    response = customer.put(f"/api/profile/{customer.user_id}", body)

    assert response.status_code == 200
    assert response.json()["username"] == customer.username.upper()


def test_a_username_whose_folded_form_is_too_long_is_400(anon: Api) -> None:
    body = {"username": "ﷺ" * 20, "password": PASSWORD, "email": "long@ex.io"}

    assert error_of(anon.post("/api/register", body)) == (400, 1000)


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_the_migration_folds_as_the_domain_does(text: str) -> None:
    # 0004 keeps a frozen copy of the folding: today it must agree with the domain's.
    frozen = import_module("adapters.persistence.migrations.0004_customer_username_key")
    assert frozen._fold(text) == fold_username(text)


# --- item 3: the database decides, even for concurrent registrations --------------------

ROUNDS = 12


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_name_registered_concurrently_in_two_spellings_makes_one_account(
    postgres_only: Any, seen_bodies: list[tuple[str, str]], round_: int
) -> None:
    tag = uuid.uuid4().hex[:6]
    spellings = (
        [f"race_{tag}_is", f"RACE_{tag}_ıS"] if round_ % 2 else [f"race_{tag}_ss", f"race_{tag}_ſs"]
    )
    clients = [Api(seen_bodies) for _ in spellings]
    for client in clients:
        client.csrf()

    def register(client: Api, username: str) -> Any:
        body = {"username": username, "password": PASSWORD, "email": f"{uuid.uuid4().hex}@r.io"}
        return client.post("/api/register", body)

    results = race(
        *[lambda c=c, u=u: register(c, u) for c, u in zip(clients, spellings, strict=True)]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    outcomes = sorted(r.status_code for r in results)
    assert outcomes == [201, 409], [r.content for r in results]
    assert [error_of(r) for r in results if r.status_code == 409] == [(409, 2001)]
    assert get_user_model().objects.filter(username__in=spellings).count() == 1


# --- item 1: the admin's login page --------------------------------------------------------


def test_the_admin_login_is_throttled_like_the_api_login(new_api: Any) -> None:
    staff = staff_account(new_api())
    browser = Client()
    for _ in range(5):
        failed = admin_login(browser, staff, WRONG)
        assert failed.status_code == 200 and not logged_in_to_admin(browser)

    refused = admin_login(browser, staff, WRONG)
    right = admin_login(browser, staff, PASSWORD)

    for response in (refused, right):
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "Too many failed login attempts" in response.content.decode()
    assert not logged_in_to_admin(browser)
    assert error_of(new_api().login(username=staff)) == (429, 3004)  # the same counter


def test_api_login_failures_lock_the_admin_login_too(new_api: Any) -> None:
    staff = staff_account(new_api())
    api = new_api()
    for _ in range(5):
        api.login(username=staff, password=WRONG)
    browser = Client()

    response = admin_login(browser, staff, PASSWORD)

    assert response.status_code == 429
    assert not logged_in_to_admin(browser)
    assert Client().get("/api/admin/products").status_code == 403


def test_admin_login_by_another_spelling_of_the_staff_name_works_and_resets(new_api: Any) -> None:
    staff = staff_account(new_api())
    browser = Client()
    for _ in range(4):
        admin_login(browser, staff.upper(), WRONG)

    ok = admin_login(browser, staff.upper(), PASSWORD)

    assert ok.status_code == 302 and logged_in_to_admin(browser)
    assert browser.get("/api/admin/products").status_code == 200
    for _ in range(4):  # the success reset the account's counter
        admin_login(Client(), staff, WRONG)
    assert new_api().login(username=staff).status_code == 200


def test_the_admin_login_counts_per_client_address_as_the_api_does(
    new_api: Any, settings: Any
) -> None:
    settings.SHOP = {**settings.SHOP, "login_limit_per_address": 3, "trusted_proxies": 1}
    staff = staff_account(new_api())
    attacker = {"HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.9"}  # the proxy saw .9
    for _ in range(3):
        assert admin_login(Client(), name("ghost"), WRONG, **attacker).status_code == 200

    forged_left = {"HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.9"}
    elsewhere = {"HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.10"}
    assert admin_login(Client(), staff, PASSWORD, **forged_left).status_code == 429
    api = new_api()
    api.csrf()
    throttled = api.post(
        "/api/login", {"username": staff, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert error_of(throttled) == (429, 3004)
    assert admin_login(Client(), staff, PASSWORD, **elsewhere).status_code == 302


def test_a_non_staff_password_guess_on_the_admin_counts_as_a_failure(new_api: Any) -> None:
    api = new_api()
    username = name("cust")
    registered(api, username)
    for _ in range(5):  # the right password of a customer: still not an admin login
        assert admin_login(Client(), username, PASSWORD).status_code == 200

    assert admin_login(Client(), username, PASSWORD).status_code == 429


def test_the_admin_login_page_itself_still_shows(db: Any) -> None:
    assert Client().get("/admin/login/?next=/admin/").status_code == 200


# --- item 6: the password change's old password -----------------------------------------


def change_body(api: Api, old: str, new: str = NEW_PASSWORD) -> dict[str, str]:
    return {"username": api.username, "old_password": old, "password": new}


def test_wrong_old_passwords_are_throttled_like_logins(customer: Api, new_api: Any) -> None:
    path = f"/api/profile/{customer.user_id}/setpassword"
    for _ in range(5):
        assert error_of(customer.put(path, change_body(customer, WRONG))) == (404, 3001)

    refused = customer.put(path, change_body(customer, WRONG))
    right = customer.put(path, change_body(customer, PASSWORD))

    for response in (refused, right):
        assert error_of(response) == (429, 3004)
        assert int(response["Retry-After"]) > 0
    assert error_of(new_api().login(username=customer.username)) == (429, 3004)
    assert error_of(new_api().login(username=customer.username, password=NEW_PASSWORD)) == (
        429,
        3004,
    ), "the right old password changed nothing while throttled"
    assert customer.get("/api/profile").status_code == 200  # this session is still in


def test_failed_logins_throttle_the_password_change(customer: Api, new_api: Any) -> None:
    for _ in range(5):
        new_api().login(username=customer.username, password=WRONG)

    response = customer.put(
        f"/api/profile/{customer.user_id}/setpassword", change_body(customer, PASSWORD)
    )

    assert error_of(response) == (429, 3004)


def test_wrong_old_passwords_count_per_client_address(
    customer: Api, new_api: Any, settings: Any
) -> None:
    settings.SHOP = {**settings.SHOP, "login_limit_per_address": 3}
    path = f"/api/profile/{customer.user_id}/setpassword"
    for _ in range(3):
        customer.put(path, change_body(customer, WRONG))

    # Another account, same client address: throttled by the address counter.
    assert error_of(new_api().login(username=name("ghost"))) == (429, 3004)


def test_a_right_password_change_resets_the_account_counter(customer: Api, new_api: Any) -> None:
    path = f"/api/profile/{customer.user_id}/setpassword"
    for _ in range(4):
        customer.put(path, change_body(customer, WRONG))
    assert customer.put(path, change_body(customer, PASSWORD)).status_code == 200
    for _ in range(4):
        new_api().login(username=customer.username, password=WRONG)

    assert new_api().login(username=customer.username, password=NEW_PASSWORD).status_code == 200


def test_the_backfill_keeps_the_oldest_of_two_look_alike_accounts(db: Any) -> None:
    # Two spellings registered before the rule (as the old lower() index allowed).
    from datetime import timedelta

    from django.apps import apps
    from django.utils import timezone

    frozen = import_module("adapters.persistence.migrations.0004_customer_username_key")
    users = get_user_model().objects
    tag = uuid.uuid4().hex[:6]
    older = users.create_user(f"bf_{tag}_ss", f"{tag}-1@ex.io", PASSWORD)
    newer = users.create_user(f"bf_{tag}_other", f"{tag}-2@ex.io", PASSWORD)
    users.filter(pk=older.pk).update(username_key=None, date_joined=timezone.now() - timedelta(1))
    users.filter(pk=newer.pk).update(username=f"BF_{tag}_ſS", username_key=None)

    frozen.backfill(apps, None)

    assert users.get(pk=older.pk).username_key == f"bf_{tag}_ss"
    assert users.get(pk=newer.pk).username_key is None  # set aside: cannot log in by name
    assert Api([]).login(username=f"BF_{tag}_ſS").json()["user"] == str(older.pk)

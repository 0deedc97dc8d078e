"""Accounts over HTTP: CSRF cookie, register, login (and its throttle), logout, profile,
password change. Every error is checked by status and contract code."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.conftest import PASSWORD, Api, error_of

PROFILE_FIELDS = {"uuid", "username", "first_name", "last_name", "email", "phone", "city"}
NEW_PASSWORD = "An0ther-Lengthy-Secret!"


def unique(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def register_body(username: str | None = None, **extra: Any) -> dict[str, Any]:
    username = username or unique()
    return {"username": username, "password": PASSWORD, "email": f"{username}@example.com", **extra}


# --- CSRF -----------------------------------------------------------------------------


def test_csrf_route_sets_the_cookie_and_returns_the_token(anon: Api) -> None:
    response = anon.get("/api/csrf")

    assert response.status_code == 200
    assert set(response.json()) == {"csrftoken"}
    cookie = anon.client.cookies["csrftoken"].value
    assert cookie
    # The token is masked differently each time, but it is accepted as the header.
    token = response.json()["csrftoken"]
    answer = anon.post("/api/register", register_body(), csrf=token)
    assert answer.status_code == 201, answer.content


# --- register -----------------------------------------------------------------------


def test_register_answers_201_with_exactly_the_public_fields(anon: Api) -> None:
    body = register_body(first_name="Ala")

    response = anon.post("/api/register", body)

    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"uuid", "username", "first_name", "email"}
    assert uuid.UUID(data["uuid"])
    assert data["username"] == body["username"]
    assert data["email"] == body["email"]
    assert data["first_name"] == "Ala"


def test_register_does_not_log_in(anon: Api) -> None:
    anon.post("/api/register", register_body())

    assert error_of(anon.get("/api/profile")) == (403, 3002)


@pytest.mark.parametrize("missing", ["username", "password", "email"])
def test_register_without_a_required_field_is_400_naming_it(anon: Api, missing: str) -> None:
    body = register_body()
    del body[missing]

    response = anon.post("/api/register", body)

    assert error_of(response) == (400, 1000)
    assert missing in response.json()["details"]


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com", ""])
def test_register_with_an_invalid_email_is_400(anon: Api, email: str) -> None:
    response = anon.post("/api/register", register_body(email=email))

    assert error_of(response) == (400, 1000)
    assert "email" in response.json()["details"]


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1!x", "too short"),
        ("password123", "too common"),
        ("8204719365", "entirely numeric"),
        (None, "too similar to the username"),
    ],
)
def test_register_with_a_weak_password_is_400_naming_the_password(
    anon: Api, password: str | None, why: str
) -> None:
    username = "marianne_kowalska"
    body = register_body(username, password=password or "marianne_kowalska1")

    response = anon.post("/api/register", body)

    assert error_of(response) == (400, 1000), why
    details = response.json()["details"]
    assert "password" in details
    assert details["password"], why


def test_register_with_a_taken_username_in_any_case_is_409(anon: Api) -> None:
    name = unique("Ala")
    anon.register(name)

    again = anon.post("/api/register", register_body(name.upper(), email=f"x{name}@example.org"))

    assert error_of(again) == (409, 2001)


def test_register_with_a_taken_email_in_any_case_is_409(anon: Api) -> None:
    first = anon.register()

    again = anon.post("/api/register", register_body(unique(), email=first["email"].upper()))

    assert error_of(again) == (409, 2001)


# --- login ----------------------------------------------------------------------------


def test_login_answers_ok_with_the_registered_uuid(anon: Api) -> None:
    registered = anon.register()

    response = anon.login()

    assert response.status_code == 200
    # Part 2: the login answer also says what merging the guest bucket did (nothing).
    assert response.json() == {"status": "OK", "user": registered["uuid"], "bucket_merge": []}
    assert anon.client.cookies["sessionid"].value


def test_login_rotates_the_session_key_and_the_csrf_token(new_api: Any) -> None:
    api = new_api()
    api.register()
    assert api.login().status_code == 200
    session_before = api.client.cookies["sessionid"].value
    csrf_before = api.client.cookies["csrftoken"].value

    assert api.login().status_code == 200

    assert api.client.cookies["sessionid"].value != session_before
    assert api.client.cookies["csrftoken"].value != csrf_before
    # The rotated token is the one that works now.
    assert api.get("/api/profile").status_code == 200
    stale = api.put(
        f"/api/profile/{api.user_id}",
        {"username": api.username, "email": f"{api.username}@example.com"},
        csrf=csrf_before,
    )
    assert error_of(stale) == (403, 3003)


def test_login_as_someone_else_on_the_same_client_gets_a_fresh_session(
    customer: Api, other: Api
) -> None:
    session_before = customer.client.cookies["sessionid"].value

    response = customer.login(username=other.username)

    assert response.json()["user"] == other.user_id
    assert customer.client.cookies["sessionid"].value != session_before
    assert customer.get("/api/profile").json()["results"][0]["uuid"] == other.user_id


def test_login_sets_a_csrf_cookie_different_from_the_anonymous_one(anon: Api) -> None:
    anon.register()
    anonymous_token = anon.client.cookies["csrftoken"].value

    assert anon.login().status_code == 200

    assert anon.client.cookies["csrftoken"].value != anonymous_token


def test_wrong_password_and_unknown_user_get_the_same_404(anon: Api) -> None:
    anon.register()

    wrong = anon.login(password="Not-The-Passw0rd")
    unknown = anon.login(username=unique("ghost"))

    assert error_of(wrong) == (404, 3001)
    assert error_of(unknown) == (404, 3001)
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize("missing", ["username", "password"])
def test_login_without_a_field_is_400(anon: Api, missing: str) -> None:
    body = {"username": "somebody", "password": PASSWORD}
    del body[missing]

    response = anon.post("/api/login", body)

    assert error_of(response) == (400, 1000)
    assert missing in response.json()["details"]


def test_five_failures_for_one_username_throttle_even_the_right_password(anon: Api) -> None:
    anon.register()
    for _ in range(5):
        assert error_of(anon.login(password="Wrong-Passw0rd")) == (404, 3001)

    throttled = anon.login(password="Wrong-Passw0rd")
    right = anon.login()

    assert error_of(throttled) == (429, 3004)
    assert int(throttled["Retry-After"]) > 0
    assert error_of(right) == (429, 3004)
    assert int(right["Retry-After"]) > 0


def test_the_username_counter_ignores_case(anon: Api) -> None:
    anon.register()
    for attempt in range(5):
        name = anon.username.upper() if attempt % 2 else anon.username
        anon.login(username=name, password="Wrong-Passw0rd")

    assert error_of(anon.login()) == (429, 3004)


def test_throttling_one_username_leaves_another_alone(anon: Api, new_api: Any) -> None:
    anon.register()
    for _ in range(5):
        anon.login(password="Wrong-Passw0rd")
    bystander = new_api()
    bystander.register()

    assert bystander.login().status_code == 200


def test_a_success_before_the_limit_resets_the_username_counter(anon: Api) -> None:
    anon.register()
    for _ in range(4):
        assert error_of(anon.login(password="Wrong-Passw0rd")) == (404, 3001)
    assert anon.login().status_code == 200

    for _ in range(4):
        assert error_of(anon.login(password="Wrong-Passw0rd")) == (404, 3001)

    assert anon.login().status_code == 200


def test_failures_from_one_address_are_throttled_across_usernames(anon: Api, settings: Any) -> None:
    settings.SHOP = {**settings.SHOP, "login_limit_per_address": 3}
    anon.register()
    for _ in range(3):
        assert error_of(anon.login(username=unique("ghost"))) == (404, 3001)

    response = anon.login()

    assert error_of(response) == (429, 3004)
    assert "Retry-After" in response


# --- logout ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_logout_ends_the_session_server_side(customer: Api, new_api: Any, method: str) -> None:
    old_session = customer.client.cookies["sessionid"].value
    assert customer.get("/api/profile").status_code == 200

    response = customer.get("/api/logout") if method == "GET" else customer.post("/api/logout")

    assert response.status_code == 200
    assert response.json() == {"status": "OK", "message": "user logout"}
    assert error_of(customer.get("/api/profile")) == (403, 3002)
    replay = new_api()
    replay.client.cookies["sessionid"] = old_session
    assert error_of(replay.get("/api/profile")) == (403, 3002)


def test_logout_without_a_session_is_ok(anon: Api) -> None:
    response = anon.get("/api/logout")

    assert response.status_code == 200
    assert response.json() == {"status": "OK", "message": "user logout"}


# --- profile --------------------------------------------------------------------------


def test_profile_needs_login(anon: Api) -> None:
    assert error_of(anon.get("/api/profile")) == (403, 3002)


def test_profile_is_a_page_with_exactly_one_result(new_api: Any) -> None:
    api = new_api()
    registered = api.register(first_name="Ola")
    api.login()

    response = api.get("/api/profile")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 1
    assert data["next"] is None and data["previous"] is None
    (me,) = data["results"]
    assert set(me) == PROFILE_FIELDS
    assert me["uuid"] == registered["uuid"] == api.user_id
    assert me["username"] == api.username
    assert me["first_name"] == "Ola"
    assert me["email"] == registered["email"]
    assert me["last_name"] == me["phone"] == me["city"] == ""


def test_profile_rejects_unknown_query_parameters(customer: Api) -> None:
    assert error_of(customer.get("/api/profile", sort="x")) == (400, 1000)


def profile_body(api: Api, **changes: Any) -> dict[str, Any]:
    return {"username": api.username, "email": f"{api.username}@example.com", **changes}


def test_put_profile_updates_and_answers_the_profile(customer: Api) -> None:
    body = profile_body(
        customer,
        username=unique("renamed"),
        email="New.Address@example.com",
        first_name="Jan",
        last_name="Nowak",
        phone="+48 600 100 200",
        city="Kraków",
    )

    response = customer.put(f"/api/profile/{customer.user_id}", body)

    assert response.status_code == 200
    data = response.json()
    assert set(data) == PROFILE_FIELDS
    assert data == {"uuid": customer.user_id, **body}
    assert customer.get("/api/profile").json()["results"] == [data]


def test_put_profile_username_change_is_the_new_login(customer: Api, new_api: Any) -> None:
    renamed = unique("renamed")
    customer.put(f"/api/profile/{customer.user_id}", profile_body(customer, username=renamed))

    again = new_api()
    assert again.login(username=renamed).status_code == 200
    assert error_of(again.login(username=customer.username)) == (404, 3001)


@pytest.mark.parametrize("missing", ["username", "email"])
def test_put_profile_without_a_required_field_is_400(customer: Api, missing: str) -> None:
    body = profile_body(customer)
    del body[missing]

    response = customer.put(f"/api/profile/{customer.user_id}", body)

    assert error_of(response) == (400, 1000)
    assert missing in response.json()["details"]


def test_put_profile_with_an_invalid_email_is_400(customer: Api) -> None:
    response = customer.put(
        f"/api/profile/{customer.user_id}", profile_body(customer, email="nope")
    )

    assert error_of(response) == (400, 1000)
    assert "email" in response.json()["details"]


def test_put_profile_of_another_customer_is_404_and_changes_nothing(
    customer: Api, other: Api
) -> None:
    response = customer.put(f"/api/profile/{other.user_id}", profile_body(other, city="Gdańsk"))

    assert error_of(response) == (404, 1004)
    assert other.get("/api/profile").json()["results"][0]["city"] == ""


def test_put_profile_of_an_unknown_uuid_is_the_same_404(customer: Api, other: Api) -> None:
    unknown = customer.put(f"/api/profile/{uuid.uuid4()}", profile_body(customer))
    someone_elses = customer.put(f"/api/profile/{other.user_id}", profile_body(customer))

    assert error_of(unknown) == (404, 1004)
    assert unknown.json() == someone_elses.json()


def test_put_profile_with_a_non_uuid_is_404_route_not_found(customer: Api) -> None:
    response = customer.put("/api/profile/12345", profile_body(customer))

    assert error_of(response) == (404, 1004)


@pytest.mark.parametrize("field", ["username", "email"])
def test_put_profile_colliding_with_another_account_is_409(
    customer: Api, other: Api, field: str
) -> None:
    taken = {"username": other.username.upper(), "email": f"{other.username}@EXAMPLE.com"}

    response = customer.put(
        f"/api/profile/{customer.user_id}", profile_body(customer, **{field: taken[field]})
    )

    assert error_of(response) == (409, 2001)


def test_put_profile_keeping_ones_own_username_and_email_is_fine(customer: Api) -> None:
    response = customer.put(
        f"/api/profile/{customer.user_id}",
        profile_body(customer, email=f"{customer.username}@EXAMPLE.COM"),
    )

    assert response.status_code == 200


def test_put_profile_needs_login(anon: Api, customer: Api) -> None:
    assert error_of(anon.put(f"/api/profile/{customer.user_id}", profile_body(customer))) == (
        403,
        3002,
    )


# --- set password ----------------------------------------------------------------------


def password_body(api: Api, **changes: Any) -> dict[str, Any]:
    return {"username": api.username, "old_password": PASSWORD, "password": NEW_PASSWORD, **changes}


def test_setpassword_changes_it_and_only_the_new_one_logs_in(customer: Api, new_api: Any) -> None:
    response = customer.put(f"/api/profile/{customer.user_id}/setpassword", password_body(customer))

    assert response.status_code == 200
    assert response.json() == {"status": "OK", "message": "password changed"}
    fresh = new_api()
    assert error_of(fresh.login(username=customer.username)) == (404, 3001)
    assert fresh.login(username=customer.username, password=NEW_PASSWORD).status_code == 200


def test_setpassword_keeps_this_session_and_logs_out_the_others(new_api: Any) -> None:
    here = new_api()
    here.register()
    assert here.login().status_code == 200
    elsewhere = new_api()
    assert elsewhere.login(username=here.username).status_code == 200
    assert elsewhere.get("/api/profile").status_code == 200

    response = here.put(f"/api/profile/{here.user_id}/setpassword", password_body(here))

    assert response.status_code == 200
    assert here.get("/api/profile").status_code == 200
    assert error_of(elsewhere.get("/api/profile")) == (403, 3002)


def test_setpassword_with_a_wrong_old_password_is_404(customer: Api, new_api: Any) -> None:
    response = customer.put(
        f"/api/profile/{customer.user_id}/setpassword",
        password_body(customer, old_password="Not-The-Passw0rd"),
    )

    assert error_of(response) == (404, 3001)
    assert new_api().login(username=customer.username).status_code == 200


def test_setpassword_with_another_username_is_404(customer: Api, other: Api) -> None:
    response = customer.put(
        f"/api/profile/{customer.user_id}/setpassword",
        password_body(customer, username=other.username),
    )

    assert error_of(response) == (404, 3001)


@pytest.mark.parametrize("weak", ["short1!", "password123", "50918273645"])
def test_setpassword_with_a_weak_new_password_is_400(
    customer: Api, new_api: Any, weak: str
) -> None:
    response = customer.put(
        f"/api/profile/{customer.user_id}/setpassword", password_body(customer, password=weak)
    )

    assert error_of(response) == (400, 1000)
    assert "password" in response.json()["details"]
    assert new_api().login(username=customer.username).status_code == 200


def test_setpassword_to_something_like_the_username_is_400(customer: Api) -> None:
    response = customer.put(
        f"/api/profile/{customer.user_id}/setpassword",
        password_body(customer, password=customer.username + "!"),
    )

    assert error_of(response) == (400, 1000)
    assert "password" in response.json()["details"]


@pytest.mark.parametrize("missing", ["username", "old_password", "password"])
def test_setpassword_without_a_field_is_400(customer: Api, missing: str) -> None:
    body = password_body(customer)
    del body[missing]

    response = customer.put(f"/api/profile/{customer.user_id}/setpassword", body)

    assert error_of(response) == (400, 1000)
    assert missing in response.json()["details"]


def test_setpassword_of_another_customer_is_404(customer: Api, other: Api) -> None:
    response = customer.put(f"/api/profile/{other.user_id}/setpassword", password_body(other))

    assert error_of(response) == (404, 1004)
    assert other.get("/api/profile").status_code == 200


def test_setpassword_needs_login(anon: Api, customer: Api) -> None:
    response = anon.put(f"/api/profile/{customer.user_id}/setpassword", password_body(customer))

    assert error_of(response) == (403, 3002)

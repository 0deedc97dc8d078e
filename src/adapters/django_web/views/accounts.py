"""Accounts: CSRF cookie, register, log in and out, profile, password."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model, login, logout, update_session_auth_hash
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.middleware.csrf import get_token
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.guest_limits import take_guest_bucket
from adapters.django_web.presenters import bucket_merge_json, profile_json, registered_json
from adapters.django_web.quick_check import validated
from adapters.django_web.throttling import login_throttle
from adapters.django_web.views.base import PublicView, ShopView, client_address
from shop_domain.errors import BadCredentials
from shop_domain.ids import CustomerId

username_field = {"max_length": 150, "validators": [UnicodeUsernameValidator()]}


class CsrfView(PublicView):
    @schema.operation("csrf", (200, schema.Csrf), access="public")
    def get(self, request: Request) -> Response:
        return Response({"csrftoken": get_token(request._request)})


class RegisterView(PublicView):
    class Input(serializers.Serializer):
        username = serializers.CharField(**username_field)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        email = serializers.EmailField(max_length=254)
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    @schema.operation(
        "register",
        (201, schema.Registered),
        {
            400: "1000 validation error (password validators, invalid email)",
            409: "2001 email/username already used",
        },
        request=Input,
        name="Register",
        access="public",
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        customer = self.use.register_customer()(**data)
        return Response(registered_json(customer), status=201)


class LoginView(PublicView):
    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @schema.operation(
        "login",
        (200, schema.LoggedIn),
        {
            400: "1000 validation error",
            404: "3001 user or password not match",
            429: "3004 too many attempts",
        },
        request=Input,
        name="Login",
        access="public",
        description="Sets the session cookie; rotates the session key and the CSRF token; "
        "merges the session's guest bucket into the customer's (bucket_merge).",
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        throttle, address = login_throttle(), client_address(request)
        throttle.check(data["username"], address)
        try:
            customer = self.use.authenticate()(**data)
        except BadCredentials:
            throttle.failed(data["username"], address)
            raise
        throttle.succeeded(data["username"])
        user = get_user_model().objects.get(pk=customer.id)
        # The guest bucket goes with the session key it came with: merged once, however
        # many tabs of this session log in at once (the use case locks it).
        guest_id = take_guest_bucket(request._request)
        merged = (
            self.use.merge_guest_bucket()(guest_id=guest_id, customer_id=customer.id)
            if guest_id is not None
            else []
        )
        session = request._request.session
        old_key = session.session_key
        login(request._request, user)  # new session key and new CSRF token
        if old_key and session.session_key == old_key:
            session.cycle_key()  # Django keeps the key when the same user logs in again
        return Response(
            {
                "status": "OK",
                "user": str(customer.id),
                "bucket_merge": [bucket_merge_json(m) for m in merged],
            }
        )


class LogoutView(PublicView):
    @schema.operation(
        {"GET": "logout", "POST": "logout_post"}, (200, schema.StatusMessage), access="public"
    )
    def get(self, request: Request) -> Response:
        logout(request._request)  # the session is deleted server-side
        return Response({"status": "OK", "message": "user logout"})

    post = get


class ProfileView(ShopView):
    @schema.operation(
        "profile", (200, schema.ProfilePage), {400: "1000 bad query"}, parameters=schema.PAGING
    )
    def get(self, request: Request) -> Response:
        params = paging.query(request)
        asked = paging.page_request(params)
        me = self.use.get_profile()(customer_id=self.customer_id(request))
        page = paging.Page([me] if asked.page == 1 else [], 1)
        return Response(paging.envelope(request, page, asked, profile_json))


class UpdateProfileView(ShopView):
    class Input(serializers.Serializer):
        username = serializers.CharField(**username_field)
        email = serializers.EmailField(max_length=254)
        first_name = serializers.CharField(
            max_length=150, required=False, default="", allow_blank=True
        )
        last_name = serializers.CharField(
            max_length=150, required=False, default="", allow_blank=True
        )
        phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
        city = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)

    @schema.operation(
        "profile_update",
        (200, schema.Profile),
        {
            400: "1000 validation error",
            404: "1004 not the caller's profile",
            409: "2001 email/username already used",
        },
        request=Input,
        name="ProfileUpdate",
    )
    def put(self, request: Request, customer_id: UUID) -> Response:
        data = validated(self.Input, request.data)
        profile = self.use.update_profile()(
            customer_id=self.customer_id(request), target_id=CustomerId(customer_id), **data
        )
        return Response(profile_json(profile))


class ChangePasswordView(ShopView):
    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        old_password = serializers.CharField(max_length=128, trim_whitespace=False)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @schema.operation(
        "profile_set_password",
        (200, schema.StatusMessage),
        {
            400: "1000 validation error",
            404: "3001 user or password not match; 1004 not the caller's profile",
            429: "3004 too many attempts",
        },
        request=Input,
        name="PasswordChange",
        description="This session stays logged in; every other session of the user is logged out.",
    )
    def put(self, request: Request, customer_id: UUID) -> Response:
        data = validated(self.Input, request.data)
        # A wrong old password is a guess at the account's password, as a failed login
        # is: the same counters (the account's and the client address's), the same 429.
        throttle, address = login_throttle(), client_address(request)
        account = request.user.get_username()
        throttle.check(account, address)
        try:
            self.use.change_password()(
                customer_id=self.customer_id(request), target_id=CustomerId(customer_id), **data
            )
        except BadCredentials:
            throttle.failed(account, address)
            raise
        throttle.succeeded(account)
        # A fresh row: request.user may be a cached stand-in without the password.
        user: Any = get_user_model().objects.get(pk=request.user.pk)
        # This session follows the new hash; every other session of the user is now invalid.
        update_session_auth_hash(request._request, user)
        return Response({"status": "OK", "message": "password changed"})

"""The base views (who may call a route) and the caller's address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from adapters.django_web.containers import use_cases
from shop_app.containers import UseCases
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

"""The address guard: deliveries go to ``https`` URLs (plain ``http`` only with
SHOP_WEBHOOK_ALLOW_HTTP=1) whose host resolves to public addresses only (private,
loopback, link-local and other special ranges only with SHOP_WEBHOOK_ALLOW_PRIVATE=1).

Checked when an endpoint is registered or changed, and again at every delivery: DNS can
change in between, so the sender resolves once, checks, and connects to the address it
checked (never resolving again)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from shop_domain.errors import WebhookAddressRefused

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _special(ip: IP) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def webhook_settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.SHOP.get("webhooks", {}))


class Target:
    """Where to connect: the URL's parts and the checked address."""

    def __init__(self, scheme: str, host: str, port: int, address: str | None):
        self.scheme, self.host, self.port, self.address = scheme, host, port, address


class SettingsAddressGuard:
    """The AddressGuard port, reading SHOP_WEBHOOK_ALLOW_* from the settings at each call."""

    def __init__(self, resolver: Resolver | None = None):
        self.resolver = resolver

    def _resolve(self) -> Resolver:
        return self.resolver or RESOLVER["resolve"]

    def check(self, url: str) -> None:
        self.target(url, resolve_strictly=False)

    def target(self, url: str, *, resolve_strictly: bool = True) -> Target:
        """Where ``url`` may be reached, or WebhookAddressRefused. At registration
        (``resolve_strictly=False``) a name that does not resolve yet is accepted; at
        delivery it is an error the caller records."""
        config = webhook_settings()
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise WebhookAddressRefused(details={"url": [f"not a valid URL: {error}"]}) from None
        allowed = {"https", "http"} if config.get("allow_http") else {"https"}
        if parts.scheme not in allowed:
            raise WebhookAddressRefused(details={"url": ["the address must use https"]})
        host = parts.hostname or ""
        if not host:
            raise WebhookAddressRefused(details={"url": ["the address has no host"]})
        if parts.username or parts.password:
            raise WebhookAddressRefused(details={"url": ["no credentials in the address"]})
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = self._resolve()(host, port)
            except (OSError, UnicodeError) as error:
                if resolve_strictly:
                    raise WebhookAddressRefused(
                        f"cannot resolve {host}: {error}", details={"url": ["does not resolve"]}
                    ) from None
                return Target(parts.scheme, host, port, None)
        if not addresses:
            raise WebhookAddressRefused(details={"url": ["does not resolve"]})
        if not config.get("allow_private"):
            refused = [a for a in addresses if _special(ipaddress.ip_address(a))]
            if refused:
                raise WebhookAddressRefused(
                    details={"url": [f"resolves to a private or special address ({refused[0]})"]}
                )
        return Target(parts.scheme, host, port, addresses[0])


# The resolver deliveries use; tests put one of their own here to play a DNS change.
RESOLVER: dict[str, Resolver] = {"resolve": system_resolver}

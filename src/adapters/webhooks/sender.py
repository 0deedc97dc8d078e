"""The HTTP sender: one POST, no redirects followed, SHOP_WEBHOOK_TIMEOUT seconds for
each step (connect, send, each read), to the address the guard checked."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

import attrs
import httpx

from adapters.webhooks.guard import SettingsAddressGuard
from shop_domain.errors import WebhookAddressRefused


@attrs.frozen
class Outcome:
    status_code: int | None
    error: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST ``body`` to ``url``: a 2xx delivers; anything else (a 3xx included) is an
    outcome the caller records as a failure. Never raises for the receiver's faults."""
    try:
        target = SettingsAddressGuard().target(url)
    except WebhookAddressRefused as refused:
        reason = "; ".join((refused.details or {}).get("url", [])) or refused.text
        return Outcome(None, f"address refused: {reason}")
    parts = urlsplit(url)
    address = target.address or target.host
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    default_port = 443 if target.scheme == "https" else 80
    netloc = address if target.port == default_port else f"{address}:{target.port}"
    connect_url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {}
    if target.scheme == "https" and not _is_ip(target.host):
        extensions["sni_hostname"] = target.host  # TLS checks the name, not the address
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(
                connect_url,
                content=body,
                headers={
                    **headers,
                    "Host": host_header,
                    "Content-Type": "application/json",
                    "User-Agent": "shop-webhooks/1",
                },
                extensions=extensions,
            )
    except httpx.TimeoutException:
        return Outcome(None, f"timed out after {timeout:g} s")
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, "")
    if 300 <= response.status_code < 400:
        where = response.headers.get("location", "")
        return Outcome(response.status_code, f"redirect to {where!r} not followed"[:500])
    return Outcome(response.status_code, f"HTTP {response.status_code}")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

"""Login throttling: failures counted per account and per client address in the
shared cache, so every worker and instance sees the same counts. The API's login, the
Django admin's login page and the password change's old-password check all count
against the same limits."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from shop_domain.customer import fold_username
from shop_domain.errors import TooManyAttempts


class LoginThrottle:
    def __init__(self, *, per_username: int, per_address: int, window_seconds: int):
        self.limits = {"u": per_username, "a": per_address}
        self.window = window_seconds

    @staticmethod
    def _key(kind: str, value: str) -> str:
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"login-fail:{kind}:{digest}"

    def _keys(self, username: str, address: str) -> dict[str, str]:
        # The account's counter goes by the folding its look-up uses: every spelling that
        # reaches an account shares its counter.
        return {"u": self._key("u", fold_username(username)), "a": self._key("a", address.lower())}

    def check(self, username: str, address: str) -> None:
        """Refuse while either counter is at its limit, even for the right password."""
        keys = self._keys(username, address)
        found = cache.get_many([k for key in keys.values() for k in (key, key + ":t")])
        for kind, key in keys.items():
            if (found.get(key) or 0) >= self.limits[kind]:
                until = found.get(key + ":t") or time.time() + self.window
                raise TooManyAttempts(retry_after=max(1, int(until - time.time())))

    def failed(self, username: str, address: str) -> None:
        until = time.time() + self.window
        for key in self._keys(username, address).values():
            cache.add(key + ":t", until, timeout=self.window)
            cache.add(key, 0, timeout=self.window)
            try:
                cache.incr(key)  # atomic on Redis: counts hold across workers
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=self.window)

    def succeeded(self, username: str) -> None:
        key = self._key("u", fold_username(username))
        cache.delete_many([key, key + ":t"])


def login_throttle() -> LoginThrottle:
    """The throttle with the configured limits (SHOP_LOGIN_LIMIT_*)."""
    shop = settings.SHOP
    return LoginThrottle(
        per_username=shop["login_limit_per_username"],
        per_address=shop["login_limit_per_address"],
        window_seconds=shop["login_window_seconds"],
    )

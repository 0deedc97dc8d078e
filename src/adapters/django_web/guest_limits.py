"""Guest buckets in the web adapter: which guest bucket a session has, and how many
guest buckets one client address may start an hour (SHOP_GUEST_BUCKETS_PER_HOUR).

The count is kept in the shared cache (Redis in production, as for the login
throttle), so the limit holds across workers and instances: a new guest bucket takes
a slot with one atomic increment before anything else happens, and gives it back if
the first add fails (a refused add starts nothing)."""

from __future__ import annotations

import hashlib
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from shop_domain.errors import TooManyGuestBuckets
from shop_domain.ids import GuestBucketId

SESSION_KEY = "shop_guest_bucket"
WINDOW_SECONDS = 3600


def session_guest_bucket(request: HttpRequest) -> GuestBucketId | None:
    """The guest bucket this (anonymous) session has started, if any."""
    value = request.session.get(SESSION_KEY)
    try:
        return GuestBucketId(uuid.UUID(value)) if value else None
    except (TypeError, ValueError):  # not ours to trust blindly: a bad value is no bucket
        return None


def keep_guest_bucket(request: HttpRequest, guest_id: GuestBucketId) -> None:
    """The session now has this guest bucket (this sets the sessionid cookie)."""
    request.session[SESSION_KEY] = str(guest_id)


def take_guest_bucket(request: HttpRequest) -> GuestBucketId | None:
    """The session's guest bucket, which the session no longer has (login merged it)."""
    found = session_guest_bucket(request)
    request.session.pop(SESSION_KEY, None)
    return found


class GuestBucketThrottle:
    """At most ``per_hour`` new guest buckets per client address an hour."""

    def __init__(self, *, per_hour: int, window_seconds: int = WINDOW_SECONDS):
        self.per_hour, self.window = per_hour, window_seconds

    @staticmethod
    def _key(address: str) -> str:
        return "guest-buckets:" + hashlib.sha256(address.lower().encode()).hexdigest()[:32]

    def start(self, address: str) -> None:
        """Take a slot for a new guest bucket, or raise TooManyGuestBuckets (429/1047)."""
        key = self._key(address)
        cache.add(key + ":t", time.time() + self.window, timeout=self.window)
        cache.add(key, 0, timeout=self.window)
        try:
            count = cache.incr(key)  # atomic on Redis: counts hold across instances
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window)
            count = 1
        if count > self.per_hour:
            self.give_back(address)
            until = cache.get(key + ":t") or time.time() + self.window
            raise TooManyGuestBuckets(retry_after=max(1, int(until - time.time())))

    def give_back(self, address: str) -> None:
        """The slot of a guest bucket that was not started after all."""
        try:
            cache.decr(self._key(address))
        except ValueError:  # the window ended meanwhile: nothing to give back
            pass


def guest_bucket_throttle() -> GuestBucketThrottle:
    """The throttle with the configured limit (SHOP_GUEST_BUCKETS_PER_HOUR)."""
    return GuestBucketThrottle(per_hour=int(settings.SHOP.get("guest_buckets_per_hour", 20)))

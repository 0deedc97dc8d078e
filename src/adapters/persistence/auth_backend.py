"""Django's model backend with the per-request user lookup served from the shared cache.

Every authenticated request loads its user; with sessions in the cache too, that is
the last database query an API request makes before its real work. Only what
authentication needs is cached — never the password hash, only the session hash
derived from it, so changing the password (which forgets the entry) still logs out
every other session.

Forgetting is a new random *stamp* for the user, not only a deleted entry: an entry
is good only while it carries the stamp that was current when its row was read. A
request that read the row just before a password change committed, and cached it just
after the change forgot the entry, would otherwise put the old password's session hash
back for TTL_SECONDS: the changer's own session (on the new hash) was then flushed at
its next request (403/3002), and the other sessions stayed logged in.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from adapters.persistence.models import Customer

TTL_SECONDS = 300
# Far longer than any request's gap between reading a stamp and caching its row; only a
# lost stamp's absence could match an entry's again, and only an entry read before it.
STAMP_TTL_SECONDS = 24 * 3600
_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")


def user_key(user_id: Any) -> str:
    """The cache key of a user's entry."""
    return f"shop:auth-user:{user_id}"


def stamp_key(user_id: Any) -> str:
    """The cache key of a user's current stamp (see the module's docstring)."""
    return f"shop:auth-user-stamp:{user_id}"


def user_keys(user_id: Any) -> list[str]:
    """What ``get_user`` reads for a user: the entry and the stamp, in one round trip."""
    return [user_key(user_id), stamp_key(user_id)]


# What a session store read along with the session (``sessions.py``), set only while
# Django resolves a request's user: {"user_id": ..., "entries": {key: value}}.
read_with_session: ContextVar[dict[str, Any] | None] = ContextVar(
    "shop_read_with_session", default=None
)


def _read_along(user_id: Any) -> dict[str, Any] | None:
    """The user's entry and stamp if the session naming this user brought them."""
    found = read_with_session.get()
    if not found or found.get("user_id") != str(user_id):
        return None
    entries: dict[str, Any] = found["entries"]
    return entries


def forget_user(user_id: Any) -> None:
    """Outdate the user's entry, and every entry a request now running will write from
    a row it read before this call."""
    cache.set(stamp_key(user_id), uuid.uuid4().hex, STAMP_TTL_SECONDS)
    cache.delete(user_key(user_id))


class CachedUserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        found = _read_along(user_id)
        if found is None:
            found = cache.get_many(user_keys(user_id))
        entry, stamp = found.get(user_key(user_id)), found.get(stamp_key(user_id))
        if entry is None or entry.get("stamp") != stamp:
            # The stamp was read before the row: if the user changes after this read,
            # the entry written below carries an outdated stamp and is never used.
            user = super().get_user(user_id)
            if user is None:
                return None
            entry = {f: getattr(user, f) for f in _FIELDS}
            entry["session_hash"] = user.get_session_auth_hash()
            entry["stamp"] = stamp
            cache.set(user_key(user_id), entry, TTL_SECONDS)
            return user
        user = Customer(id=user_id, **{f: entry[f] for f in _FIELDS})
        session_hash = entry["session_hash"]
        # Stands in for the hash of the password this object does not carry.
        user.get_session_auth_hash = lambda: session_hash  # type: ignore[method-assign]
        return user if self.user_can_authenticate(user) else None


def _forget(sender: Any, instance: Customer, **kwargs: Any) -> None:
    forget_user(instance.pk)


post_save.connect(_forget, sender=Customer, dispatch_uid="shop-forget-cached-user")
post_delete.connect(_forget, sender=Customer, dispatch_uid="shop-forget-cached-user-del")

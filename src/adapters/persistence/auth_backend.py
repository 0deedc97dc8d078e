"""Django's model backend with the per-request user lookup served from the shared cache.

Every authenticated request loads its user; with sessions in the cache too, that is
the last database query an API request makes before its real work. Only what
authentication needs is cached — never the password hash, only the session hash
derived from it, so changing the password (which forgets the entry) still logs out
every other session.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from adapters.persistence.models import Customer

TTL_SECONDS = 300
_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")


def user_key(user_id: Any) -> str:
    """The cache key of a user's entry."""
    return f"shop:auth-user:{user_id}"


_fetched = threading.local()  # an entry read ahead for this thread's current request


def read_ahead(user_id: str, entry: dict[str, Any] | None) -> None:
    """Until ``forget_read_ahead()``, ``get_user(user_id)`` on this thread takes ``entry``
    (read from the cache together with the session, in one round trip) instead of
    reading it again."""
    _fetched.value = (user_id, entry)


def forget_read_ahead() -> None:
    _fetched.value = None


def forget_user(user_id: Any) -> None:
    cache.delete(user_key(user_id))


class CachedUserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        ahead = getattr(_fetched, "value", None)
        if ahead is not None and ahead[0] == str(user_id):
            entry = ahead[1]  # None: not cached, read below
        else:
            entry = cache.get(user_key(user_id))
        if entry is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            entry = {f: getattr(user, f) for f in _FIELDS}
            entry["session_hash"] = user.get_session_auth_hash()
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

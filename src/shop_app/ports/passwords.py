from __future__ import annotations

from typing import Protocol


class PasswordHasher(Protocol):
    """Hashes passwords and checks a password against a stored hash."""

    def hash(self, password: str) -> str: ...

    def verify(self, password: str, hashed: str) -> bool: ...

    def waste_time(self, password: str) -> None:
        """Spend as long as a verify, so unknown users cannot be told apart by timing."""
        ...


class PasswordPolicy(Protocol):
    """Judges whether a new password is strong enough; returns the reasons it is not."""

    def problems(self, password: str, *, username: str, email: str) -> list[str]: ...

"""Fixtures for the payment adapters' tests: no Django, no database, no internet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.payments.payu_double import PayUDouble

NOTIFY_URL = "http://127.0.0.1:8000/api/payments/payu/notify"


@pytest.fixture
def payu_double() -> Iterator[PayUDouble]:
    """A fresh PayU double per test, stopped afterwards. A test that leaves protocol
    violations behind fails (a test provoking one on purpose clears the list)."""
    with PayUDouble(expected_notify_url=NOTIFY_URL, hang_seconds=5.0) as double:
        yield double
        assert double.violations == [], double.violations

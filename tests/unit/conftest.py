from __future__ import annotations

import pytest

from tests.unit.shop import Shop, build_shop


@pytest.fixture
def shop() -> Shop:
    return build_shop()

"""One Chromium per test module; each module provides its own seeded ``server`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.live import chromium


@pytest.fixture(scope="module")
def browser(server: Any) -> Iterator[Any]:
    with chromium() as b:
        yield b

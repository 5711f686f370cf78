"""The integrations' unit tests share a real local HTTP server (local_http.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_http import LocalServer, running_server


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    with running_server() as server:
        yield server

"""Root test configuration: every test gets a temporary profile and an offscreen Qt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never touch the user's real keyring: the explicit file fallback is used.
os.environ["SOFTPHONE_KEYRING"] = "file"


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    path = tmp_path / "profile"
    path.mkdir()
    return path

"""Root test configuration: every test gets a temporary profile and an offscreen Qt."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never touch the user's real keyring: the explicit file fallback is used.
os.environ["SOFTPHONE_KEYRING"] = "file"
# Nor the user's desktop files: an app started by a test (its link handlers, autostart) writes
# under these, removed when the run ends.
_XDG = tempfile.TemporaryDirectory(prefix="softphone-tests-xdg-")
os.environ["XDG_DATA_HOME"] = os.path.join(_XDG.name, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_XDG.name, "config")


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    path = tmp_path / "profile"
    path.mkdir()
    return path

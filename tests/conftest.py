"""Root test configuration: every test gets a temporary profile and an offscreen Qt."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _collection_given_back() -> Iterator[None]:
    """The app's collector and bulk imports turn automatic garbage collection off while they
    run; a test that leaves it off would make every later test in this process run without."""
    import gc

    from softphone.crm.bulk import bulk_work_running

    was_on = gc.isenabled()
    yield
    left_on = gc.isenabled()
    still_bulk = bulk_work_running()
    if was_on and not left_on:
        gc.enable()
    if (was_on and not left_on) or still_bulk:
        pytest.fail(f"garbage collection left off (bulk work still running: {still_bulk})")

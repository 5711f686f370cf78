"""The default profile directory on Linux is platformdirs' user data dir, found without
importing platformdirs at start (softphone/profile.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from softphone.profile import default_profile


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rule is the Linux one")
@pytest.mark.parametrize("xdg", [None, "", "  ", "/srv/data", "/srv/data/", "~/data", "rel/dir",
                                 " /srv/data "])
def test_the_default_profile_is_platformdirs_user_data_dir(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    expected = Path(platformdirs.user_data_dir("softphone", appauthor=False)).expanduser()
    assert default_profile() == expected.resolve()

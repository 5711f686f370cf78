"""tel:/sip:/callto: links on XDG desktops: the user's entry, the defaults claimed only where
nobody else is the default, and a clean removal that leaves other applications alone."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest

from softphone.url_handlers import (
    ENTRY_NAME,
    MARKER,
    HandlerError,
    apply_url_handlers,
    desktop_entry,
    entry_path,
    mimeapps_path,
    register,
    unregister,
)

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG desktops")


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def _defaults() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(mimeapps_path().read_text("utf-8"))
    return dict(parser.items("Default Applications"))


def test_the_entry_opens_links_with_this_profile(xdg: Path) -> None:
    entry = desktop_entry(xdg / "my profile")
    lines = entry.splitlines()
    assert lines[0] == "[Desktop Entry]"
    exec_line = next(line for line in lines if line.startswith("Exec="))
    assert exec_line.endswith(f'--profile "{xdg}/my profile" %u')
    assert "MimeType=x-scheme-handler/tel;x-scheme-handler/sip;x-scheme-handler/callto;" in lines
    assert f"{MARKER}=true" in lines


def test_register_writes_the_entry_and_claims_every_free_scheme(xdg: Path) -> None:
    assert register(xdg / "p") == ["tel", "sip", "callto"]
    assert entry_path() == xdg / "data" / "applications" / ENTRY_NAME
    assert entry_path().read_text("utf-8") == desktop_entry(xdg / "p")
    assert _defaults() == {f"x-scheme-handler/{s}": "softphone.desktop;"
                           for s in ("tel", "sip", "callto")}
    assert register(xdg / "p") == ["tel", "sip", "callto"]  # again: the same, nothing new


def test_a_scheme_another_application_owns_is_left_alone(xdg: Path) -> None:
    mimeapps_path().parent.mkdir(parents=True)
    mimeapps_path().write_text("[Default Applications]\nx-scheme-handler/sip=linphone.desktop;\n"
                               "text/html=Firefox.desktop\n\n[Added Associations]\n"
                               "x-scheme-handler/tel=softphone.desktop;other.desktop;\n", "utf-8")
    assert register(xdg / "p") == ["tel", "callto"]
    defaults = _defaults()
    assert defaults["x-scheme-handler/sip"] == "linphone.desktop;"
    assert defaults["text/html"] == "Firefox.desktop"  # keys keep their case


def test_an_entry_someone_else_wrote_is_not_overwritten(xdg: Path) -> None:
    entry_path().parent.mkdir(parents=True)
    entry_path().write_text("[Desktop Entry]\nName=Mine\n", "utf-8")
    with pytest.raises(HandlerError, match="not written by Softphone: left alone"):
        register(xdg / "p")
    assert entry_path().read_text("utf-8") == "[Desktop Entry]\nName=Mine\n"
    unregister()
    assert entry_path().exists()  # not ours: not removed either


def test_unregister_removes_the_entry_and_only_our_defaults(xdg: Path) -> None:
    register(xdg / "p")
    text = mimeapps_path().read_text("utf-8").replace(
        "x-scheme-handler/tel=softphone.desktop;",
        "x-scheme-handler/tel=softphone.desktop;other.desktop;")
    mimeapps_path().write_text(text + "x-scheme-handler/mailto=thunderbird.desktop;\n", "utf-8")
    unregister()
    assert not entry_path().exists()
    assert _defaults() == {"x-scheme-handler/tel": "other.desktop;",
                           "x-scheme-handler/mailto": "thunderbird.desktop;"}


def test_a_mimeapps_file_that_cannot_be_read_is_a_clear_error(xdg: Path) -> None:
    mimeapps_path().parent.mkdir(parents=True)
    mimeapps_path().write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(HandlerError, match=r"cannot read .*mimeapps\.list"):
        register(xdg / "p")


def test_apply_says_what_it_did(xdg: Path) -> None:
    line = apply_url_handlers(True, xdg / "p")
    assert line == f"links: {entry_path()} handles tel:, sip:, callto:"
    assert apply_url_handlers(False, xdg / "p") == "links: not registered (setting off)"
    assert not entry_path().exists()


def test_a_frozen_bundle_leaves_it_to_its_package(xdg: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert apply_url_handlers(True, xdg / "p") == "links: the package registers the app"
    assert not entry_path().exists()

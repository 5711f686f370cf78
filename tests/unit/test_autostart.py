"""Start at login on XDG desktops: where the entry goes, the command it runs (quoted as the
Desktop Entry spec asks), writing and removing it, and clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from softphone import autostart
from softphone.autostart import (
    AutostartError,
    apply_start_at_login,
    autostart_dir,
    desktop_entry,
    exec_value,
    launch_command,
    quote_exec_argument,
)
from softphone.profile import default_profile

pytestmark = pytest.mark.skipif(not autostart.supported(), reason="XDG desktops only")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def test_the_entry_goes_to_xdg_config_home_or_dot_config(
        config_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert autostart_dir() == config_home / "autostart"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for ignored in ("", "relative/dir"):  # the XDG spec ignores a relative value
        monkeypatch.setenv("XDG_CONFIG_HOME", ignored)
        assert autostart_dir() == tmp_path / "home" / ".config" / "autostart"


@pytest.mark.parametrize(("arg", "quoted"), [
    ("/usr/bin/python3", "/usr/bin/python3"),
    ("--minimized", "--minimized"),
    ("/home/a b/profile", '"/home/a b/profile"'),
    ("/p/100%", "/p/100%%"),  # a field code is not one
    ('/p/"q"$x`y\\z', '"/p/\\"q\\"\\$x\\`y\\\\z"'),
    ("", '""'),
])
def test_arguments_are_quoted_as_the_spec_asks(arg: str, quoted: str) -> None:
    assert quote_exec_argument(arg) == quoted


def test_a_path_with_a_line_break_is_refused() -> None:
    with pytest.raises(AutostartError, match="line break"):
        quote_exec_argument("/a\nb")


def test_the_exec_value_escapes_backslashes_once_more() -> None:
    assert exec_value(["/a b", "c\\d"]) == '"/a b" "c\\\\\\\\d"'


def test_the_default_profile_is_not_spelt_out(config_home: Path) -> None:
    argv = launch_command(default_profile())
    assert argv == [sys.executable, "-m", "softphone", "--minimized"]


def test_another_profile_is_given_by_its_absolute_path(config_home: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv = launch_command(Path("my profile"))
    assert argv[-3:] == ["--profile", str(tmp_path / "my profile"), "--minimized"]
    entry = desktop_entry(Path("my profile"))
    assert f'Exec={exec_value(argv)}\n' in entry
    assert f'"{tmp_path}/my profile"' in entry
    assert entry.startswith("[Desktop Entry]\nType=Application\n")


def test_turning_it_on_and_off(config_home: Path, tmp_path: Path) -> None:
    path = apply_start_at_login(True, tmp_path / "p")
    assert path == config_home / "autostart" / "softphone.desktop"
    assert path.read_text("utf-8") == desktop_entry(tmp_path / "p")
    assert apply_start_at_login(True, tmp_path / "p") == path  # again: unchanged, fine
    assert sorted(p.name for p in path.parent.iterdir()) == ["softphone.desktop"]
    assert apply_start_at_login(False, tmp_path / "p") is None
    assert not path.exists()
    assert apply_start_at_login(False, tmp_path / "p") is None  # already off: fine


def test_a_file_where_the_directory_should_be_is_a_clear_error(config_home: Path,
                                                               tmp_path: Path) -> None:
    config_home.mkdir()
    (config_home / "autostart").write_text("not a directory")
    with pytest.raises(AutostartError, match=r"cannot write .*autostart/softphone.desktop"):
        apply_start_at_login(True, tmp_path / "p")


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_where_the_app_cannot_do_it_it_says_who_does(platform: str, config_home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert not autostart.supported()
    with pytest.raises(AutostartError, match=r"installer on Windows.*Login Items on macOS"):
        apply_start_at_login(True, config_home)
    assert not config_home.exists()

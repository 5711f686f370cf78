"""The frozen Linux app and its .deb: built for real, then started without Python.

Slow (PyInstaller + dpkg-deb, about 1-3 minutes; PyInstaller's work dir under
build/installer-test is reused by the next run). Deselect with ``-m "not installer"``.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import __version__
from softphone.ipc import request, server_address
from tests.harness.sip_peers import wait_until

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "installer-test"

pytestmark = [
    pytest.mark.installer,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux bundle and .deb"),
    pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                       reason="PyInstaller is not installed (the [test] extra)"),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed"),
]


class Built:
    def __init__(self, bundle: Path, deb: Path, seconds: float, log: str) -> None:
        self.bundle = bundle
        self.deb = deb
        self.seconds = seconds
        self.log = log

    @property
    def exe(self) -> Path:
        return self.bundle / "softphone"


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    """Build once per module. Another test session in the same checkout waits for the lock
    (it would otherwise rebuild the bundle under this one's feet)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with (BUILD / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield _build()


def _build() -> Built:
    env = dict(os.environ, BUILD_DIR=str(BUILD), DEB_COMPRESSION="zstd",
               PYTHON=sys.executable)
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / "installer" / "build-linux.sh")], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=1500,
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    debs = sorted(BUILD.glob(f"softphone_{__version__}-1_*.deb"))
    assert debs, result.stdout
    print(f"\nbundle + .deb built in {seconds:.0f} s; .deb {debs[0].stat().st_size >> 20} MiB")
    return Built(BUILD / "dist" / "softphone", debs[0], seconds, result.stdout)


def no_python_env(profile: Path, home: Path) -> dict[str, str]:
    """A bare environment: no venv, no PYTHONPATH; only the system's /usr/bin:/bin."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "SOFTPHONE_PROFILE": str(profile),
        "SOFTPHONE_KEYRING": "file",
        "QT_QPA_PLATFORM": "offscreen",
    }


def run(exe: Path, *argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *argv], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.timeout(1800)
def test_frozen_app_reports_its_version(built: Built, tmp_path: Path) -> None:
    result = run(built.exe, "--version", env=no_python_env(tmp_path / "p", tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"softphone {__version__}"


@pytest.mark.timeout(300)
def test_frozen_selftest_passes_with_a_fresh_profile(built: Built, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    result = run(built.exe, "selftest", env=no_python_env(profile, tmp_path))
    # 4: passed with warnings, the only one allowed being no sound device on this machine
    assert result.returncode in (0, 4), result.stdout + result.stderr
    assert result.returncode == 0 or "with warnings: sound devices\n" in result.stderr
    assert re.search(r"^ok\s+SIP engine\s+listening on 127\.0\.0\.1:\d+", result.stdout, re.M)
    assert re.search(r"^ok\s+database\s+opened sqlite:///", result.stdout, re.M)
    assert re.search(r"^(ok|WARN)\s+sound devices", result.stdout, re.M)
    assert re.search(r"^ok\s+Qt\s+.*offscreen.*xcb", result.stdout, re.M)
    # the migrations ran from the bundle: the database exists in the temporary profile
    assert (profile / "softphone.sqlite3").stat().st_size > 0


@pytest.mark.timeout(300)
def test_frozen_cli_knows_no_instance_runs(built: Built, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    result = run(built.exe, "answer", env=no_python_env(profile, tmp_path))
    assert result.returncode == 3
    assert f"softphone is not running for profile {profile}" in result.stderr


@pytest.mark.timeout(300)
def test_frozen_diagnostics_name_every_component(built: Built, tmp_path: Path) -> None:
    result = run(built.exe, "diagnostics", env=no_python_env(tmp_path / "p", tmp_path))
    assert result.returncode == 0, result.stderr
    assert "(frozen bundle)" in result.stdout
    for part in ("PJSIP: 2.", "PortAudio: PortAudio V19", "SQLAlchemy: 2.", "Qt: 6.",
                 # the compiled audio path is in the bundle
                 "Call audio: C (native.c; own media port",
                 # the codec module and the bundled libopus
                 "Opus: yes (",
                 # G.722/G.711 with our concealment (built into the same module)
                 "Loss concealment: ours ("):
        assert part in result.stdout
    assert "_internal/libopus.so.0" in result.stdout


def test_bundle_leaves_system_libraries_to_the_system(built: Built) -> None:
    internal = built.bundle / "_internal"
    names = {p.name for p in internal.rglob("*.so*")}
    assert not any(n.startswith(("libportaudio", "libX11.so", "libfontconfig", "libasound"))
                   for n in names)
    assert (internal / "pjsua2_python.libs").is_dir()  # pjsua2's own OpenSSL stays
    assert (internal / "libopus.so.0").is_file()  # dlopen()ed by the Opus codec
    plugins = internal / "PySide6" / "Qt" / "plugins" / "platforms"
    assert {"libqxcb.so", "libqoffscreen.so", "libqwayland.so"} <= {p.name for p in
                                                                       plugins.iterdir()}


def test_deb_control(built: Built) -> None:
    info = subprocess.run(["dpkg-deb", "-I", str(built.deb)], capture_output=True, text=True,
                          check=True).stdout
    fields = dict(re.findall(r"^ (\S+): (.*)$", info, re.M))
    assert fields["Package"] == "softphone"
    assert fields["Version"] == f"{__version__}-1"
    assert fields["Architecture"] == subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    depends = {d.strip().split(" ")[0] for d in fields["Depends"].split(",")}
    for package in ("libc6", "libportaudio2", "libegl1", "libx11-6", "libxcb-cursor0",
                    "libxkbcommon-x11-0", "libfontconfig1", "libdbus-1-3"):
        assert package in depends, fields["Depends"]
    assert int(fields["Installed-Size"]) > 50_000


def test_deb_contents_and_desktop_integration(built: Built, tmp_path: Path) -> None:
    listing = subprocess.run(["dpkg-deb", "-c", str(built.deb)], capture_output=True,
                             text=True, check=True).stdout
    paths = {line.split()[5]: line for line in listing.splitlines()}
    for path in (
        "./opt/softphone/softphone",
        "./usr/share/applications/softphone.desktop",
        "./usr/share/metainfo/softphone.metainfo.xml",
        "./usr/share/icons/hicolor/48x48/apps/softphone.png",
        "./usr/share/icons/hicolor/256x256/apps/softphone.png",
        "./usr/share/icons/hicolor/scalable/apps/softphone.svg",
        "./opt/softphone/_internal/softphone/crm/migrations/env.py",
        "./opt/softphone/_internal/resources/translations/softphone_ru.qm",
        "./opt/softphone/_internal/resources/icons/tray-dnd-22.png",
        "./usr/share/doc/softphone/copyright",
    ):
        assert path in paths, path
    assert "root/root" in paths["./opt/softphone/softphone"]
    assert paths["./opt/softphone/softphone"].startswith("-rwxr-xr-x")
    assert "./usr/bin/softphone -> /opt/softphone/softphone" in listing

    # Unpack it as dpkg would and start the packaged copy.
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(built.deb), str(root)], check=True)
    desktop = (root / "usr/share/applications/softphone.desktop").read_text("utf-8")
    assert "Exec=softphone %u" in desktop
    assert ("MimeType=x-scheme-handler/tel;x-scheme-handler/sip;x-scheme-handler/callto;"
            in desktop)
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate",
                                str(root / "usr/share/applications/softphone.desktop")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    result = run(root / "opt/softphone/softphone", "--version",
                 env=no_python_env(tmp_path / "p", tmp_path))
    assert result.stdout.strip() == f"softphone {__version__}", result.stderr


class Callee:
    """A UDP socket on 127.0.0.1 that receives INVITEs and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(60)
        self.port = self.sock.getsockname()[1]
        self.seen: set[str] = set()

    def uri(self, user: str) -> str:
        return f"sip:{user}@127.0.0.1:{self.port}"

    def next_invite(self) -> str:
        """The request URI of the next new INVITE (retransmissions skipped)."""
        while True:
            data, _ = self.sock.recvfrom(65535)
            m = re.match(rb"INVITE (\S+) SIP/2\.0", data)
            if m and m.group(1).decode() not in self.seen:
                self.seen.add(m.group(1).decode())
                return m.group(1).decode()


def lan_profile(tmp_path: Path) -> Path:
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "softphone.toml").write_text('[sip]\nlisten = "127.0.0.1:0"\n', "utf-8")
    return profile


def stop_group(proc: subprocess.Popen[bytes], profile: Path) -> None:
    """Stop a process started in its own session, with everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(server_address(profile))  # a terminated app cannot remove its socket


@pytest.mark.timeout(300)
def test_frozen_app_dials_a_link_and_takes_the_next_one_over_ipc(
    built: Built, tmp_path: Path
) -> None:
    """The whole frozen app (window offscreen, engine, database, instance server)."""
    profile = lan_profile(tmp_path)
    env = no_python_env(profile, tmp_path)
    callee = Callee()
    app = subprocess.Popen([str(built.exe), callee.uri("bob")], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        assert callee.next_invite() == callee.uri("bob")
        # The window dials the link and the instance server opens on the same EngineStarted,
        # one slot after the other: the INVITE can arrive a few ms before the socket is bound.
        wait_until(lambda: request(profile, "ping") is not None, 20.0,
                   "the frozen app's instance server")
        second = run(built.exe, f"callto:carol@127.0.0.1:{callee.port}", env=env)
        assert second.returncode == 0, second.stderr
        assert callee.next_invite() == callee.uri("carol")
        assert app.poll() is None
    finally:
        stop_group(app, profile)
        callee.sock.close()


@pytest.mark.timeout(300)
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_frozen_app_runs_on_an_x_server(built: Built, tmp_path: Path) -> None:
    """The xcb platform plugin with the system's X libraries (what a desktop uses)."""
    profile = lan_profile(tmp_path)
    env = no_python_env(profile, tmp_path)
    del env["QT_QPA_PLATFORM"]
    callee = Callee()
    app = subprocess.Popen(["xvfb-run", "-a", str(built.exe), callee.uri("bob")], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        assert callee.next_invite() == callee.uri("bob")
        # as above: the INVITE can arrive a few ms before the instance server listens
        wait_until(lambda: request(profile, "ping") is not None, 20.0,
                   "the frozen app's instance server")
        reply = request(profile, "diagnostics", timeout=30)
        assert reply is not None and reply.ok
        assert "platform xcb" in reply.message
        assert "LAN: state=lan" in reply.message
    finally:
        stop_group(app, profile)
        callee.sock.close()


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="no apt")
def test_deb_dependencies_resolve_from_the_archive(built: Built) -> None:
    """apt could install it (simulated: nothing on this machine changes)."""
    result = subprocess.run(
        ["apt-get", "-s", "-o", "Debug::NoLocking=1", "install", "--no-install-recommends",
         str(built.deb)], capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0 and "Unable to locate package" in result.stderr:
        pytest.skip("apt package lists are not available (run apt-get update)")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"Inst softphone ({__version__}-1" in result.stdout

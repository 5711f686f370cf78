"""Two network namespaces joined by a veth pair: a private two-desk LAN for one test.

Only namespaces this module creates are touched: their names start with ``spoffice-<pid>-``
and stale ones (whose creating process is gone) are removed before new ones are made.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

PREFIX = "spoffice-"


class NetnsUnavailable(RuntimeError):
    """``ip netns`` cannot be used here (not root, no iproute2, refused by the sandbox)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check,
                          timeout=20)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale() -> list[str]:
    """Delete ``spoffice-<pid>-*`` namespaces whose creating process no longer runs."""
    removed: list[str] = []
    listing = _ip("netns", "list", check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(PREFIX):
            continue
        parts = name[len(PREFIX):].split("-")
        if parts and parts[0].isdigit() and _pid_alive(int(parts[0])):
            continue
        _ip("netns", "del", name, check=False)
        removed.append(name)
    return removed


@dataclass
class Desk:
    """One namespace with its end of the link."""

    ns: str
    ifname: str
    address: str

    def cmd(self, *argv: str) -> list[str]:
        """``argv`` run inside this namespace."""
        return ["ip", "netns", "exec", self.ns, *argv]


@dataclass
class TwoDesks:
    """``a`` and ``b``: two namespaces, one veth link, addresses ``10.213.N.1`` and ``.2``."""

    a: Desk = field(init=False)
    b: Desk = field(init=False)
    created: list[str] = field(default_factory=list)

    def __enter__(self) -> Self:
        if shutil.which("ip") is None:
            raise NetnsUnavailable("iproute2 (ip) is not installed")
        remove_stale()
        tag = f"{os.getpid()}-{random.randrange(16**6):06x}"
        subnet = random.randrange(1, 255)
        short = tag.rsplit("-", 1)[1]
        self.a = Desk(f"{PREFIX}{tag}-a", f"spo{short}a", f"10.213.{subnet}.1")
        self.b = Desk(f"{PREFIX}{tag}-b", f"spo{short}b", f"10.213.{subnet}.2")
        try:
            for desk in (self.a, self.b):
                res = _ip("netns", "add", desk.ns, check=False)
                if res.returncode != 0:
                    raise NetnsUnavailable(f"ip netns add {desk.ns}: {res.stderr.strip()}")
                self.created.append(desk.ns)
            _ip("link", "add", self.a.ifname, "netns", self.a.ns, "type", "veth",
                "peer", "name", self.b.ifname, "netns", self.b.ns)
            for desk in (self.a, self.b):
                _ip("-n", desk.ns, "link", "set", "lo", "up")
                _ip("-n", desk.ns, "addr", "add", f"{desk.address}/24", "dev", desk.ifname)
                _ip("-n", desk.ns, "link", "set", desk.ifname, "up", "multicast", "on")
                _ip("-n", desk.ns, "route", "add", "224.0.0.0/4", "dev", desk.ifname)
        except subprocess.CalledProcessError as exc:
            self.close()
            raise NetnsUnavailable(f"{' '.join(exc.cmd)}: {exc.stderr.strip()}") from exc
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Delete both namespaces (the veth pair goes with them)."""
        for ns in reversed(self.created):
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                _ip("netns", "del", ns, check=False)
        self.created.clear()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

"""Work out a frozen bundle's Debian ``Depends`` from what its ELF files really link against.

    python3 installer/linux/deb_depends.py build/dist/softphone [extra-package ...]

Runs ``ldd`` on every shared object and executable in the bundle (with the bundle's own
folders on the library path, as at run time), keeps the libraries found outside the bundle,
asks ``dpkg -S`` which package owns each, and prints one ``Depends:`` value. ``libc6`` gets a
minimum version (the glibc the bundle was built against); other packages do not, so the .deb
installs on later Debian and Ubuntu releases too. Exits non-zero when a library cannot be
found at all (the bundle would not start), naming it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
# Libraries loaded with dlopen() by name, which ldd cannot see, and the packages they need.
DLOPENED = {
    "libportaudio2": "sounddevice (ctypes) opens libportaudio.so.2",
    "libegl1": "Qt opens libEGL for OpenGL contexts (xcb_egl / wayland-egl)",
    "libgl1": "Qt opens libGL for GLX",
    "libxcb-cursor0": "Qt 6.5+ needs xcb-cursor for the xcb platform plugin",
}
# Libraries absent on the build machine but needed on a desktop: {soname prefix: package}.
KNOWN_MISSING = {
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libwayland-client.so.0": "libwayland-client0",
}


def elf_files(root: Path) -> list[Path]:
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == ELF_MAGIC:
                    out.append(path)
    return out


def external_libraries(root: Path) -> tuple[set[str], dict[str, set[str]]]:
    """(library paths outside the bundle, {missing library: {who needs it}})."""
    dirs = {str(p.parent) for p in root.rglob("*.so*")} | {str(root), str(root / "_internal")}
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(sorted(dirs)))
    found: set[str] = set()
    missing: dict[str, set[str]] = {}
    for elf in elf_files(root):
        result = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env)
        for line in result.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (not found|(\S+) \(0x[0-9a-f]+\))", line)
            if not m:
                continue
            name, target = m.group(1), m.group(3)
            if m.group(2) == "not found":
                missing.setdefault(name, set()).add(str(elf.relative_to(root)))
            elif target and not Path(target).resolve().is_relative_to(root.resolve()):
                found.add(target)
    return found, missing


def owning_packages(paths: set[str]) -> dict[str, str]:
    """{library path: package} through ``dpkg -S`` (tries the path and its resolved form)."""
    owners: dict[str, str] = {}
    for path in sorted(paths):
        for candidate in dict.fromkeys([path, str(Path(path).resolve()),
                                        re.sub(r"^/lib/", "/usr/lib/", path),
                                        re.sub(r"^/usr/lib/", "/lib/", path)]):
            result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if result.returncode == 0:
                package = result.stdout.split(":", 1)[0].strip()
                owners[path] = package.split(",")[0].strip()
                break
    return owners


def glibc_version() -> str:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libc6"],
                            capture_output=True, text=True, check=True)
    return result.stdout.split("-", 1)[0]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[0])
    found, missing = external_libraries(root)
    fatal = {name: who for name, who in missing.items() if name not in KNOWN_MISSING}
    if fatal:
        for name, who in sorted(fatal.items()):
            print(f"missing library {name}, needed by {', '.join(sorted(who)[:3])}",
                  file=sys.stderr)
        return 1
    owners = owning_packages(found)
    unowned = sorted(found - owners.keys())
    if unowned:
        print("libraries that no package owns (the .deb will not pull them in): "
              + ", ".join(unowned), file=sys.stderr)
    packages = set(owners.values()) | set(DLOPENED) | set(argv[1:])
    packages |= {KNOWN_MISSING[name] for name in missing if name in KNOWN_MISSING}
    packages.discard("libc6")
    depends = [f"libc6 (>= {glibc_version()})", *sorted(packages)]
    print(", ".join(depends))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Builds the project's C extensions (cffi, API mode) from the package build itself.

``setup.py`` names each extension's ``ffibuilder`` in ``cffi_modules``, so ``pip install .``,
``pip wheel .``, ``pip install -e .`` (scripts/bootstrap.sh) and PyInstaller (which bundles what
is installed) all carry the compiled modules; nothing compiles them separately. This file is
run by cffi's setuptools hook with only the standard library and cffi importable (not the
``softphone`` package), so it imports nothing from the project.

One extension is a :class:`CModule`: its C sources, its headers (which ARE its cffi
declarations: ``#`` lines are dropped, so a header holds plain typedefs, structs and
prototypes, shared by the C files and Python; pj_abi.h declares pjproject's API for all of
them), and the cdef lines only Python needs. A second extension (a codec) gets its own build
file beside its sources::

    spec = importlib.util.spec_from_file_location(
        "sp_native_build", Path(__file__).resolve().parents[1] / "audio" / "native_build.py")
    nb = importlib.util.module_from_spec(spec); spec.loader.exec_module(nb)
    OPUS = nb.CModule("softphone.sip.codec._opus", headers=[nb.AUDIO / "pj_abi.h", HERE /
                      "opus.h"], sources=[HERE / "opus.c", nb.AUDIO / "pj_abi.c"],
                      libraries=["opus"])
    def ffibuilder(): return nb.make_ffi(OPUS)

and a line in setup.py's ``cffi_modules``. Each extension binds its own copy of the pjproject
table (pj_abi.c: ``sp_pj_bind``) to the loaded ``_pjsua2``.

    python softphone/sip/audio/native_build.py   # a development build in place (optional)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

AUDIO = Path(__file__).resolve().parent
ROOT = AUDIO.parents[2]

# lets the FIR's sums vectorise; not -ffast-math, whose crtfastmath would switch denormals off
# for the whole process
CFLAGS = ["-O3", "-std=gnu11", "-fvisibility=hidden", "-fno-math-errno", "-fassociative-math",
          "-fno-signed-zeros", "-fno-trapping-math"]


class CModule:
    """One extension (a plain class: cffi runs this file outside any module, where a
    dataclass cannot be made)."""

    def __init__(self, name: str, headers: list[Path], sources: list[Path],
                 extra_cdef: str = "", libraries: list[str] | None = None) -> None:
        self.name = name  # the importable module, e.g. softphone.sip.audio._native
        self.headers = headers
        self.sources = sources
        self.extra_cdef = extra_cdef  # declarations for Python only (extern "Python", ...)
        self.libraries = libraries or []


NATIVE = CModule(
    "softphone.sip.audio._native",
    headers=[AUDIO / "pj_abi.h", AUDIO / "native.h"],
    sources=[AUDIO / "native.c", AUDIO / "port.c", AUDIO / "voice.c", AUDIO / "rtcp_clock.c",
             AUDIO / "invite_guard.c",
             AUDIO / "pj_abi.c"],
    extra_cdef='extern "Python+C" void sp_mix_hook(void *handle, int frames);\n',
    libraries=["dl", "m"],
)
SOURCE = AUDIO / "native.c"  # native.py: a source tree next to the module (not a wheel)


def cdef_of(header: Path) -> str:
    """A header as cffi declarations: the preprocessor lines dropped."""
    return "\n".join(line for line in header.read_text().splitlines()
                     if not line.lstrip().startswith("#"))


def digest(module: CModule) -> str:
    """What a built module was made from (checked at import: a stale build is not used).
    CPython's own SHA-1: ``hashlib`` would map OpenSSL's libcrypto (~3.5 MiB resident) for
    this one digest, taken while the app idles (the invite guard loads the module)."""
    try:
        from _sha1 import sha1
    except ImportError:
        from hashlib import sha1
    h = sha1()
    for path in [*module.headers, *module.sources]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(module.extra_cdef.encode() + " ".join(CFLAGS).encode())
    return str(h.hexdigest())[:16]


def source_digest() -> str:
    return digest(NATIVE)


def _path(p: Path, absolute: bool) -> str:
    """setuptools wants sources relative to setup.py (the working directory of a build)."""
    if not absolute:
        try:
            return os.path.relpath(p, Path.cwd()) if p.is_relative_to(Path.cwd()) else str(p)
        except ValueError:
            pass
    return str(p)


def make_ffi(module: CModule, absolute: bool = False):  # type: ignore[no-untyped-def]
    from cffi import FFI

    ffi = FFI()
    ffi.cdef("\n".join(cdef_of(h) for h in module.headers) + "\n" + module.extra_cdef
             + "const char *sp_digest(void);\n")
    main = "".join(f'#include "{h.name}"\n' for h in module.headers)
    main += f'const char *sp_digest(void) {{ return "{digest(module)}"; }}\n'
    dirs = sorted({_path(h.parent, absolute) for h in module.headers})
    ffi.set_source(module.name, main, sources=[_path(s, absolute) for s in module.sources],
                   include_dirs=dirs, depends=[_path(h, absolute) for h in module.headers],
                   extra_compile_args=CFLAGS, libraries=module.libraries)
    return ffi


def ffibuilder():  # type: ignore[no-untyped-def]
    return make_ffi(NATIVE)


def build_in_place(module: CModule = NATIVE) -> Path:
    """A development build next to the sources (the package build does this normally)."""
    import tempfile

    ffi = make_ffi(module, absolute=True)
    dest_dir = ROOT.joinpath(*module.name.split(".")[:-1])
    with tempfile.TemporaryDirectory(prefix="sp-native-") as tmp:
        built = Path(ffi.compile(tmpdir=tmp, verbose=False))
        dest = dest_dir / built.name
        tmp_dest = dest.with_suffix(".tmp")
        tmp_dest.write_bytes(built.read_bytes())
        os.replace(tmp_dest, dest)  # a running app keeps its mapped copy
    return dest


if __name__ == "__main__":
    print(f"built {build_in_place()}")
    sys.exit(0)

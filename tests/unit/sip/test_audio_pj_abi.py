"""PJSIP's C API as the compiled audio path binds it (pj_abi.h / pj_abi.c): the wheel's release
binds, any other release is refused with a reason and the media port stays in Python."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from softphone.sip.audio import native
from tests.unit.sip.test_audio_bridge import require_native

ROOT = Path(__file__).resolve().parents[3]


def test_the_wheels_pjproject_binds() -> None:
    require_native()
    assert native.pj_available(), native.pj_why_not
    assert "own media port" in native.describe()


def test_the_header_is_the_cffi_declaration() -> None:
    """One header per side: native_build feeds pj_abi.h and native.h to cffi as they are."""
    from softphone.sip.audio import native_build as nb

    assert nb.NATIVE.headers == [nb.AUDIO / "pj_abi.h", nb.AUDIO / "native.h"]
    cdef = nb.cdef_of(nb.AUDIO / "pj_abi.h")
    assert "typedef struct pjmedia_port {" in cdef
    assert not [line for line in cdef.splitlines() if line.lstrip().startswith("#")]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_another_pjproject_release_is_refused(tmp_path: Path) -> None:
    require_native()
    src = tmp_path / "fakepj.c"
    src.write_text('const char *pj_get_version(void) { return "2.14.1"; }\n')
    lib = tmp_path / "libfakepj.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    code = textwrap.dedent(f"""
        import ctypes
        ctypes.CDLL({str(lib)!r})
        from softphone.sip.audio import native
        rc = native.lib.sp_pj_bind({str(lib)!r}.encode())
        print(rc, native.ffi.string(native.lib.sp_pj_error()).decode())
        print(native.pj_available())
        print(native.describe())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert out.returncode == 0, out.stderr
    first, available, described = out.stdout.splitlines()
    assert first == "-1 pjproject 2.14.1 is not 2.15.1, the release the declarations were " \
                    "written for"
    assert available == "False"
    assert described.startswith("C queues and PortAudio callback; media port in Python: "
                                "pjproject 2.14.1 is not 2.15.1")
    assert "media port stays in Python: pjproject 2.14.1" in out.stderr  # the log line

"""Builds ``softphone.sip.audio._opus`` (Opus for PJSIP, ``opus_codec.c``; G.722 and G.711 with
our loss concealment, ``g7xx_codecs.c``) in the package build.

``setup.py`` names :func:`ffibuilder` in ``cffi_modules`` beside native_build.py's. Nothing
links libopus: the codec dlopen()s it at the first call (and declares libopus's API itself,
so the build needs no libopus headers either).

    python softphone/sip/audio/opus_build.py   # a development build in place (optional)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("sp_native_build", HERE / "native_build.py")
assert _spec is not None and _spec.loader is not None
nb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nb)

OPUS = nb.CModule(
    "softphone.sip.audio._opus",
    headers=[HERE / "pj_abi.h", HERE / "opus_codec.h", HERE / "g7xx_codecs.h"],
    sources=[HERE / "opus_codec.c", HERE / "opus_playout.c", HERE / "g7xx_codecs.c",
             HERE / "g7xx_plc.c", HERE / "pj_abi.c"],
    libraries=["dl", "m"],
)
# pj_codec_abi.h, opus_playout.h and g7xx_plc.h are included by the C files only (not cffi
# declarations)
OPUS_DEPENDS = [HERE / "pj_codec_abi.h", HERE / "opus_playout.h", HERE / "g7xx_plc.h"]


def ffibuilder():  # type: ignore[no-untyped-def]
    return nb.make_ffi(OPUS)


if __name__ == "__main__":
    print(f"built {nb.build_in_place(OPUS)}")
    sys.exit(0)

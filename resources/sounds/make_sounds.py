"""Write the softphone's sounds as WAV files (16-bit mono) from softphone/sip/audio/tones.

    .venv/bin/python resources/sounds/make_sounds.py

The sounds are synthesised with numpy (sine tones with 5 ms ramps): no third-party recording,
so they are under the project's own licence (GPL-2.0-or-later). The app reads ringtone.wav at
run time (replace it to change the ringtone); the other files document what the app generates
and can be listened to.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from softphone.sip.audio import tones  # noqa: E402

#: file -> (generator, sample rate): the ringtone in full quality, telephone tones at 8 kHz.
SOUNDS = {
    "ringtone.wav": (tones.ringtone, 48000),
    "call-waiting.wav": (tones.call_waiting, 16000),
    "ringback.wav": (tones.ringback, 8000),
    "busy.wav": (tones.busy, 8000),
    "failed.wav": (tones.failed, 8000),
}


def main() -> int:
    for name, (make, rate) in SOUNDS.items():
        samples = make(rate)
        tones.write_wav(HERE / name, samples, rate)
        print(f"{name}: {len(samples) / rate:.2f} s at {rate} Hz")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Speech for audio tests: sentences spoken by espeak-ng, resampled with sox.

``speech(path, sentences, voice, rate, channels, seconds)`` writes a 16-bit WAV of the sentences
(repeated, with a short pause between, until ``seconds`` when given) and returns its samples
as float mono in [-1, 1]. espeak-ng and sox are test packages (scripts/bootstrap.sh).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tests.harness.audio_analysis import read_wav

ENGLISH = ("Thank you for calling the support line. Your order left our warehouse this "
           "morning and should arrive on Thursday.",
           "Could you tell me the number on your invoice, please? I will check it for you.")
RUSSIAN = ("Добрый день, вас беспокоит служба доставки. Ваш заказ уже в пути.",
           "Назовите, пожалуйста, номер договора, и я всё проверю.")


def available() -> str:
    """'' when espeak-ng and sox are installed, else what is missing."""
    missing = [t for t in ("espeak-ng", "sox") if shutil.which(t) is None]
    return ", ".join(missing)


def speech(path: Path, sentences: tuple[str, ...] = ENGLISH, voice: str = "en-us",
           rate: int = 16000, channels: int = 1, seconds: float | None = None,
           gap: float = 0.4) -> Any:
    """Write the sentences as a WAV at ``rate``/``channels``; return mono float samples."""
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        parts = []
        for i, text in enumerate(sentences):
            raw = Path(tmp) / f"s{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text],
                           check=True, capture_output=True, timeout=60)
            fixed = Path(tmp) / f"r{i}.wav"
            subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(fixed),
                            "pad", "0", str(gap)], check=True, capture_output=True, timeout=60)
            parts.append(read_wav(fixed)[0])
    mono = np.concatenate(parts)
    if seconds is not None:
        mono = np.tile(mono, int(np.ceil(seconds * rate / len(mono))))[: int(seconds * rate)]
    write_wav(path, mono, rate, channels)
    return mono


def write_wav(path: Path, mono: Any, rate: int, channels: int = 1) -> None:
    import wave

    pcm = np.clip(np.asarray(mono) * 32767.0, -32768, 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def resample(x: Any, rate_in: int, rate_out: int) -> Any:
    """Band-limited resampling through sox (float mono in, float mono out)."""
    if rate_in == rate_out:
        return np.asarray(x, dtype=np.float64)
    with tempfile.TemporaryDirectory(prefix="resample-") as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_wav(src, x, rate_in)
        subprocess.run(["sox", str(src), "-r", str(rate_out), str(dst)], check=True,
                       capture_output=True, timeout=60)
        return read_wav(dst)[0]

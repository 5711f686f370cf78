"""Our Opus codec inside the wheel's real pjmedia (opus_probe.py, its own process): the
declared pjproject 2.15.1 layout matches what the library writes, libopus loads at the first
codec and not at start, and a lost packet comes back from the next packet's in-band FEC."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PROBE = Path(__file__).with_name("opus_probe.py")


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    r = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True,
                       timeout=120, check=False)
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    assert r.returncode == 0 and lines, r.stdout[-2000:] + r.stderr[-2000:]
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def test_the_factory_registers_and_offers_opus(probe: dict[str, Any]) -> None:
    assert probe["registered"], probe["reason"]
    assert "opus/48000/2" in probe["codec_ids"]


def test_the_declared_codec_param_layout_is_the_libraries(probe: dict[str, Any]) -> None:
    declared, seen = probe["declared"], probe["empirical"]
    for field, offset in seen.items():
        assert declared[field] == offset, (field, declared[field], offset)
    assert declared["sizeof_info"] == 32 and declared["info_clock_rate"] == 24
    assert declared["sizeof_frame"] == 40 and declared["frame_bit_info"] == 32


def test_received_frames_fit_the_streams_receive_buffer(probe: dict[str, Any]) -> None:
    # pjmedia copies (or zeroes) a whole jitter-buffer slot of max_rx_frame_size bytes into the
    # stream's receive buffer of at most 1480 bytes (PJMEDIA_MAX_MTU - 20), 12 of them the RTP
    # header's: 1500 overran it into the encoder channel and sent payload type 0 after some
    # re-INVITEs (test_hold_audio failed ~1 run in 3). A packet too big for a slot is refused.
    assert 0 < probe["default_max_rx_frame_size"] <= 1468, probe["default_max_rx_frame_size"]
    assert probe["loss"]["parse_oversized_status"] != 0


def test_libopus_loads_at_the_first_codec_not_at_start(probe: dict[str, Any]) -> None:
    assert probe["mapped_after_register"] is False
    assert probe["loss"]["mapped_after_open"] is True


def test_lost_packets_come_back_from_in_band_fec(probe: dict[str, Any]) -> None:
    loss = probe["loss"]
    assert loss["lost"] == 13
    assert probe["fec_frames"] == loss["lost"], probe  # each isolated loss rebuilt from FEC
    assert loss["decoded_samples"] == loss["expected_samples"]  # no frame went missing
    assert loss["tone_share"] > 0.9, loss

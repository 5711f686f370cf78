"""The codec order: settings names against the engine's codec ids, and [audio] codecs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from softphone.settings import DEFAULT_CODECS, SettingsError, parse_settings
from softphone.sip import codecs
from softphone.sip.calls import codec_label
from softphone.sip.codecs import apply_codec_order, find_libopus, matches, priorities

IDS = ["speex/16000/1", "speex/8000/1", "iLBC/8000/1", "GSM/8000/1", "PCMU/8000/1",
       "PCMA/8000/1", "G722/16000/1", "opus/48000/2", "L16/44100/1"]


def test_names_match_codec_ids_without_case() -> None:
    assert matches("opus", "opus/48000/2")
    assert matches("g722", "G722/16000/1")
    assert matches("speex/16000", "speex/16000/1")
    assert not matches("speex/16000", "speex/8000/1")
    assert not matches("PCM", "PCMU/8000/1")


def test_the_default_order_is_opus_g722_pcma_pcmu() -> None:
    assert DEFAULT_CODECS == ("opus", "G722", "PCMA", "PCMU")
    prio = priorities(DEFAULT_CODECS, IDS)
    assert sorted(prio, key=lambda i: -prio[i]) == [
        "opus/48000/2", "G722/16000/1", "PCMA/8000/1", "PCMU/8000/1"]
    assert min(prio.values()) > 200  # above every codec PJSIP ranks itself


def test_apply_sets_priorities_and_tolerates_a_missing_codec(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codecs, "_pjsip_priorities", {})
    calls: list[tuple[str, int]] = []

    class Ep:
        def codecEnum2(self) -> list[Any]:
            return [SimpleNamespace(codecId=i, priority=128 + n) for n, i in enumerate(IDS)
                    if not i.startswith("opus")]

        def codecSetPriority(self, codec_id: str, prio: int) -> None:
            calls.append((codec_id, prio))

    first = apply_codec_order(Ep(), ("opus", "PCMA", "G722"))
    assert first == ["PCMA/8000/1", "G722/16000/1"]  # no Opus here: the rest keep their order
    prio = dict(calls)
    assert prio["PCMA/8000/1"] > prio["G722/16000/1"] > prio["PCMU/8000/1"]
    assert prio["PCMU/8000/1"] == 128 + IDS.index("PCMU/8000/1")  # not listed: PJSIP's own


def _parse(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "softphone.toml"
    return parse_settings(body, path)


def test_settings_read_the_codec_order(tmp_path: Path) -> None:
    assert _parse(tmp_path, "").audio.codecs == DEFAULT_CODECS
    s = _parse(tmp_path, '[audio]\ncodecs = ["pcma", "OPUS", "speex/16000"]\n')
    assert s.audio.codecs == ("PCMA", "opus", "speex/16000")


@pytest.mark.parametrize("value, problem", [
    ('["opus", "mp3"]', "unknown codec 'mp3'"),
    ('["opus", "Opus"]', "opus is listed twice"),
    ("[]", "list at least one codec"),
    ('"opus"', "expected a list"),
])
def test_a_bad_codec_list_names_the_key_and_the_problem(tmp_path: Path, value: str,
                                                       problem: str) -> None:
    with pytest.raises(SettingsError) as err:
        _parse(tmp_path, f"[audio]\ncodecs = {value}\n")
    assert "audio.codecs" in str(err.value) and problem in str(err.value)


def test_opus_is_named_by_its_rtp_clock() -> None:
    assert codec_label("opus", 16000) == "opus/48000"
    assert codec_label("G722", 16000) == "G722/16000"


def test_libopus_is_found_or_overridden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "libopus.so.0"
    fake.write_bytes(b"")
    monkeypatch.setenv("SOFTPHONE_LIBOPUS", str(fake))
    assert find_libopus() == str(fake)
    monkeypatch.setenv("SOFTPHONE_LIBOPUS", str(tmp_path / "missing.so"))
    assert find_libopus() is None


def test_opus_fec_follows_the_loss_the_far_end_reports() -> None:
    loss = codecs.ReportedLoss()
    loss.observe(1, sent=10, lost=0, reports=0, now=0.0)
    assert loss.applied is None  # no RTCP report yet: the codec keeps its default (10 %)
    loss.observe(1, sent=10, lost=0, reports=1, now=0.2)
    loss.observe(1, sent=80, lost=0, reports=2, now=1.6)
    assert loss.applied is None  # a first report and 70 packets say little: still the default
    loss.observe(1, sent=170, lost=0, reports=3, now=3.4)
    assert loss.applied == 0  # 160 packets, none lost: no bits spent on FEC
    loss.observe(2, sent=10, lost=0, reports=1, now=0.2)
    loss.observe(2, sent=500, lost=24, reports=2, now=10.0)
    assert loss.applied == 5  # 4.9 % -> 5: the worst call counts
    loss.observe(2, sent=590, lost=29, reports=2, now=11.0)
    assert loss.applied == 5  # no new report: nothing moves
    loss.observe(2, sent=590, lost=29, reports=3, now=11.5)
    assert loss.applied == 5  # 5.0 %: still 5; a change of one point would not move it either
    loss.forget(2)
    assert loss.applied == 0
    loss.forget(1)
    assert loss.applied == -1  # no Opus call left: back to the default for the next


def test_opus_fec_gets_bits_of_its_own() -> None:
    from softphone.sip.audio import _opus  # type: ignore[attr-defined]

    lib = _opus.lib
    lib.sp_opus_configure(codecs.OPUS_BITRATE, codecs.OPUS_FEC_BITRATE,
                          codecs.OPUS_COMPLEXITY, codecs.OPUS_EXPECTED_LOSS)
    assert lib.sp_opus_bitrate_for(0, 0) == 32000  # no loss reported: no FEC, 32 kbit/s
    assert lib.sp_opus_bitrate_for(3, 0) == 40000  # FEC on: its bits on top of the voice's
    assert lib.sp_opus_bitrate_for(10, 0) == 40000
    assert lib.sp_opus_bitrate_for(10, 36000) == 36000  # never over the peer's maximum
    assert lib.sp_opus_bitrate_for(0, 24000) == 24000
    assert lib.sp_opus_bitrate_for(3, 5000) == 40000  # under Opus's 6 kbit/s: not a maximum


def test_the_reported_loss_is_the_recent_one() -> None:
    loss = codecs.ReportedLoss()
    sent = lost = 0
    for i in range(1, 40):  # a report every 1.7 s: 10 % lost for 30 s, then none
        sent += 85
        lost += 8 if i <= 18 else 0
        loss.observe(1, sent=sent, lost=lost, reports=i, now=i * 1.7)
        if i == 18:
            assert loss.applied == 10
    assert loss.applied == 0  # the window has passed the lossy part


def test_a_new_call_with_an_ended_calls_id_starts_from_the_default() -> None:
    loss = codecs.ReportedLoss()
    loss.observe(0, sent=10, lost=0, reports=1, now=0.0)
    loss.observe(0, sent=900, lost=0, reports=9, now=18.0)
    assert loss.applied == 0  # a call without loss: FEC off
    loss.forget(0)
    loss.observe(0, sent=950, lost=0, reports=10, now=19.0)  # its last figures, read late
    assert loss.applied == -1
    # the next call gets id 0 again; its counters start over
    loss.observe(0, sent=10, lost=0, reports=1, now=20.0)
    assert loss.applied == -1  # the default (10 %) until its own reports say more
    loss.observe(0, sent=160, lost=15, reports=3, now=23.0)
    assert loss.applied == 10  # its own figures at once, not after the old ones left the window

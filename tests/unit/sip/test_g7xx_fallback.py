"""Without the compiled module (or with SOFTPHONE_PJMEDIA_PLC=1), G.722 and G.711 keep
pjmedia's own concealment: registering ours says why in the log and the phone goes on."""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

import pytest

import softphone.sip.audio
from softphone.sip import codecs


def test_without_the_compiled_module_pjmedia_keeps_concealing(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("SOFTPHONE_PJMEDIA_PLC", raising=False)
    monkeypatch.setitem(sys.modules, "softphone.sip.audio._opus", None)  # import fails
    monkeypatch.delattr(softphone.sip.audio, "_opus", raising=False)
    with caplog.at_level(logging.WARNING, logger="softphone.sip"):
        assert codecs.register_g7xx_plc(SimpleNamespace()) is False
    assert "left to pjmedia" in caplog.text and "compiled module is missing" in caplog.text
    assert codecs.describe_concealment().startswith("pjmedia's: the compiled module is missing")


def test_the_environment_can_ask_for_pjmedias_concealment(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SOFTPHONE_PJMEDIA_PLC", "1")
    with caplog.at_level(logging.INFO, logger="softphone.sip"):
        assert codecs.register_g7xx_plc(SimpleNamespace()) is False
    assert "SOFTPHONE_PJMEDIA_PLC=1" in caplog.text
    assert codecs.describe_concealment() == "pjmedia's: SOFTPHONE_PJMEDIA_PLC=1"


@pytest.fixture(autouse=True)
def status_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a test registers here is not what the process's engine registered."""
    monkeypatch.setattr(codecs.ConcealmentStatus, "ours", codecs.ConcealmentStatus.ours)
    monkeypatch.setattr(codecs.ConcealmentStatus, "reason", codecs.ConcealmentStatus.reason)


def test_diagnostics_say_ours_before_and_after_the_engine_registers_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOFTPHONE_PJMEDIA_PLC", raising=False)
    monkeypatch.setattr(codecs.ConcealmentStatus, "reason", "not registered yet")
    assert codecs.describe_concealment().startswith("ours (g7xx_plc.c")
    assert codecs.describe_concealment().endswith("from the engine's start")
    monkeypatch.setattr(codecs.ConcealmentStatus, "ours", True)
    assert codecs.describe_concealment() == \
        "ours (g7xx_plc.c: pitch repetition) for G.722, PCMA, PCMU"

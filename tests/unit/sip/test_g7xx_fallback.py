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


def test_the_environment_can_ask_for_pjmedias_concealment(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SOFTPHONE_PJMEDIA_PLC", "1")
    with caplog.at_level(logging.INFO, logger="softphone.sip"):
        assert codecs.register_g7xx_plc(SimpleNamespace()) is False
    assert "SOFTPHONE_PJMEDIA_PLC=1" in caplog.text

"""Settings > Audio: echo cancellation, noise suppression, automatic gain and tail length go
to softphone.toml and reach the audio backend; the call panel shows what runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from softphone.app import apply_voice_settings
from softphone.settings import load_settings, save_settings


def test_audio_page_choices_are_saved(qtbot: Any, tmp_path: Path) -> None:
    from softphone.settings import Settings
    from softphone.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), {})
    qtbot.addWidget(dialog)
    assert dialog.echo_cancellation.isChecked() and dialog.noise_suppression.isChecked()
    assert not dialog.automatic_gain.isChecked() and dialog.echo_tail.value() == 250
    dialog.echo_cancellation.setChecked(False)
    assert not dialog.echo_tail.isEnabled()  # a tail without a canceller means nothing
    dialog.automatic_gain.setChecked(True)
    dialog.echo_tail.setValue(400)
    got: list[Any] = []
    dialog.accepted_settings.connect(lambda s, p: got.append(s))
    dialog._on_ok_clicked()
    audio = got[0].audio
    assert (audio.echo_cancellation, audio.noise_suppression, audio.automatic_gain,
            audio.echo_tail_ms) == (False, True, True, 400)
    save_settings(tmp_path, got[0])
    text = (tmp_path / "softphone.toml").read_text()
    assert "echo_cancellation = false" in text and "automatic_gain = true" in text
    assert load_settings(tmp_path).audio == audio


def test_a_change_reaches_the_audio_backend_on_the_sip_thread() -> None:
    from softphone.settings import AudioSettings

    calls: list[tuple[Any, ...]] = []

    class Audio:
        def set_voice_processing(self, *args: Any) -> None:
            calls.append(args)

    class Engine:
        audio = Audio()

        def run_on_sip_thread(self, fn: Any) -> None:
            fn()

    old = AudioSettings()
    apply_voice_settings(Engine(), old, old)
    assert calls == []  # nothing changed: nothing to do
    apply_voice_settings(Engine(), AudioSettings(automatic_gain=True), old)
    assert calls == [(True, True, True, 250)]


def test_call_panel_shows_what_runs(qtbot: Any) -> None:
    from softphone.ui.call_panel import CallPanel

    panel = CallPanel()
    qtbot.addWidget(panel)
    panel.set_voice_processing(True, True, False)
    assert panel.voice_label.text() == "Echo cancellation, noise suppression"
    panel.set_voice_processing(False, False, True, "why")
    assert panel.voice_label.text() == "Automatic gain"
    panel.set_voice_processing(False, False, False)
    assert "no echo cancellation" in panel.voice_label.text().lower()

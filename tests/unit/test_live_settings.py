"""Which saved settings apply at once and to what, which need a restart, and the restart's
command line."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from softphone.live_settings import apply_audio, apply_live, relaunch_command, restart_reasons
from softphone.settings import Settings


class Parts:
    """The app's parts that apply_live touches, recording what was done to them."""

    def __init__(self, *, wrapup_built: bool = True, engine: bool = True) -> None:
        self.log: list[tuple[str, Any]] = []
        self.report: Any = SimpleNamespace(changed=False, phones=0, calls=0)
        log, parts = self.log, self

        class Store:
            def set_agent(self, agent: str | None) -> None:
                log.append(("agent", agent))

            def set_region(self, region: str) -> Any:
                log.append(("region", region))
                return parts.report

        class Db:
            def submit(self, job: Any, done: Any, error: Any) -> None:
                done(job(Store()))

        class Wrapup:
            def set_outcomes(self, outcomes: tuple[str, ...]) -> None:
                log.append(("outcomes", outcomes))

        class Window:
            wrapup_page = SimpleNamespace(built=Wrapup() if wrapup_built else None)

            def refresh_data(self) -> None:
                log.append(("refresh", None))

            def show_message(self, text: str) -> None:
                log.append(("message", text))

        class Audio:
            def set_devices(self, *devices: str | None) -> None:
                log.append(("devices", devices))

            def set_ring_volume(self, volume: float) -> None:
                log.append(("ring volume", volume))

        class Engine:
            audio = Audio()

            def run_on_sip_thread(self, fn: Any) -> None:
                log.append(("sip thread", None))
                fn()

        self.window = Window()
        self.db = Db()
        self.workflow = SimpleNamespace(agent="anna")
        self.engine = Engine() if engine else None


def test_nothing_changed_applies_nothing() -> None:
    parts = Parts()
    apply_live(parts, Settings(), Settings(), "anna")
    assert parts.log == []


def test_a_new_region_or_agent_reaches_the_store_and_the_workflow() -> None:
    parts = Parts()
    new = Settings(crm=replace(Settings().crm, default_region="DE"))
    apply_live(parts, Settings(), new, "boris")
    assert parts.log == [("agent", "boris"), ("region", "DE")]
    assert parts.workflow.agent == "boris"


def test_numbers_normalised_by_a_new_region_are_announced() -> None:
    parts = Parts()
    parts.report = SimpleNamespace(changed=True, phones=3, calls=4)
    apply_live(parts, Settings(), Settings(crm=replace(Settings().crm, default_region="RU")),
               "anna")
    assert ("refresh", None) in parts.log
    (message,) = [text for kind, text in parts.log if kind == "message"]
    assert "RU" in message and "7" in message


def test_new_outcomes_reach_a_built_wrapup_panel_only() -> None:
    new = Settings(calls=replace(Settings().calls, outcomes=("sold", "call back")))
    parts = Parts()
    apply_live(parts, Settings(), new, "anna")
    assert parts.log == [("outcomes", ("sold", "call back"))]
    parts = Parts(wrapup_built=False)  # built later, with the new ones
    apply_live(parts, Settings(), new, "anna")
    assert parts.log == []


def test_new_sound_settings_are_applied_on_the_sip_thread() -> None:
    new = Settings(audio=replace(Settings().audio, input="Headset", output="Headset",
                                 ringer="Speakers", ring_volume=0.3))
    parts = Parts()
    apply_live(parts, Settings(), new, "anna")
    assert parts.log == [("sip thread", None), ("devices", ("Headset", "Headset", "Speakers")),
                         ("ring volume", 0.3)]
    parts = Parts(engine=False)
    apply_live(parts, Settings(), new, "anna")  # no engine yet: used when it starts
    assert parts.log == []


def test_an_engine_that_is_not_running_is_not_an_error() -> None:
    class Stopped:
        audio = None

        def run_on_sip_thread(self, fn: Any) -> None:
            raise RuntimeError("the SIP thread is not running")

    apply_audio(Stopped(), Settings())  # logged, not raised


def test_only_the_language_and_the_database_need_a_restart() -> None:
    old = Settings()
    assert restart_reasons(old, Settings(audio=replace(old.audio, ring_volume=0.1))) == []
    both = Settings(ui=replace(old.ui, language="ru"),
                    crm=replace(old.crm, database_url="postgresql://db/crm"))
    assert restart_reasons(old, both) == ["the interface language", "the contact database"]


def test_the_restart_command_keeps_the_profile_and_verbosity(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    assert relaunch_command(tmp_path) == [sys.executable, "-m", "softphone", "--profile",
                                          str(tmp_path)]
    assert relaunch_command(tmp_path, verbose=True)[-1] == "--verbose"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert relaunch_command(tmp_path)[:2] == [sys.executable, "--profile"]

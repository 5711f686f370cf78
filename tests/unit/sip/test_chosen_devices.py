"""ChosenDevices: the chosen device by name, the default instead (said once), the chosen one
looked for again while idle, and said back; against a scripted device list."""

from __future__ import annotations

from typing import Any

import pytest

from softphone.sip.audio import chosen_devices
from softphone.sip.audio import devices as dev
from softphone.sip.audio.chosen_devices import ChosenDevices

BUILTIN = {"name": "Built-in Audio (hw:0,0)", "hostapi": 0, "max_input_channels": 2,
           "max_output_channels": 2, "default_samplerate": 44100.0}
HEADSET = {"name": "USB Headset (hw:1,0)", "hostapi": 0, "max_input_channels": 1,
           "max_output_channels": 2, "default_samplerate": 16000.0}


class ListedSd:
    """``sounddevice``'s listing: what is plugged shows after a re-initialisation."""

    class default:
        hostapi = 0

    def __init__(self, devices: list[dict[str, Any]]) -> None:
        self.plugged = list(devices)
        self.listed = list(devices)
        self.rescans = 0

    def query_hostapis(self) -> list[dict[str, Any]]:
        return [{"name": "ALSA", "default_input_device": 0, "default_output_device": 0}]

    def query_devices(self) -> list[dict[str, Any]]:
        return self.listed

    def _terminate(self) -> None:
        pass

    def _initialize(self) -> None:
        self.listed = list(self.plugged)
        self.rescans += 1


def chosen(sd: ListedSd, **names: str | None) -> tuple[ChosenDevices, list[tuple[str, str]]]:
    notices: list[tuple[str, str]] = []
    roles = {"input": None, "output": None, "ringer": None, **names}
    return (ChosenDevices(sd, roles, dev.list_devices(sd),
                          lambda kind, _message, device: notices.append((kind, device))),
            notices)


def test_the_chosen_device_by_name_else_the_default_said_once() -> None:
    sd = ListedSd([BUILTIN, HEADSET])
    c, notices = chosen(sd, input=HEADSET["name"], output="Gone Speaker")
    assert c.resolve("input") == 1
    assert c.resolve("output") == 0  # the default
    assert c.resolve("output") == 0
    assert notices == [("fallback", "Gone Speaker")]
    assert c.missing == {"output": "Gone Speaker"}
    assert c.resolve("ringer") == 0  # none chosen: the default, nothing to say


def test_rates_come_from_the_device_or_a_sane_default() -> None:
    c, _ = chosen(ListedSd([BUILTIN, HEADSET]))
    assert c.rate_of(HEADSET["name"], output=False) == 16000
    assert c.rate_of("Not Here", output=True) == 44100  # the default device's
    empty, _ = chosen(ListedSd([]))
    assert empty.rate_of(None, output=True) == 48000


def test_a_missing_device_is_looked_for_while_idle_and_said_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chosen_devices, "RESCAN_SECONDS", 0.0)
    sd = ListedSd([BUILTIN])
    c, notices = chosen(sd, input=HEADSET["name"])
    c.resolve("input")
    sd.plugged = [BUILTIN, HEADSET]
    c.look_for_missing(streams_open=True)  # never while a stream is open
    assert sd.rescans == 0
    c.look_for_missing(streams_open=False)
    assert sd.rescans == 1
    assert ("device_back", HEADSET["name"]) in notices and not c.missing
    assert c.resolve("input") == 1
    c.look_for_missing(streams_open=False)  # nothing missing, nothing asked: no rescan
    assert sd.rescans == 1


def test_a_rescan_asked_for_happens_at_most_once_a_second() -> None:
    sd = ListedSd([BUILTIN])
    c, _ = chosen(sd)
    c.rescan_requested = True
    c.look_for_missing(streams_open=False)
    assert sd.rescans == 1 and not c.rescan_requested
    c.rescan_requested = True
    c.look_for_missing(streams_open=False)  # the last one was just now
    assert sd.rescans == 1 and c.rescan_requested


def test_after_a_failure_the_lost_device_is_missing_and_the_default_carries_on() -> None:
    sd = ListedSd([BUILTIN, HEADSET])
    c, notices = chosen(sd, input=HEADSET["name"], output=HEADSET["name"])
    sd.plugged = [BUILTIN]
    c.after_failure(["input", "output"], {"input": HEADSET["name"], "output": HEADSET["name"]})
    assert c.missing == {"input": HEADSET["name"], "output": HEADSET["name"]}
    assert notices == [("fallback", BUILTIN["name"])] * 2
    sd.plugged = []
    c.after_failure(["input"], {"input": BUILTIN["name"]})
    assert notices[-1] == ("unavailable", BUILTIN["name"])


def test_choosing_again_forgets_what_was_missing() -> None:
    c, _ = chosen(ListedSd([BUILTIN]), input="Gone")
    c.resolve("input")
    c.choose({"input": BUILTIN["name"], "output": None, "ringer": None})
    assert c.missing == {} and c.resolve("input") == 0

"""The sound devices PortAudio lists, the ones the settings chose (by name, per role), and the
chosen ones that are gone: looked for again while no stream is open, since PortAudio only
re-reads its list when re-initialised (device thread, except where noted)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from softphone.sip.audio import devices as dev
from softphone.sip.media_api import DeviceInfo

log = logging.getLogger("softphone.sip.audio")

RESCAN_SECONDS = 5.0  # how often a missing chosen device is looked for while idle
NotifyFn = Callable[[str, str, str], None]  # kind, message, device


class ChosenDevices:
    def __init__(self, sd: Any, names: dict[str, str | None], devices: list[DeviceInfo],
                 notify: NotifyFn) -> None:
        self._sd = sd
        self.names = names  # role -> the chosen device's name (None: the default); SIP thread
        self.devices = devices  # PortAudio's list at its last scan
        self._notify = notify
        self.missing: dict[str, str] = {}  # role -> chosen device name that is gone
        self.last_rescan = 0.0
        self.rescan_requested = False  # SIP thread: a fresh list is wanted (settings open)

    def choose(self, names: dict[str, str | None]) -> None:
        """SIP thread: the settings chose other devices."""
        self.names = names
        self.missing.clear()

    def rate_of(self, name: str | None, output: bool) -> int:
        i = dev.find_device(self.devices, name, output)
        if i is None:
            i = dev.find_device(self.devices, None, output)
        rate = int(self.devices[i].default_samplerate) if i is not None else 48000
        return rate if rate >= 8000 else 48000

    def resolve(self, role: str) -> int | None:
        """The device for ``role``: the chosen one, else the default (said once)."""
        name = self.names[role]
        output = role != "input"
        index = dev.find_device(self.devices, name, output)
        if index is None and name is not None:
            if role not in self.missing:
                self.missing[role] = name
                self._notify("fallback", f"{name} is not available: using the default device "
                             f"for the {role}.", name)
            index = dev.find_device(self.devices, None, output)
        return index

    def after_failure(self, roles: list[str], names: dict[str, str]) -> None:
        """Devices failed and every stream is closed: re-read the list; for each role, the
        device that failed is looked for again, the default carries on meanwhile."""
        self.rescan()
        for role in roles:
            chosen = self.names[role] or names[role]
            if dev.find_device(self.devices, chosen, role != "input") is None:
                self.missing[role] = chosen
                fallback = dev.find_device(self.devices, None, role != "input")
                if fallback is not None:
                    self._notify("fallback", f"The call goes on with "
                                 f"{self.devices[fallback].name} for the {role}.",
                                 self.devices[fallback].name)
                else:
                    self._notify("unavailable", "No sound device is left for the "
                                 f"{role}: the call goes on without it.", names[role])

    def rescan(self) -> None:
        try:
            dev.rescan(self._sd)
            self.devices = dev.list_devices(self._sd)
        except Exception:
            log.exception("re-scanning sound devices")
            self.devices = []
        self.last_rescan = time.monotonic()

    def look_for_missing(self, streams_open: bool) -> None:
        """While no stream is open: re-read the list when asked (at most once a second) or,
        with a chosen device gone, every RESCAN_SECONDS; say when it is back."""
        if streams_open:
            return
        since = time.monotonic() - self.last_rescan
        if self.rescan_requested and since >= 1.0:
            self.rescan_requested = False
        elif not self.missing or since < RESCAN_SECONDS:
            return
        self.rescan()
        for role, name in list(self.missing.items()):
            if dev.find_device(self.devices, name, role != "input") is not None:
                del self.missing[role]
                self._notify("device_back", f"{name} is back and will be used.", name)

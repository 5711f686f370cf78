"""Loading PortAudio (through ``sounddevice``), listing devices and choosing them by name.

Every function that calls PortAudio must run on the backend's device thread (or before it
starts): PortAudio is not thread-safe and its device list only changes on a re-scan
(``Pa_Terminate`` + ``Pa_Initialize``), which needs every stream closed first.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
from typing import Any

from softphone.sip.media_api import DeviceInfo

log = logging.getLogger("softphone.sip.audio")

#: JACK client name of the app's streams (PortAudio names its ports ``NAME:in_N``/``out_N``).
JACK_CLIENT_NAME = os.environ.get("SOFTPHONE_JACK_NAME", "softphone")
_client_name_buf: Any = None  # PortAudio keeps the pointer: keep the buffer alive

HOW_TO_FIX = (
    "Install the PortAudio library (Debian/Ubuntu: sudo apt install libportaudio2; "
    "Fedora: sudo dnf install portaudio) and restart the softphone."
)


class PortAudioUnavailable(RuntimeError):
    """PortAudio cannot be loaded or initialised; the message is fit to show a user."""


def load_portaudio() -> Any:
    """Import ``sounddevice`` (which loads PortAudio) and name our JACK client.

    Raises :class:`PortAudioUnavailable` with a message that names what is missing and how to
    fix it. ``SOFTPHONE_NO_PORTAUDIO=1`` makes it fail on purpose (a support switch).
    """
    if os.environ.get("SOFTPHONE_NO_PORTAUDIO") == "1":
        raise PortAudioUnavailable("Sound is switched off (SOFTPHONE_NO_PORTAUDIO=1).")
    try:
        import sounddevice as sd
    except OSError as exc:  # the shared library is missing or broken
        raise PortAudioUnavailable(
            f"The PortAudio sound library could not be loaded ({exc}). {HOW_TO_FIX}"
        ) from exc
    except ImportError as exc:
        raise PortAudioUnavailable(
            f"The Python package 'sounddevice' is missing ({exc}). Reinstall the softphone."
        ) from exc
    _set_jack_client_name(sd)
    return sd


def _set_jack_client_name(sd: Any) -> None:
    """Re-initialise PortAudio with our JACK client name (only matters under JACK)."""
    global _client_name_buf
    try:
        lib = ctypes.CDLL(sd._libname)
        fn = lib.PaJack_SetClientName
    except (OSError, AttributeError):
        return  # a PortAudio without JACK support
    try:
        _client_name_buf = ctypes.create_string_buffer(JACK_CLIENT_NAME.encode())
        sd._terminate()
        fn.argtypes = [ctypes.c_char_p]
        fn(_client_name_buf)
    finally:
        sd._initialize()


def rescan(sd: Any) -> None:
    """Re-read the device list (hot-plug). Every stream must be closed."""
    sd._terminate()
    sd._initialize()


def list_devices(sd: Any) -> list[DeviceInfo]:
    apis = sd.query_hostapis()
    try:
        default_api = apis[sd.default.hostapi]
        default_in = default_api["default_input_device"]
        default_out = default_api["default_output_device"]
    except Exception:
        default_in = default_out = -1
    out: list[DeviceInfo] = []
    for index, dev in enumerate(sd.query_devices()):
        api = apis[dev["hostapi"]]["name"] if dev["hostapi"] < len(apis) else ""
        out.append(
            DeviceInfo(
                name=dev["name"],
                host_api=api,
                max_input_channels=int(dev["max_input_channels"]),
                max_output_channels=int(dev["max_output_channels"]),
                default_samplerate=float(dev["default_samplerate"]),
                is_default_input=index == default_in,
                is_default_output=index == default_out,
            )
        )
    return out


_HW_SUFFIX = re.compile(r"\s*\((hw|plughw):\d+,\d+\)\s*$")


def _stem(name: str) -> str:
    """ALSA names carry ``(hw:1,0)``, whose number changes when a USB device is replugged."""
    return _HW_SUFFIX.sub("", name).strip().casefold()


def find_device(devices: list[DeviceInfo], name: str | None, output: bool) -> int | None:
    """Index of the device called ``name`` that can play (``output``) or record; None if absent.

    ``name`` None means the system default. An exact name wins over one that matches without
    its ALSA ``(hw:N,M)`` suffix.
    """
    def usable(d: DeviceInfo) -> bool:
        return (d.max_output_channels if output else d.max_input_channels) > 0

    if name is None:
        for i, d in enumerate(devices):
            if usable(d) and (d.is_default_output if output else d.is_default_input):
                return i
        for i, d in enumerate(devices):
            if usable(d):
                return i
        return None
    for i, d in enumerate(devices):
        if usable(d) and d.name == name:
            return i
    stem = _stem(name)
    for i, d in enumerate(devices):
        if usable(d) and _stem(d.name) == stem:
            return i
    return None


def has_any_device(devices: list[DeviceInfo]) -> bool:
    return any(d.max_output_channels > 0 or d.max_input_channels > 0 for d in devices)

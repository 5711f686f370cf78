"""The engine's notices in the user's language.

``softphone.sip`` has no Qt and writes its notices in English (they go to the log as they
are). The window shows them through :func:`notice_text`: sound notices by their ``kind`` and
device, the causes the audio layer names (no PortAudio, no device, JACK gone) in full
sentences, and an engine error by the command that failed. A technical detail the user
cannot act on stays in the log.
"""

from __future__ import annotations

import logging

from softphone.sip import events as ev
from softphone.ui.common import translate

log = logging.getLogger("softphone.ui")


def audio_notice_text(notice: ev.AudioDeviceNotice) -> str:
    message, device = notice.message, notice.device
    if notice.kind == "device_back":
        return translate("EngineMessages", "%1 is back and will be used.").replace("%1", device)
    if notice.kind == "fallback":
        if message.startswith("The call goes on with"):
            return translate("EngineMessages", "The call goes on with %1.").replace(
                "%1", device)
        return translate("EngineMessages", "%1 is not available: the default device is "
                         "used.").replace("%1", device)
    if notice.kind == "device_lost":
        if "JACK" in message:
            return translate("EngineMessages", "The JACK sound server stopped.")
        if message.startswith("Cannot open"):
            return translate("EngineMessages", "%1 cannot be opened: check that it is "
                             "plugged in and not used by another program.").replace(
                "%1", device)
        return translate("EngineMessages", "The sound device %1 stopped working.").replace(
            "%1", device)
    # unavailable: why there is no sound, and what to do
    if "SOFTPHONE_NO_PORTAUDIO" in message:
        return translate("EngineMessages", "Sound is switched off "
                         "(SOFTPHONE_NO_PORTAUDIO=1).")
    if "PortAudio" in message and ("loaded" in message or "library" in message):
        return translate("EngineMessages", "No sound: the PortAudio library is missing. "
                         "Install it (Debian/Ubuntu: sudo apt install libportaudio2) and "
                         "restart Softphone.")
    if "sounddevice" in message:
        return translate("EngineMessages", "No sound: a part of Softphone is missing "
                         "(sounddevice). Install Softphone again.")
    if message.startswith("No sound device was found"):
        return translate("EngineMessages", "No sound device was found: calls connect but "
                         "you will hear nothing. Plug in a headset, or check that the sound "
                         "system (PulseAudio, PipeWire) runs.")
    if "JACK" in message:
        return translate("EngineMessages", "The JACK sound server stopped: the call goes on "
                         "without sound. Start JACK and restart Softphone.")
    if message.startswith("No sound device is left"):
        return translate("EngineMessages", "No sound device is left: the call goes on "
                         "without sound.")
    return translate("EngineMessages", "A sound problem: the call goes on without sound "
                     "(the details are in the log).")


def error_text(error: ev.EngineError) -> str:
    """What failed, in words; PJSIP's own wording stays in the log."""
    from softphone.sip.call_security import NO_SRTP_PEER

    if NO_SRTP_PEER in error.message:  # encrypted calls required (Accounts > Advanced)
        import re

        status = re.search(r"\((\d{3})[^)]*\)", error.message)
        text = translate("EngineMessages", "The other side does not support encrypted calls")
        if error.command == "incoming":
            text = translate("EngineMessages", "A call was refused: the caller does not "
                             "support encrypted calls")
        return f"{text} ({status.group(1)})" if status else text
    if error.message.startswith("Cannot forward the call"):
        return translate("EngineMessages", "The call could not be forwarded (the details are "
                         "in the log).")
    if error.command == "dial":
        return translate("EngineMessages", "The call could not be made (the details are in "
                         "the log).")
    if error.command == "media":
        return translate("EngineMessages", "The call's sound could not be set up (the details "
                         "are in the log).")
    if error.command == "set_accounts":
        return translate("EngineMessages", "An account could not be set up (the details are "
                         "in the log).")
    return translate("EngineMessages", "The phone could not do that (the details are in the "
                     "log).")


def notice_text(event: ev.AudioDeviceNotice | ev.EngineError) -> str:
    if isinstance(event, ev.AudioDeviceNotice):
        return audio_notice_text(event)
    return error_text(event)


def event_message(event: ev.SipEvent) -> str | None:
    """What the status bar says of an event, if anything (the window's messages)."""
    if isinstance(event, ev.AudioDeviceNotice | ev.EngineError):
        log.info("shown: %s", event.message)  # the engine's own words, for the log
        return notice_text(event)
    if isinstance(event, ev.CallForwarded):
        return translate("MainWindow", "Call from %1 forwarded to %2").replace(
            "%1", event.number or event.remote_uri).replace("%2", event.target)
    if isinstance(event, ev.TransferStatus) and event.final:
        if 200 <= event.code < 300:
            return translate("MainWindow", "Transfer done")
        return translate("MainWindow", "Transfer failed (%1)").replace("%1", str(event.code))
    return None

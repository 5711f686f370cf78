"""Settings that take effect the moment they are saved, and the two that need a restart.

``app.apply_settings`` saves the file and the keyring, then hands the old and new settings
here. Every setting of the dialog applies at once (issue 14 item 1):

- accounts, passwords, call handling: the engine (``app.apply_settings``);
- region and agent name: the store on the DB worker (the thread that normalises and writes
  calls) and the workflow; numbers that came while no region was set are normalised then and
  linked to their contacts (``softphone.crm.regions``); the lists reload;
- wrap-up outcomes: the wrap-up panel's chips;
- sound devices and ring volume: the audio backend, on the SIP thread;
- shortcuts, start at login, close to tray, do-not-disturb, presence: as before.

The interface language (every widget's text is set when it is built) and the database URL (the
open store, calls in progress and journaled writes belong to the old database) are used from
the next start: the window says so and offers to restart now (:func:`relaunch_command`).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from softphone.settings import Settings

log = logging.getLogger("softphone")


def translate(context: str, text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate(context, text)


def apply_live(parts: Any, old: Settings, new: Settings, agent: str | None) -> None:
    """Apply what changed between ``old`` and ``new`` that the engine's accounts and call
    settings do not cover (``parts``: the app's AppParts)."""
    window = parts.window
    if (new.crm.default_region, agent) != (old.crm.default_region, parts.workflow.agent):
        apply_crm_identity(parts, new.crm.default_region, agent)
    if new.calls.outcomes != old.calls.outcomes and window.wrapup_page.built is not None:
        window.wrapup_page.built.set_outcomes(new.calls.outcomes)  # else built with them
    if new.audio != old.audio and parts.engine is not None:
        apply_audio(parts.engine, new)


def apply_crm_identity(parts: Any, region: str, agent: str | None) -> None:
    """The region and agent reach the store on its worker (queued behind any job already
    there, so the next call is read with them) and the workflow."""
    parts.workflow.agent = agent
    window = parts.window

    def job(store: Any) -> Any:
        store.set_agent(agent)
        return store.set_region(region)

    def done(report: Any) -> None:
        if getattr(report, "changed", False):
            window.refresh_data()
            window.show_message(translate(
                "App", "Region %1: %2 numbers that came without a region are now "
                       "normalised and linked to their contacts.")
                .replace("%1", region).replace("%2", str(report.phones + report.calls)))

    parts.db.submit(job, done, lambda exc: window.show_message(str(exc)))


def apply_audio(engine: Any, settings: Settings) -> None:
    audio, a = engine.audio, settings.audio

    def on_sip_thread() -> None:
        audio.set_devices(a.input, a.output, a.ringer)
        audio.set_ring_volume(a.ring_volume)

    try:
        engine.run_on_sip_thread(on_sip_thread)
    except Exception as exc:  # the engine is not running: used when it starts
        log.info("sound settings not applied now: %s", exc)


def restart_reasons(old: Settings, new: Settings) -> list[str]:
    """What changed that only a restart applies, in the user's words."""
    reasons = []
    if new.ui.language != old.ui.language:
        reasons.append(translate("App", "the interface language"))
    if new.crm.database_url != old.crm.database_url:
        reasons.append(translate("App", "the contact database"))
    return reasons


def relaunch_command(profile: Path, verbose: bool = False) -> list[str]:
    """The command that starts this app again on ``profile`` (the window shown, no link to
    dial again)."""
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: the executable is the app
        command = [sys.executable]
    else:
        command = [sys.executable, "-m", "softphone"]
    command += ["--profile", str(profile)]
    if verbose:
        command.append("--verbose")
    return command


def relaunch(profile: Path, verbose: bool = False) -> None:
    """Replace this process with a new start of the app (after an orderly shutdown)."""
    command = relaunch_command(profile, verbose)
    log.info("restarting: %s", " ".join(command))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)

"""PJSIP's own log, routed into Python logging (logger ``pjsip``) with secrets redacted.

PJSIP logs whole SIP messages, including ``Authorization`` headers; every line goes through
:func:`softphone.logs.redact` here, before any handler sees it.
"""

from __future__ import annotations

import logging
from typing import Any

import pjsua2 as pj

from softphone.logs import redact
from softphone.sip.uris import valid_text

PJSIP_LOGGER = "pjsip"
log = logging.getLogger(PJSIP_LOGGER)


def python_level(pj_level: int) -> int:
    """PJSIP levels: 1 error, 2 warning, 3 info, 4+ debug (4 carries the SIP messages)."""
    if pj_level <= 1:
        return logging.ERROR
    if pj_level == 2:
        return logging.WARNING
    if pj_level == 3:
        return logging.INFO
    return logging.DEBUG


def pj_level_for(logger: logging.Logger) -> int:
    """How verbose PJSIP must be so that what the logger would drop is never formatted."""
    effective = logger.getEffectiveLevel()
    if effective <= logging.DEBUG:
        return 5
    if effective <= logging.INFO:
        return 3
    return 2


def clean_line(message: str) -> str:
    """One PJSIP log entry as it may be written anywhere: trailing newline gone, redacted."""
    return redact(valid_text(message.rstrip("\r\n")))


class PythonLogWriter(pj.LogWriter):  # type: ignore[misc]  # pjsua2 ships no type stubs
    """Receives PJSIP log entries (on whatever thread logs) and hands them to ``pjsip``."""

    def write(self, entry: Any) -> None:
        try:
            level = python_level(int(entry.level))
            if log.isEnabledFor(level):
                log.log(level, "%s", clean_line(str(entry.msg)))
        except Exception:  # a log callback must never raise into PJSIP
            pass

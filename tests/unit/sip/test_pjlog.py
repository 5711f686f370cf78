"""PJSIP's log lines reach Python logging with every secret masked."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from softphone.logs import register_secret
from softphone.sip.pjlog import PythonLogWriter, clean_line, pj_level_for, python_level

REGISTER_WITH_AUTH = (
    "10:00:00.000 pjsua_core.c .TX 612 bytes Request msg REGISTER/cseq=2 to UDP 10.0.0.1:5060:\n"
    "REGISTER sip:pbx.example.com SIP/2.0\r\n"
    'Authorization: Digest username="alice", realm="pbx", nonce="abc", '
    'uri="sip:pbx.example.com", response="0123456789abcdef0123456789abcdef", '
    'cnonce="xyz987", algorithm=MD5\r\n'
    "Proxy-Authorization: Digest username=\"alice\", response=\"feedbeef\"\r\n"
    "Content-Length: 0\r\n\r\n"
)


def test_authorization_headers_are_masked() -> None:
    line = clean_line(REGISTER_WITH_AUTH)
    assert "0123456789abcdef" not in line
    assert "feedbeef" not in line
    assert "xyz987" not in line
    assert "Authorization: ***" in line
    assert "REGISTER sip:pbx.example.com" in line  # the rest stays readable


def test_registered_password_is_masked_anywhere() -> None:
    register_secret("s3cr3t-Pa55")
    assert "s3cr3t-Pa55" not in clean_line("cred data=s3cr3t-Pa55 for alice")


def test_levels() -> None:
    assert python_level(1) == logging.ERROR
    assert python_level(2) == logging.WARNING
    assert python_level(3) == logging.INFO
    assert python_level(4) == logging.DEBUG
    assert python_level(6) == logging.DEBUG
    logger = logging.getLogger("test.pjlog.level")
    logger.setLevel(logging.DEBUG)
    assert pj_level_for(logger) == 5
    logger.setLevel(logging.WARNING)
    assert pj_level_for(logger) == 2


def test_writer_sends_redacted_lines_to_the_pjsip_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    writer = PythonLogWriter()
    with caplog.at_level(logging.DEBUG, logger="pjsip"):
        writer.write(SimpleNamespace(level=4, msg=REGISTER_WITH_AUTH))
        writer.write(SimpleNamespace(level=1, msg="sip_transport.c Error binding\n"))
    records = [r for r in caplog.records if r.name == "pjsip"]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.ERROR]
    assert "0123456789abcdef" not in records[0].getMessage()
    assert records[1].getMessage() == "sip_transport.c Error binding"


def test_writer_never_raises() -> None:
    PythonLogWriter().write(SimpleNamespace(level="not a number", msg=None))

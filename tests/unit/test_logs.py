"""Secrets never reach a log line, whoever logs them."""

from __future__ import annotations

import logging
from pathlib import Path

from softphone.logs import RotatingLog, redact, register_secret, setup_logging


def test_authorization_header_and_digest_response_are_masked() -> None:
    msg = (
        "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
        'Authorization: Digest username="alice", realm="127.0.0.1", nonce="abc", '
        'uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef"\r\n'
    )
    out = redact(msg)
    assert "0123456789abcdef" not in out
    assert "Authorization: ***" in out


def test_password_settings_and_urls_are_masked() -> None:
    assert "s3cr3t" not in redact('password = "s3cr3t"')
    assert "pw123" not in redact("postgresql+psycopg://agent:pw123@db/crm")


def test_registered_secret_is_masked_in_the_log_file(profile_dir: Path) -> None:
    path = setup_logging(profile_dir, verbose=True, console=False)
    assert path is not None
    register_secret("Tr0ub4dor&3")
    logging.getLogger("softphone.test").info("user typed %s by mistake", "Tr0ub4dor&3")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text("utf-8")
    assert "user typed *** by mistake" in text
    assert "Tr0ub4dor" not in text


def test_a_second_setup_closes_the_log_file_it_replaces(profile_dir: Path,
                                                        tmp_path: Path) -> None:
    setup_logging(profile_dir, console=False)
    first = [h for h in logging.getLogger().handlers if getattr(h, "_softphone", False)]
    other = tmp_path / "other-profile"
    other.mkdir()
    path = setup_logging(other, console=False)
    assert [getattr(h, "stream", None) for h in first] == [None]  # closed, not left to the GC
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "_softphone", False)]
    assert len(handlers) == 1 and path is not None
    assert handlers[0].baseFilename == str(path)  # type: ignore[attr-defined]


def test_the_log_file_rotates_at_its_size_and_keeps_its_backups(tmp_path: Path) -> None:
    path = tmp_path / "softphone.log"
    handler = RotatingLog(path, max_bytes=1000, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("test.rotation")
    log.propagate = False
    log.addHandler(handler)
    try:
        for i in range(60):  # 60 lines of 50 bytes: 3,000 bytes through a 1,000-byte file
            log.warning("line %02d %s", i, "x" * 41)
    finally:
        log.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["softphone.log", "softphone.log.1", "softphone.log.2"]
    for name in files:
        assert 0 < (tmp_path / name).stat().st_size <= 1000
    lines = [(tmp_path / n).read_text("utf-8").splitlines() for n in reversed(files)]
    kept = [line[5:7] for part in lines for line in part]
    assert kept == [f"{i:02d}" for i in range(60 - len(kept), 60)]  # the newest, in order
    assert len(kept) >= 50

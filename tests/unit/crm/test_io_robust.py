"""Whatever a user feeds the importer, the answer is a report or a clear error, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softphone.crm.io import ImportFileError, ParsedFile, read_contacts

_PIECES = st.sampled_from([
    "Name", "Phone", "ФИО", "Телефон", "E-mail", "Tags", "Notes", ",", ";", "\t", "\n", "\r\n",
    '"', '""', "+7 916 123-45-67", "8 (495) 123-45-67 доб. 1", "a@b.example", "#N/A", " ",
    "BEGIN:VCARD", "END:VCARD", "FN:", "TEL;TYPE=CELL:", "N;ENCODING=QUOTED-PRINTABLE:=D0=",
    "=", "\\", "\\n", "item1.", "X-ABLabel:", "\x00", "\ufeff", "Иван", "sep=;",
])


def _check(path: Path) -> None:
    try:
        parsed = read_contacts(path)
    except ImportFileError as exc:
        assert str(exc)
        return
    assert isinstance(parsed, ParsedFile)
    for record in parsed.records:
        assert record.name.strip()
        assert record.phones or record.emails
    for row in [*parsed.skipped, *parsed.warnings]:
        assert row.reason


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_PIECES, max_size=60), suffix=st.sampled_from([".csv", ".vcf", ".txt"]))
def test_assembled_garbage(tmp_path: Path, parts: list[str], suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes("".join(parts).encode("utf-8"))
    _check(path)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".vcf"]))
def test_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(b"Name;Phone\n" + data if suffix == ".csv" else data)
    _check(path)

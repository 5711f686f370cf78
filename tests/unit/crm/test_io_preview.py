"""The import preview and the user's mapping (softphone.crm.io_preview), without a window."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.crm.io_preview import columns_from_mapping, preview, read_planned


def test_preview_detects_and_a_changed_mapping_is_read(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("Name\tPhone 1 - Value\tPhone 1 - Type\tCity\nAnn\t+1 212 555 0101\tMobile\tNYC\n"
                 "Bob\t\t\tLA\n", encoding="utf-8")
    p = preview(f)
    assert (p.format, p.encoding, p.delimiter) == ("csv", "utf-8", "\t")
    assert p.mapping == ["name", "phone:work", "phone-type", "keep"]
    assert p.rows[0][:2] == ["Ann", "+1 212 555 0101"]
    parsed = read_planned(p.plan(["name", "phone:work", "phone-type", "tags"]))
    (ann,) = parsed.records
    assert ann.phones == [("+1 212 555 0101", "mobile")]  # the label column still counts
    assert ann.tags == ["NYC"] and "City" not in ann.notes
    assert [(s.source_row, s.reason) for s in parsed.skipped] == [
        (3, "no phone number or e-mail")]


def test_a_forced_delimiter_and_encoding(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_bytes("Имя,Телефон\r\nЯна,+7 495 111-22-33\r\n".encode("koi8-r"))
    p = preview(f, encoding="koi8-r", delimiter=",")
    assert p.header == ["Имя", "Телефон"] and p.rows == [["Яна", "+7 495 111-22-33"]]


@pytest.mark.parametrize(("mapping", "problem"), [
    (["name", "name"], "two columns are taken for name"),
    (["name", "skip"], "no column is taken for a phone number or an e-mail"),
])
def test_mappings_that_cannot_work(mapping: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        columns_from_mapping(["A", "B"], mapping)


def test_a_batch_the_database_refused_is_tried_again(tmp_path: Path) -> None:
    """SQLite refuses at once a read transaction's upgrade when another writer committed
    meanwhile (the app logging a call): that batch was not written and goes again."""
    from softphone.crm.errors import DatabaseLockedError
    from softphone.crm.io_preview import import_planned
    from softphone.crm.records import ImportResult

    f = tmp_path / "c.csv"
    f.write_text("Name,Phone\n" + "".join(f"P{i},+1 212 555 {i:04d}\n" for i in range(7)))

    class Store:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def import_contacts(self, batch: list, batch_size: int) -> ImportResult:
            self.calls.append(len(batch))
            if len(self.calls) == 2:
                raise DatabaseLockedError()
            return ImportResult(created=len(batch))

    store = Store()
    pauses: list[float] = []
    done = import_planned(store, preview(f).plan(), batch_size=3, sleep=pauses.append)
    assert store.calls == [3, 3, 3, 1] and pauses == [0.1]
    assert (done.report.result.created, done.done, done.cancelled) == (7, 7, False)

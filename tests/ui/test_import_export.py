"""Contacts > Import / Export in the window: the preview with the detected encoding, delimiter
and column mapping (changed by the user), the summary with the skipped rows saved as a file,
a large file with progress and Cancel while calls keep ringing with their cards, and export
of all or the selected contacts as CSV or vCard. Real store, real baresip callers."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def _choose_file(qtbot: Any, dialog: Any, path: Path) -> None:
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    dialog.selectFile(str(path))
    dialog.accept()


def _import_dialog(qtbot: Any, window: Any, path: Path) -> Any:
    window.import_action.trigger()
    _choose_file(qtbot, window.import_file_dialog, path)
    qtbot.waitUntil(lambda: getattr(window, "import_dialog", None) is not None
                    and window.import_dialog.isVisible(), timeout=5000)
    dialog = window.import_dialog
    qtbot.waitUntil(lambda: dialog.preview is not None or dialog.preview_error.isVisible(),
                    timeout=10_000)
    return dialog


def test_preview_mapping_summary_and_skipped_rows(qtbot: Any, app: Any, tmp_path: Path,
                                                  make_baresip: Any, engine: Any) -> None:
    source = tmp_path / "клиенты.csv"
    source.write_bytes((
        "ФИО;Телефон;Компания;Город;Примечание\r\n"
        "Иван Петров;8 (495) 123-45-67;Ромашка;Москва;звонить после обеда\r\n"
        "Анна Смирнова;+7 916 555-12-34;;Тверь;\r\n"
        "Без телефона;;Ромашка;Москва;нет номера\r\n"
        "Олег Сидоров;8-812-555-66-77;Нева;Санкт-Петербург;\r\n").encode("cp1251"))
    window = app.window
    dialog = _import_dialog(qtbot, window, source)
    assert dialog.format_label.text() == "CSV"
    assert dialog.encoding_combo.currentText() == "cp1251"
    assert dialog.delimiter_combo.currentData() == ";"
    assert dialog.mapping() == ["name", "phone:work", "company", "keep", "notes"]
    assert dialog.table.item(1, 0).text() == "Иван Петров"  # row 0 holds the field choices
    # the user takes the city as a tag instead of a note
    city = dialog.table.cellWidget(0, 3)
    city.setCurrentIndex(city.findData("tags"))
    city.activated.emit(city.currentIndex())
    # a mapping that cannot make a contact is refused before anything is written
    phone = dialog.table.cellWidget(0, 1)
    phone.setCurrentIndex(phone.findData("skip"))
    phone.activated.emit(phone.currentIndex())
    assert not dialog.import_button.isEnabled() and dialog.preview_error.isVisible()
    phone.setCurrentIndex(phone.findData("phone:mobile"))
    phone.activated.emit(phone.currentIndex())
    assert dialog.import_button.isEnabled()

    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.summary_page,
                    timeout=30_000)
    assert dialog.summary_label.text() == \
        "Created 3, merged into existing contacts 0, skipped 1."
    assert dialog.skipped_table.rowCount() == 1
    assert dialog.skipped_table.item(0, 0).text() == "4"
    assert dialog.skipped_table.item(0, 1).text() == "no phone number or e-mail"

    # the skipped rows, saved to fix and import again: header, the row, why
    qtbot.mouseClick(dialog.save_skipped_button, Qt.MouseButton.LeftButton)
    target = tmp_path / "skipped.csv"
    _choose_file(qtbot, dialog.file_dialog, target)
    qtbot.waitUntil(target.exists, timeout=10_000)
    rows = list(csv.reader(target.read_text("utf-8").splitlines(), delimiter=";"))
    assert rows == [["ФИО", "Телефон", "Компания", "Город", "Примечание", "Skipped because"],
                    ["Без телефона", "", "Ромашка", "Москва", "нет номера",
                     "no phone number or e-mail"]]
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)

    contacts = db_call(qtbot, app, lambda s: s.search("Петров"))
    assert [c.name for c in contacts] == ["Иван Петров"]
    ivan = contacts[0]
    assert list(ivan.tags) == ["Москва"] and ivan.phones[0].label == "mobile"
    assert "звонить после обеда" in ivan.notes

    # the contact list shows them without being told to
    window.tabs.setCurrentWidget(window.contacts)
    qtbot.waitUntil(lambda: window.contacts.list.count() == 3, timeout=10_000)

    # and the imported number, written another way, names the caller
    caller = make_baresip(user="74951234567", auto_answer=False)
    caller.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: any(c.name_label.text() == "Иван Петров"
                                for c in window.cards.values()), timeout=10_000)
    caller.hangup()
    qtbot.waitUntil(lambda: not window.cards, timeout=10_000)


def _big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Name", "Phone", "Company"])
        for i in range(rows):
            w.writerow([f"Customer {i}", f"+1 212 7{i:06d}", f"Company {i % 500}"])


def test_large_file_progress_cancel_while_a_call_rings(qtbot: Any, app: Any, tmp_path: Path,
                                                       make_baresip: Any,
                                                       engine: Any) -> None:
    db_call(qtbot, app, lambda s: s.create_contact("Dana Scully",
                                                   phones=[("+7 495 555-44-33", "work")]))
    source = tmp_path / "big.csv"
    _big_csv(source, 150_000)
    window = app.window
    dialog = _import_dialog(qtbot, window, source)
    assert dialog.mapping() == ["name", "phone:work", "company"]
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.pages.currentWidget() is dialog.progress_page
    qtbot.waitUntil(lambda: dialog.progress_bar.maximum() == 150_000
                    and dialog.progress_bar.value() > 0, timeout=60_000)
    assert dialog.progress_label.text().startswith("Importing: ")

    # the phone keeps working meanwhile: a call rings with its card and its contact
    caller = make_baresip(user="+74955554433", auto_answer=False)
    caller.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: any(c.name_label.text() == "Dana Scully"
                                for c in window.cards.values()), timeout=15_000)
    assert dialog.pages.currentWidget() is dialog.progress_page  # still importing
    caller.hangup()

    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.summary_page,
                    timeout=60_000)
    outcome = dialog.result
    assert outcome.cancelled and 0 < outcome.done < 150_000
    assert dialog.summary_label.text().startswith(
        f"Cancelled after {outcome.done} of 150000 contacts; the rest was not imported.")
    stored = db_call(qtbot, app, lambda s: s.count_contacts(), timeout=30_000)
    assert stored == outcome.report.result.created + 1 == outcome.done + 1
    qtbot.waitUntil(lambda: not window.cards, timeout=10_000)


def test_export_all_or_selected_as_csv_or_vcard(qtbot: Any, app: Any, tmp_path: Path) -> None:
    for name, number in (("Alice Archer", "+1 212 555 0101"), ("Bob Baker", "+1 212 555 0102"),
                         ("Carol Cole", "+1 212 555 0103")):
        db_call(qtbot, app, lambda s, n=name, p=number: s.create_contact(n, phones=[(p, "work")]))
    window = app.window
    window.tabs.setCurrentWidget(window.contacts)
    contact_list = window.contacts.list
    qtbot.waitUntil(lambda: contact_list.count() == 3, timeout=10_000)
    contact_list.item(0).setSelected(True)
    contact_list.item(2).setSelected(True)
    assert len(window.contacts.selected_ids()) == 2

    window.export_selected_action.trigger()
    dialog = window.export_file_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    vcf = tmp_path / "two.vcf"
    dialog.selectNameFilter("vCard (*.vcf)")
    _choose_file(qtbot, dialog, vcf)
    qtbot.waitUntil(lambda: "2 contacts exported" in window.statusBar().currentMessage(),
                    timeout=10_000)
    text = vcf.read_text("utf-8")
    assert text.count("BEGIN:VCARD") == 2
    assert "Alice Archer" in text and "Carol Cole" in text and "Bob Baker" not in text

    window.export_all_action.trigger()
    dialog = window.export_file_dialog
    all_csv = tmp_path / "all.csv"
    _choose_file(qtbot, dialog, all_csv)
    qtbot.waitUntil(all_csv.exists, timeout=10_000)
    rows = list(csv.reader(all_csv.read_text("utf-8").splitlines()))
    assert len(rows) == 4 and {r[0] for r in rows[1:]} == {"Alice Archer", "Bob Baker",
                                                           "Carol Cole"}

    # the vCard file goes back in: both merge into the contacts they came from
    dialog = _import_dialog(qtbot, window, vcf)
    assert dialog.format_label.text() == "vCard"
    assert not dialog.delimiter_combo.isEnabled()
    assert dialog.table.horizontalHeaderItem(0).text() == "Name"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.summary_page,
                    timeout=30_000)
    assert dialog.summary_label.text() == \
        "Created 0, merged into existing contacts 2, skipped 0."
    assert not dialog.save_skipped_button.isEnabled()


def test_a_file_that_is_not_contacts_is_explained(qtbot: Any, app: Any, tmp_path: Path) -> None:
    odd = tmp_path / "report.xlsx"
    odd.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    dialog = _import_dialog(qtbot, app.window, odd)
    assert dialog.preview_error.isVisible()
    assert "Excel workbook" in dialog.preview_error.text()
    assert not dialog.import_button.isEnabled()
    dialog.reject()

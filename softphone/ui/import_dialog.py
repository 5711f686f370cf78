"""Contacts > Import and Export in the window.

Import: a file dialog (CSV or vCard), then :class:`ImportDialog`: a preview of the first
rows with the detected encoding and delimiter and what each column is taken for (all three
can be changed), a progress bar with Cancel while it imports, then the summary (created,
merged, skipped with reasons; the skipped rows can be saved as a file). Export: all contacts or
the ones selected, CSV or vCard.

Reading, importing and exporting run on a thread of their own with their own store (the DB
worker stays free for calls and the lists; the window never waits): results and progress come
back as queued signals. The crm side is :mod:`softphone.crm.io_preview` (no Qt).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import button, plain_label, translate
from softphone.ui.look import fit_to_screen, text_style

log = logging.getLogger("softphone.ui")

ENCODINGS = ("utf-8", "utf-8-sig", "cp1251", "koi8-r", "cp866", "utf-16", "latin-1")
DELIMITERS = ((",", QT_TRANSLATE_NOOP("ImportDialog", "comma (,)")),
              (";", QT_TRANSLATE_NOOP("ImportDialog", "semicolon (;)")),
              ("\t", QT_TRANSLATE_NOOP("ImportDialog", "tab")),
              ("|", QT_TRANSLATE_NOOP("ImportDialog", "bar (|)")))
FIELD_NAMES = {
    "name": QT_TRANSLATE_NOOP("ImportDialog", "Full name"),
    "first": QT_TRANSLATE_NOOP("ImportDialog", "First name"),
    "middle": QT_TRANSLATE_NOOP("ImportDialog", "Middle name"),
    "last": QT_TRANSLATE_NOOP("ImportDialog", "Last name"),
    "company": QT_TRANSLATE_NOOP("ImportDialog", "Company"),
    "position": QT_TRANSLATE_NOOP("ImportDialog", "Position"),
    "phone:mobile": QT_TRANSLATE_NOOP("ImportDialog", "Phone (mobile)"),
    "phone:work": QT_TRANSLATE_NOOP("ImportDialog", "Phone (work)"),
    "phone:home": QT_TRANSLATE_NOOP("ImportDialog", "Phone (home)"),
    "phone:fax": QT_TRANSLATE_NOOP("ImportDialog", "Phone (fax)"),
    "phone:other": QT_TRANSLATE_NOOP("ImportDialog", "Phone (other)"),
    "phone-type": QT_TRANSLATE_NOOP("ImportDialog", "Label of the phone before"),
    "email": QT_TRANSLATE_NOOP("ImportDialog", "E-mail"),
    "tags": QT_TRANSLATE_NOOP("ImportDialog", "Tags"),
    "notes": QT_TRANSLATE_NOOP("ImportDialog", "Notes"),
    "dnc": QT_TRANSLATE_NOOP("ImportDialog", "Do not call"),
    "keep": QT_TRANSLATE_NOOP("ImportDialog", "Keep in the notes"),
    "skip": QT_TRANSLATE_NOOP("ImportDialog", "Ignore"),
}
VCARD_COLUMNS = {"Name": QT_TRANSLATE_NOOP("ImportDialog", "Name"),
                 "Phones": QT_TRANSLATE_NOOP("ImportDialog", "Phones"),
                 "E-mails": QT_TRANSLATE_NOOP("ImportDialog", "E-mails"),
                 "Company": QT_TRANSLATE_NOOP("ImportDialog", "Company")}
FILE_FILTER = QT_TRANSLATE_NOOP("ImportDialog", "Contacts (*.csv *.vcf *.vcard *.txt)")


class BackgroundJob(QObject):
    """``fn(job)`` on a thread of its own; ``done``/``failed`` come back queued. ``fn`` may
    call ``job.progress.emit(done, total)`` and read ``job.cancelled``."""

    done = Signal(object)
    failed = Signal(str)
    progress = Signal(int, int)

    def __init__(self, fn: Callable[[BackgroundJob], Any], parent: QObject | None = None,
                 name: str = "contacts-io") -> None:
        super().__init__(parent)
        self._fn = fn
        self.cancel_requested = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def cancelled(self) -> bool:
        return self.cancel_requested.is_set()

    def start(self) -> BackgroundJob:
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            result = self._fn(self)
        except Exception as exc:
            from softphone.crm.io_text import ImportFileError

            if not isinstance(exc, ImportFileError | ValueError | OSError):
                log.exception("contacts file job failed")
            self.failed.emit(str(exc))
            return
        self.done.emit(result)


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class ImportDialog(QDialog):
    """Preview and mapping, progress with Cancel, summary. ``imported`` when rows went in."""

    imported = Signal()

    def __init__(self, path: Path, open_store: Callable[[], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle(self.tr("Import contacts"))
        self.path = Path(path)
        self._open_store = open_store
        self.preview: Any = None
        self.result: Any = None  # crm.io_preview.PlannedImport once finished
        self.job: BackgroundJob | None = None
        self._mapping_combos: list[QComboBox] = []
        self.pages = QStackedWidget(self)
        lay = QVBoxLayout(self)
        lay.addWidget(self.pages)
        self._build_preview_page()
        self._build_progress_page()
        self._build_summary_page()
        fit_to_screen(self, 860, 520)
        self.load_preview()

    # --- page 1: preview and mapping -----------------------------------------------------
    def _build_preview_page(self) -> None:
        page = QWidget(self)
        lay = QVBoxLayout(page)
        self.file_label = plain_label(self.path.name, page, bold=True, name="importFile")
        lay.addWidget(self.file_label)
        form = QFormLayout()
        self.format_label = plain_label("", page, name="importFormat")
        self.encoding_combo = QComboBox(page)
        self.encoding_combo.setObjectName("importEncoding")
        self.encoding_combo.setEditable(True)
        self.encoding_combo.addItems(ENCODINGS)
        self.delimiter_combo = QComboBox(page)
        self.delimiter_combo.setObjectName("importDelimiter")
        for char, name in DELIMITERS:
            self.delimiter_combo.addItem(self.tr(name), char)
        form.addRow(self.tr("Format"), self.format_label)
        form.addRow(self.tr("&Encoding"), self.encoding_combo)
        form.addRow(self.tr("&Delimiter"), self.delimiter_combo)
        lay.addLayout(form)
        lay.addWidget(plain_label(self.tr("The first rows, and what each column is taken for "
                                          "(choose another field above a column to change "
                                          "it):"), page))
        self.table = QTableWidget(0, 0, page)
        self.table.setObjectName("importPreview")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.table, 1)
        self.preview_error = plain_label("", page, name="importError")
        self.preview_error.setStyleSheet(text_style("failed", self))
        self.preview_error.hide()
        lay.addWidget(self.preview_error)
        row = QHBoxLayout()
        row.addStretch(1)
        self.import_button = button(self.tr("Import"), page, name="importStart",
                                    tooltip=self.tr("Import the whole file (Enter)"))
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.cancel_button = button(self.tr("Cancel"), page, name="importCancelPreview",
                                    tooltip=self.tr("Close without importing (Esc)"))
        row.addWidget(self.import_button)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        self.pages.addWidget(page)
        self.preview_page = page
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self.reject)
        self.encoding_combo.activated.connect(lambda _i: self.load_preview(keep=True))
        self.delimiter_combo.activated.connect(lambda _i: self.load_preview(keep=True))

    def load_preview(self, keep: bool = False) -> None:
        """Read the file's beginning (on a thread): as detected, or with the encoding and
        delimiter chosen in the dialog (``keep``)."""
        from softphone.crm.io_preview import preview

        encoding = self.encoding_combo.currentText().strip() if keep else None
        delimiter = self.delimiter_combo.currentData() if keep else None
        path = self.path
        self.import_button.setEnabled(False)
        self.format_label.setText(self.tr("Reading…"))
        job = BackgroundJob(lambda _job: preview(path, encoding=encoding or None,
                                                 delimiter=delimiter), self)
        job.done.connect(self._on_preview)
        job.failed.connect(self._on_preview_failed)
        self.job = job.start()

    @Slot(object)
    def _on_preview(self, preview: Any) -> None:
        from softphone.crm.io_preview import FIELDS, PHONE_TYPE

        self.preview = preview
        self.preview_error.hide()
        self.format_label.setText("CSV" if preview.format == "csv" else "vCard")
        index = self.encoding_combo.findText(preview.encoding)
        if index < 0:  # an encoding of the file's own (utf-16-le, mac-cyrillic, ...)
            self.encoding_combo.addItem(preview.encoding)
            index = self.encoding_combo.count() - 1
        # the index, not only the text: an editable combo otherwise "activates" the item of
        # that text when it loses the focus (and the preview would be read again)
        self.encoding_combo.setCurrentIndex(index)
        is_csv = preview.format == "csv"
        self.delimiter_combo.setEnabled(is_csv)
        if is_csv:
            self.delimiter_combo.setCurrentIndex(
                max(0, self.delimiter_combo.findData(preview.delimiter)))
        header = preview.header
        mapping_rows = 1 if is_csv else 0
        self.table.clear()
        self.table.setColumnCount(len(header))
        self.table.setRowCount(len(preview.rows) + mapping_rows)
        self.table.setHorizontalHeaderLabels(
            [h if is_csv else self.tr(VCARD_COLUMNS.get(h, h)) for h in header])
        self._mapping_combos = []
        if is_csv:
            for col, field in enumerate(preview.mapping):
                combo = QComboBox(self.table)
                combo.setObjectName(f"importMapping{col}")
                for key in (*FIELDS, PHONE_TYPE) if field == PHONE_TYPE else FIELDS:
                    combo.addItem(self.tr(FIELD_NAMES[key]), key)
                combo.setCurrentIndex(combo.findData(field))
                combo.activated.connect(lambda _i: self._check_mapping())
                self.table.setCellWidget(0, col, combo)
                self._mapping_combos.append(combo)
            self.table.setVerticalHeaderLabels(
                [self.tr("Field"), *[str(i + 1) for i in range(len(preview.rows))]])
        for r, row in enumerate(preview.rows):
            for c in range(len(header)):
                self.table.setItem(r + mapping_rows, c, _item(row[c] if c < len(row) else ""))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._check_mapping()

    @Slot(str)
    def _on_preview_failed(self, message: str) -> None:
        self.format_label.setText("")
        self.preview_error.setText(message)
        self.preview_error.show()
        self.import_button.setEnabled(False)

    def mapping(self) -> list[str]:
        return [c.currentData() for c in self._mapping_combos]

    def _check_mapping(self) -> bool:
        from softphone.crm.io_preview import columns_from_mapping

        if self.preview is None:
            return False
        if self.preview.format == "csv":
            try:
                columns_from_mapping(self.preview.header, self.mapping())
            except ValueError as exc:
                self.preview_error.setText(self._mapping_problem(str(exc)))
                self.preview_error.show()
                self.import_button.setEnabled(False)
                return False
        self.preview_error.hide()
        self.import_button.setEnabled(True)
        return True

    def _mapping_problem(self, text: str) -> str:
        if text.startswith("two columns"):
            field = text.rsplit(" ", 1)[-1]
            return self.tr("Two columns are taken for “%1”: choose another field for one of "
                           "them.").replace("%1", self.tr(FIELD_NAMES.get(field, field)))
        return self.tr("Choose a column for the phone number or the e-mail: a contact needs "
                       "one of them.")

    # --- page 2: importing ---------------------------------------------------------------
    def _build_progress_page(self) -> None:
        page = QWidget(self)
        lay = QVBoxLayout(page)
        lay.addStretch(1)
        self.progress_label = plain_label(self.tr("Importing…"), page, name="importProgressText")
        self.progress_bar = QProgressBar(page)
        self.progress_bar.setObjectName("importProgress")
        self.stop_button = button(self.tr("Cancel"), page, name="importCancel",
                                  tooltip=self.tr("Stop after the rows being written (Esc)"))
        lay.addWidget(self.progress_label)
        lay.addWidget(self.progress_bar)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.stop_button)
        lay.addLayout(row)
        lay.addStretch(1)
        self.pages.addWidget(page)
        self.progress_page = page
        self.stop_button.clicked.connect(self.cancel_import)

    @Slot()
    def start_import(self) -> None:
        from softphone.crm.io_preview import import_planned

        if self.preview is None or not self._check_mapping():
            return
        plan = self.preview.plan(self.mapping() if self.preview.format == "csv" else [])
        self.plan = plan
        open_store = self._open_store

        def run(job: BackgroundJob) -> Any:
            store = open_store()
            try:
                return import_planned(store, plan, progress=job.progress.emit,
                                      cancelled=lambda: job.cancelled)
            finally:
                close = getattr(store, "close", None)
                if close is not None:
                    close()

        self.pages.setCurrentWidget(self.progress_page)
        self.progress_bar.setRange(0, 0)  # reading the file: no count yet
        self.progress_label.setText(self.tr("Reading %1…").replace("%1", self.path.name))
        self.stop_button.setEnabled(True)
        self.stop_button.setFocus()
        job = BackgroundJob(run, self, name="contacts-import")
        job.progress.connect(self._on_progress)
        job.done.connect(self._on_imported)
        job.failed.connect(self._on_import_failed)
        self.job = job.start()

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        self.progress_label.setText(self.tr("Importing: %1 of %2 contacts")
                                    .replace("%1", str(done)).replace("%2", str(total)))

    @Slot()
    def cancel_import(self) -> None:
        if self.job is not None and self.job.thread.is_alive():
            self.job.cancel_requested.set()
            self.stop_button.setEnabled(False)
            self.progress_label.setText(self.tr("Stopping after the rows being written…"))

    @Slot(str)
    def _on_import_failed(self, message: str) -> None:
        self.pages.setCurrentWidget(self.summary_page)
        self.summary_label.setText(self.tr("Nothing was imported: %1").replace("%1", message))
        self.summary_label.setStyleSheet(text_style("failed", self))
        self.skipped_table.setRowCount(0)
        self.save_skipped_button.setEnabled(False)

    # --- page 3: summary -----------------------------------------------------------------
    def _build_summary_page(self) -> None:
        page = QWidget(self)
        lay = QVBoxLayout(page)
        self.summary_label = plain_label("", page, bold=True, name="importSummary")
        lay.addWidget(self.summary_label)
        self.skipped_title = plain_label(self.tr("Skipped rows"), page)
        lay.addWidget(self.skipped_title)
        self.skipped_table = QTableWidget(0, 3, page)
        self.skipped_table.setObjectName("importSkipped")
        self.skipped_table.setHorizontalHeaderLabels([self.tr("Row"), self.tr("Reason"),
                                                      self.tr("Text")])
        self.skipped_table.verticalHeader().hide()
        self.skipped_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.skipped_table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.skipped_table, 1)
        row = QHBoxLayout()
        self.save_skipped_button = button(self.tr("Save skipped rows…"), page,
                                          name="importSaveSkipped", shortcut="Ctrl+S",
                                          tooltip=self.tr("Save the skipped rows as a file "
                                                          "to fix and import again"))
        self.close_button = button(self.tr("Close"), page, name="importClose")
        row.addWidget(self.save_skipped_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        lay.addLayout(row)
        self.pages.addWidget(page)
        self.summary_page = page
        self.save_skipped_button.clicked.connect(self.choose_skipped_file)
        self.close_button.clicked.connect(self.accept)

    @Slot(object)
    def _on_imported(self, outcome: Any) -> None:
        self.result = outcome
        report = outcome.report
        result = report.result
        skipped = [s for s in report.skipped if s.source_row]
        text = self.tr("Created %1, merged into existing contacts %2, skipped %3.").replace(
            "%1", str(result.created)).replace("%2", str(result.merged)).replace(
            "%3", str(len(skipped)))
        if outcome.cancelled:
            text = self.tr("Cancelled after %1 of %2 contacts; the rest was not imported.")\
                .replace("%1", str(outcome.done)).replace("%2", str(outcome.total)) + " " + text
        self.summary_label.setText(text)
        self.summary_label.setStyleSheet("")
        unit = self.tr("Card") if report.parsed.format == "vcard" else self.tr("Row")
        self.skipped_table.setHorizontalHeaderLabels([unit, self.tr("Reason"), self.tr("Text")])
        self.skipped_table.setRowCount(len(skipped))
        for i, s in enumerate(skipped):
            for col, value in enumerate((str(s.source_row), s.reason, s.text)):
                self.skipped_table.setItem(i, col, _item(value))
        self.skipped_table.resizeColumnsToContents()
        self.skipped_title.setVisible(bool(skipped))
        self.skipped_table.setVisible(bool(skipped))
        self.save_skipped_button.setEnabled(bool(skipped))
        self.pages.setCurrentWidget(self.summary_page)
        self.close_button.setFocus()
        if result.created or result.merged:
            self.imported.emit()

    @Slot()
    def choose_skipped_file(self) -> None:
        dialog = QFileDialog(self, self.tr("Save skipped rows"))
        dialog.setObjectName("skippedFileDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.selectFile(str(self.path.with_name(self.path.stem + "-skipped.csv")))
        dialog.fileSelected.connect(self.save_skipped)
        self.file_dialog = dialog
        dialog.open()

    @Slot(str)
    def save_skipped(self, target: str) -> None:
        from softphone.crm.io_preview import write_skipped

        if not target or self.result is None:
            return
        report, plan = self.result.report, self.plan
        job = BackgroundJob(lambda _job: write_skipped(report, plan, target), self)
        job.done.connect(lambda n: self.summary_label.setText(
            self.summary_label.text() + "\n" + self.tr("%1 skipped rows saved to %2")
            .replace("%1", str(n)).replace("%2", target)))
        job.failed.connect(lambda message: self.summary_label.setText(
            self.summary_label.text() + "\n" + self.tr("Not saved: %1").replace("%1", message)))
        self.save_job = job.start()

    def reject(self) -> None:
        if self.pages.currentWidget() is self.progress_page:
            self.cancel_import()  # Esc while importing stops it; the summary follows
            return
        super().reject()


# --- the window's side ----------------------------------------------------------------------
def store_opener(window: Any) -> Callable[[], Any]:
    """A store of its own for the import/export thread (the same database as the app)."""
    settings, profile = window.settings, window.profile

    def open_store() -> Any:
        from softphone.crm.store import Store

        crm = settings.crm
        return Store.open(crm.database_url, profile, crm.default_region, crm.agent)

    return open_store


def choose_import_file(window: Any) -> QFileDialog:
    """Contacts > Import: pick a file, then the import dialog opens on it."""
    dialog = QFileDialog(window, translate("ImportDialog", "Import contacts"))
    dialog.setObjectName("importFileDialog")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setNameFilters([translate("ImportDialog", FILE_FILTER),
                           translate("ImportDialog", "All files (*)")])
    dialog.fileSelected.connect(lambda path: open_import_dialog(window, Path(path)))
    window.import_file_dialog = dialog
    dialog.open()
    return dialog


def open_import_dialog(window: Any, path: Path) -> ImportDialog:
    dialog = ImportDialog(path, store_opener(window), window)
    dialog.imported.connect(window.refresh_data)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.import_dialog = dialog
    dialog.open()
    return dialog


def choose_export_file(window: Any, contact_ids: list[int] | None) -> QFileDialog:
    """Contacts > Export: all contacts (``contact_ids`` None) or the selected ones."""
    title = translate("ImportDialog", "Export all contacts") if contact_ids is None else \
        translate("ImportDialog", "Export %1 selected contacts").replace(
            "%1", str(len(contact_ids)))
    dialog = QFileDialog(window, title)
    dialog.setObjectName("exportFileDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    csv_filter = translate("ImportDialog", "CSV (*.csv)")
    vcard_filter = translate("ImportDialog", "vCard (*.vcf)")
    dialog.setNameFilters([csv_filter, vcard_filter])
    dialog.setDefaultSuffix("csv")
    dialog.filterSelected.connect(
        lambda f: dialog.setDefaultSuffix("vcf" if f == vcard_filter else "csv"))
    dialog.selectFile("contacts.csv")

    def chosen(path: str) -> None:
        fmt = "vcard" if Path(path).suffix.lower() in (".vcf", ".vcard") or \
            dialog.selectedNameFilter() == vcard_filter else "csv"
        export_in_background(window, Path(path), fmt, contact_ids)

    dialog.fileSelected.connect(chosen)
    window.export_file_dialog = dialog
    dialog.open()
    return dialog


def export_in_background(window: Any, path: Path, fmt: str,
                         contact_ids: list[int] | None) -> BackgroundJob:
    from softphone.crm.io import export_contacts

    open_store = store_opener(window)

    def run(_job: BackgroundJob) -> int:
        store = open_store()
        try:
            return export_contacts(store, path, format=fmt, contact_ids=contact_ids)
        finally:
            store.close()

    job = BackgroundJob(run, window, name="contacts-export")
    window.show_message(translate("ImportDialog", "Exporting contacts to %1…").replace(
        "%1", str(path)))
    job.done.connect(lambda n: window.show_message(
        translate("ImportDialog", "%1 contacts exported to %2").replace("%1", str(n))
        .replace("%2", str(path))))
    job.failed.connect(lambda message: window.show_message(
        translate("ImportDialog", "Export failed: %1").replace("%1", message)))
    window.export_job = job.start()
    return job

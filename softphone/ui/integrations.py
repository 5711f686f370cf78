"""The window's side of the integrations (softphone/integrations/service.py): everything they
report arrives here on other threads and is queued to the main thread; directory lookups run on
a small pool of their own, never on the UI thread, and every answer is bounded in time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

log = logging.getLogger("softphone.ui")


class IntegrationsLink(QObject):
    _deliver = Signal(object, object)  # callback, result
    _dial = Signal(str, object)  # number, Future[(ok, message)]
    _sync_done = Signal(object)
    _sync_failed = Signal(str)
    _outbox_status = Signal(object)
    _problem = Signal(str)
    # a text for the status bar (sync results, delivery trouble)
    message = Signal(str)
    # contacts changed by a sync: views refresh
    contacts_changed = Signal()
    # the service's threads and servers have stopped (emitted from the stopping thread)
    stopped = Signal()

    def __init__(self, window: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.service: Any = None
        self._pool: ThreadPoolExecutor | None = None
        queued = Qt.ConnectionType.QueuedConnection
        self._deliver.connect(self._on_deliver, queued)
        self._dial.connect(self._on_dial, queued)
        self._sync_done.connect(self._on_sync_done, queued)
        self._sync_failed.connect(self._on_sync_failed, queued)
        self._outbox_status.connect(self._on_outbox_status, queued)
        self._problem.connect(self._on_problem, queued)
        self._failing: set[str] = set()
        self.sync_status = ""

    # --- callbacks for the service (any thread) ------------------------------------------------
    def dial_from_outside(self, number: str) -> tuple[bool, str]:
        """Click-to-call: dial through the window (the app's normal dial path) and wait for
        its answer on the caller's (server) thread, never on the UI thread."""
        future: Future[tuple[bool, str]] = Future()
        self._dial.emit(number, future)
        try:
            return future.result(timeout=10)
        except Exception:
            return False, self.tr("The phone did not answer in time.")

    def sync_done(self, report: Any) -> None:
        self._sync_done.emit(report)

    def sync_failed(self, message: str) -> None:
        self._sync_failed.emit(message)

    def outbox_status(self, status: Any) -> None:
        self._outbox_status.emit(status)

    def problem(self, text: str) -> None:
        self._problem.emit(text)

    # --- the directory (called on the UI thread) -----------------------------------------------
    @property
    def directory(self) -> Any:
        return getattr(self.service, "directory", None)

    def _submit(self, job: Callable[[], Any], on_done: Callable[[Any], None],
                bound_seconds: float, fallback: Any) -> None:
        """``on_done(job())`` on the UI thread, or ``on_done(fallback)`` after the bound,
        whichever comes first (once)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="directory")
        answered = threading.Event()

        def once(result: Any) -> None:
            if not answered.is_set():
                answered.set()
                on_done(result)

        def run() -> None:
            try:
                result = job()
            except Exception as exc:
                log.warning("directory: %s", exc)
                result = fallback
            self._deliver.emit(once, result)

        QTimer.singleShot(int(bound_seconds * 1000) + 100, self, lambda: once(fallback))
        self._pool.submit(run)

    def find_caller(self, number: str, on_done: Callable[[Any], None]) -> None:
        directory = self.directory
        if directory is None:
            return
        self._submit(lambda: directory.find_number(number), on_done,
                     directory.timeout, None)

    def search(self, query: str, show: Callable[[list[Any]], None]) -> None:
        directory = self.directory
        if directory is None:
            show([])
            return
        self._submit(lambda: directory.search(query, limit=10), show, directory.timeout, [])

    # --- main-thread slots ----------------------------------------------------------------------
    @Slot(object, object)
    def _on_deliver(self, callback: Callable[[Any], None], result: Any) -> None:
        try:
            callback(result)
        except Exception:
            log.exception("an integrations result handler failed")

    @Slot(str, object)
    def _on_dial(self, number: str, future: Future[tuple[bool, str]]) -> None:
        try:
            ok = bool(self.window.dial_when_ready(number))
            message = self.window.statusBar().currentMessage()
            future.set_result((ok, self.tr("calling %1").replace("%1", number) if ok
                               else message or self.tr("cannot dial now")))
        except Exception as exc:
            future.set_result((False, str(exc)))

    @Slot(object)
    def _on_sync_done(self, report: Any) -> None:
        text = self.tr("Contacts synced: %1 new, %2 changed, %3 deleted here; "
                       "%4 sent to the server")
        self.sync_status = (text.replace("%1", str(report.created_here))
                            .replace("%2", str(report.updated_here))
                            .replace("%3", str(report.deleted_here))
                            .replace("%4", str(report.created_there + report.updated_there
                                               + report.deleted_there)))
        if report.conflicts:
            self.sync_status += " · " + self.tr(
                "%1 conflict(s) merged (see the contacts' history)").replace(
                "%1", str(report.conflicts))
        if report.changed_here or report.conflicts:
            self.contacts_changed.emit()
            self.message.emit(self.sync_status)

    @Slot(str)
    def _on_sync_failed(self, error: str) -> None:
        self.sync_status = self.tr("Contacts not synced: %1").replace("%1", error)
        self.message.emit(self.sync_status)

    @Slot(str)
    def _on_problem(self, text: str) -> None:
        self.message.emit(self.tr("Not started: %1").replace("%1", text))

    @Slot(object)
    def _on_outbox_status(self, status: Any) -> None:
        name = {"webhooks": self.tr("Webhooks"), "bitrix24": "Bitrix24"}.get(status.target,
                                                                           status.target)
        if status.last_error and status.target not in self._failing:
            self._failing.add(status.target)
            self.message.emit(self.tr("%1: not delivered (%2); %3 event(s) wait and will be "
                                      "sent again").replace("%1", name)
                              .replace("%2", status.last_error)
                              .replace("%3", str(status.pending)))
        elif not status.last_error and status.target in self._failing:
            self._failing.discard(status.target)
            self.message.emit(self.tr("%1: delivering again").replace("%1", name))

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class _Phone:
    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.label = ""


class DirectoryChoice:
    """A directory entry shaped like a contact for the search fields (id -1: not in the CRM)."""

    id = -1

    def __init__(self, entry: Any, suffix: str) -> None:
        self.name = f"{entry.name} ({suffix})"
        self.company = entry.company
        self.phones = [_Phone(p) for p in entry.phones]


def with_directory(link: IntegrationsLink | None, query: str,
                   show: Callable[[list[Any]], None]) -> Callable[[list[Any]], None]:
    """Wraps a CRM search's ``show``: the CRM's contacts at once, then the directory's people
    (not already among them) when the directory answers."""
    if link is None or link.directory is None:
        return show

    def crm_done(contacts: list[Any]) -> None:
        show(contacts)
        names = {c.name.casefold() for c in contacts}

        def directory_done(entries: list[Any]) -> None:
            more = [DirectoryChoice(e, link.tr("directory")) for e in entries
                    if e.name.casefold() not in names and e.phones]
            if more:
                show([*contacts, *more])

        link.search(query, directory_done)

    return crm_done

"""Thread seams for the UI: SIP events into Qt signals, CRM jobs onto one DB worker thread.

* :class:`SipBridge` is the engine's listener: called on the SIP thread, it only emits a Qt
  signal, which Qt queues to the main thread (the receiver lives there).
* :class:`DbWorker` runs ``job(store)`` callables on a single worker thread, in order, and
  delivers each result (or error) back on the main thread through a queued signal. The Qt main
  thread never runs a SQL query.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from softphone.sip.events import SipEvent

log = logging.getLogger("softphone.ui")


class SipBridge(QObject):
    """Engine listener -> ``sip_event`` signal on the main thread."""

    sip_event = Signal(object)

    def __call__(self, event: SipEvent) -> None:
        self.sip_event.emit(event)


class DbWorker(QObject):
    """One thread owns the store; the UI submits jobs and gets results back as signals."""

    _finished = Signal(object, object, object)  # callback, result, error-callback/None
    store_opened = Signal(object)  # the store (only to pass back to jobs; never call it here)
    store_failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self.store: Any = None
        # always queued: a result never re-enters the code that submitted the job
        self._finished.connect(self._on_job_finished, Qt.ConnectionType.QueuedConnection)
        self._closed = False
        self.thread_ident: int | None = None

    def open(self, opener: Callable[[], Any]) -> None:
        """Open the store on the worker (``opener()`` returns it)."""

        def job() -> Any:
            self.thread_ident = threading.get_ident()
            self.store = opener()
            return self.store

        def done(fut: Future[Any]) -> None:
            exc = fut.exception()
            if exc is not None:
                log.error("cannot open the contact database: %s", exc)
                self.store_failed.emit(str(exc))
            else:
                self.store_opened.emit(fut.result())

        self._executor.submit(job).add_done_callback(done)

    def submit(self, job: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[Exception], None] | None = None) -> None:
        """Run ``job(store)`` on the worker; ``on_done(result)`` / ``on_error(exc)`` on the UI."""
        if self._closed:
            return

        def run() -> Any:
            if self.store is None:
                raise RuntimeError(_no_store_message())
            return job(self.store)

        def done(fut: Future[Any]) -> None:
            exc = fut.exception()
            if exc is not None:
                if on_error is None:
                    log.error("database job failed: %s", exc, exc_info=exc)
                    return
                self._finished.emit(on_error, exc, None)
            elif on_done is not None:
                self._finished.emit(on_done, fut.result(), None)

        with contextlib.suppress(RuntimeError):  # raised after shutdown
            self._executor.submit(run).add_done_callback(done)

    @Slot(object, object, object)
    def _on_job_finished(self, callback: Callable[[Any], None], result: Any, _: Any) -> None:
        try:
            callback(result)
        except Exception:
            log.exception("a database result handler failed")

    def close(self, timeout: float = 5.0) -> None:
        """Close the store on the worker and stop the thread."""
        if self._closed:
            return
        self._closed = True

        def close_store() -> None:
            if self.store is not None:
                self.store.close()
                self.store = None

        fut = self._executor.submit(close_store)
        try:
            fut.result(timeout=timeout)
        except Exception as exc:
            log.warning("closing the contact database: %s", exc)
        self._executor.shutdown(wait=False, cancel_futures=True)


def _no_store_message() -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("DbWorker", "The contact database is not open.")

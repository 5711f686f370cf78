"""Cyclic garbage (Qt objects in reference cycles) is destroyed on the GUI thread, never on a
worker thread that happens to allocate (that crashed Qt: a segfault while the DB worker opened
the store); collection is given back when the collector stops; a bulk import is not walked."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import pytest
from PySide6.QtCore import QObject

from softphone.crm.bulk import paused_gc
from softphone.ui.gc_collector import MainThreadCollector

pytestmark = [pytest.mark.ui]


class _Holder:
    """A Python object in a cycle that owns a Qt object, like a closed window's leftovers."""

    def __init__(self) -> None:
        self.me = self
        self.qobject = QObject()


def _garbage_cycle(died_on: list[int]) -> None:
    holder = _Holder()
    weakref.finalize(holder.qobject, lambda: died_on.append(threading.get_ident()))


def _allocate_in_thread(count: int) -> list[list[int]]:
    """Containers made (and kept) on a worker: they push generation 0 past its threshold."""
    keep: list[list[int]] = []

    def work() -> None:
        keep.extend([i] for i in range(count))

    t = threading.Thread(target=work)
    t.start()
    t.join(30)
    return keep


def test_cycles_die_on_the_gui_thread_not_on_an_allocating_worker(qtbot: Any) -> None:
    collector = MainThreadCollector(interval_ms=20)
    collector.start()
    try:
        assert not gc.isenabled()
        died_on: list[int] = []
        _garbage_cycle(died_on)
        kept = _allocate_in_thread(200_000)  # would have run the collector on the worker
        assert died_on == []
        assert gc.get_count()[0] > gc.get_threshold()[0]
        qtbot.waitUntil(lambda: bool(died_on), timeout=5000)
        assert died_on == [threading.get_ident()]
        del kept
    finally:
        collector.stop()
    assert gc.isenabled()


def test_stop_collects_what_is_left_and_gives_collection_back(qtbot: Any) -> None:
    was_enabled = gc.isenabled()
    collector = MainThreadCollector(interval_ms=60_000)  # the timer never fires here
    collector.start()
    died_on: list[int] = []
    _garbage_cycle(died_on)
    collector.stop()
    assert died_on == [threading.get_ident()]
    assert gc.isenabled() == was_enabled


def test_bulk_work_gets_only_young_collections(qtbot: Any) -> None:
    collector = MainThreadCollector(interval_ms=60_000)
    collector.start()
    try:
        gc.collect()
        with paused_gc():
            keep = [[i] for i in range(100_000)]
            for _ in range(30):
                gc.collect(0)  # age the counters as many young collections would
                keep.extend([i] for i in range(1_000))
                collector.check()
            assert collector.collections[1] == collector.collections[2] == 0
            del keep
    finally:
        collector.stop()


def test_the_app_runs_the_collector_and_gives_it_back(qtbot: Any, app: Any) -> None:
    assert app.collector is not None and app.collector.active
    assert not gc.isenabled()

"""crm/bulk.py: the cyclic garbage collector is off during bulk work and back on after it,
also when the work fails; nested and concurrent bulk jobs switch it back on only once the
outermost one ends; ``bulk_work_running`` tells other threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from softphone.crm.bulk import bulk_work_running, paused_gc


@pytest.fixture(autouse=True)
def gc_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if was:  # a test here switches it off: the rest of the run must not go without it
        gc.enable()
    else:
        gc.disable()


def test_collection_pauses_and_resumes() -> None:
    assert not bulk_work_running()
    with paused_gc():
        assert not gc.isenabled() and bulk_work_running()
    assert gc.isenabled() and not bulk_work_running()


def test_resumes_after_a_failure() -> None:
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("bad row")
    assert gc.isenabled() and not bulk_work_running()


def test_nested_work_resumes_only_at_the_outermost_end() -> None:
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled() and bulk_work_running()
    assert gc.isenabled()


def test_collection_switched_off_by_someone_else_stays_off() -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_another_thread_sees_the_bulk_work() -> None:
    inside, release = threading.Event(), threading.Event()

    def work() -> None:
        with paused_gc():
            inside.set()
            release.wait(30)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert inside.wait(30)
        assert bulk_work_running()
    finally:
        release.set()
        worker.join(30)
    assert not bulk_work_running() and gc.isenabled()

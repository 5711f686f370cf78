"""Every list refreshes by itself when the embedded database changes outside the window
(issue 14 item 12): a real ``softphone contacts import`` in another process while the window
shows the Contacts tab; another process logs a missed call and adds a task (the missed inbox,
the Today page's tasks, History and Statistics follow). No tab switch, no click.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.ui]

REPO = Path(__file__).resolve().parents[2]
FEED_MS = 10_000  # the feed polls each second and collects for 250 ms; generous under load


def run_softphone(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "softphone", "--profile", str(profile), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def wait_feed(qtbot: Any, app: Any) -> None:
    qtbot.waitUntil(lambda: app.office.office is not None, timeout=10_000)
    feed = app.office.office.feed
    if feed is not None:  # (none before issue 14: the lists did not follow)
        qtbot.waitUntil(feed.ready.is_set, timeout=10_000)


def list_texts(widget: Any) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def table_column(table: Any, col: int) -> list[str]:
    return [table.item(r, col).text() if table.item(r, col) else ""
            for r in range(table.rowCount())]


def test_contacts_tab_shows_a_command_line_import(qtbot: Any, app: Any, profile_dir: Path,
                                                  tmp_path: Path) -> None:
    window = app.window
    window.tabs.setCurrentWidget(window.contacts)
    wait_feed(qtbot, app)
    qtbot.waitUntil(lambda: window.contacts.list.count() == 0, timeout=5000)
    csv = tmp_path / "people.csv"
    csv.write_text("Name,Phone,Company\nЗоя Импортова,+7 495 111-22-33,Лето\n"
                   "Ivan Imported,+7 495 111-22-44,\n", encoding="utf-8")
    done = run_softphone(profile_dir, "contacts", "import", str(csv))
    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(lambda: sorted(list_texts(window.contacts.list)) == [
        "Ivan Imported", "Зоя Импортова · Лето"], timeout=FEED_MS)


WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from softphone.crm.store import Store

store = Store.open(None, Path(sys.argv[1]), default_region="RU", agent="other")
t0 = datetime.now(UTC) - timedelta(minutes=5)
row = store.call_started(direction="in", account="LAN", number="+74957776655", started_at=t0)
store.call_ended(row, ended_at=t0 + timedelta(seconds=20), outcome="missed", sip_status=487)
store.add_task(kind="call_back", title="Перезвонить поставщику",
               due_at=datetime.now(UTC) - timedelta(minutes=1), number="+74957776655")
store.close()
"""


@pytest.mark.parametrize("tab", ["history", "stats"])
def test_missed_tasks_history_and_stats_follow_another_process(
        qtbot: Any, app: Any, profile_dir: Path, tab: str) -> None:
    window = app.window
    view = window.history if tab == "history" else window.stats
    window.tabs.setCurrentWidget(view)
    wait_feed(qtbot, app)
    if tab == "history":
        qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=5000)
    else:
        qtbot.waitUntil(lambda: view.figures["calls"].text() == "0", timeout=5000)
    assert window.missed.table.rowCount() == 0
    done = subprocess.run([sys.executable, "-c", WRITER, str(profile_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    if tab == "history":
        qtbot.waitUntil(lambda: "+74957776655" in table_column(view.table, 2),
                        timeout=FEED_MS)
    else:
        qtbot.waitUntil(lambda: view.figures["calls"].text() == "1", timeout=FEED_MS)
    qtbot.waitUntil(lambda: "+74957776655" in table_column(window.missed.table, 1),
                    timeout=FEED_MS)
    qtbot.waitUntil(lambda: any(t.title == "Перезвонить поставщику"
                                for t in window.tasks.tasks), timeout=FEED_MS)
    assert window.tabs.tabText(window.tabs.indexOf(window.missed)).endswith("(1)")

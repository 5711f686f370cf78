"""Statistics: headline figures and simple bar charts painted with QPainter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.common import duration, duration_words, plain_label


class BarChart(QWidget):
    """Vertical bars with labels under them; values are drawn above each bar."""

    def __init__(self, title: str, parent: QWidget | None = None, *,
                 color: str = "#1565c0", horizontal: bool = False) -> None:
        super().__init__(parent)
        self.title = title
        self.color = QColor(color)
        self.horizontal = horizontal
        self.bars: list[tuple[str, float, str]] = []  # label, value, value text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(self.fontMetrics().height() * 10)

    def sizeHint(self) -> QSize:
        return QSize(360, self.fontMetrics().height() * 12)

    def set_bars(self, bars: list[tuple[str, float, str]]) -> None:
        self.bars = bars
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        line = fm.height()
        r = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        p.setPen(self.palette().text().color())
        font = p.font()
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRectF(r.x(), r.y(), r.width(), line), Qt.AlignmentFlag.AlignLeft,
                   self.title)
        font.setBold(False)
        p.setFont(font)
        area = QRectF(r.x(), r.y() + line * 1.4, r.width(), r.height() - line * 1.4)
        if not self.bars:
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, self.tr("No calls yet"))
            p.end()
            return
        top = max(v for _, v, _ in self.bars) or 1.0
        n = len(self.bars)
        if self.horizontal:
            label_w = min(area.width() * 0.4, max(fm.horizontalAdvance(b[0]) for b in self.bars)
                          + 8)
            h = area.height() / n
            for i, (label, value, text) in enumerate(self.bars):
                y = area.y() + i * h
                p.setPen(self.palette().text().color())
                p.drawText(QRectF(area.x(), y, label_w - 4, h),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           fm.elidedText(label, Qt.TextElideMode.ElideRight, int(label_w - 4)))
                w = (area.width() - label_w - fm.horizontalAdvance(text) - 8) * value / top
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(self.color)
                p.drawRect(QRectF(area.x() + label_w, y + h * 0.15, max(w, 1), h * 0.7))
                p.setPen(self.palette().text().color())
                p.drawText(QRectF(area.x() + label_w + w + 4, y, 200, h),
                           Qt.AlignmentFlag.AlignVCenter, text)
            p.end()
            return
        plot = QRectF(area.x(), area.y() + line, area.width(), area.height() - line * 2.2)
        w = plot.width() / n
        step = max(1, int(fm.horizontalAdvance("00-00") * 1.2 / max(w, 1)))
        for i, (label, value, text) in enumerate(self.bars):
            h = plot.height() * value / top
            x = plot.x() + i * w
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self.color)
            p.drawRect(QRectF(x + w * 0.15, plot.bottom() - h, w * 0.7, h))
            p.setPen(self.palette().text().color())
            if value and w > fm.horizontalAdvance(text):
                p.drawText(QRectF(x, plot.bottom() - h - line, w, line),
                           Qt.AlignmentFlag.AlignCenter, text)
            if i % step == 0:
                p.drawText(QRectF(x - w, plot.bottom() + 2, w * 3, line),
                           Qt.AlignmentFlag.AlignCenter, label)
        p.setPen(self.palette().mid().color())
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.end()


class StatsView(QWidget):
    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statsView")
        self.db = db
        outer = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.period = QComboBox(self)
        self.period.setObjectName("statsPeriod")
        for days, text in ((7, self.tr("Last 7 days")), (30, self.tr("Last 30 days")),
                           (90, self.tr("Last 90 days"))):
            self.period.addItem(text, days)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.period)
        # Per agent (a shared database holds every desk's calls): the agents of the call log.
        self.agent_combo = QComboBox(self)
        self.agent_combo.setObjectName("statsAgent")
        self.agent_combo.setToolTip(self.tr("Calls of one agent (a shared database holds "
                                            "the calls of every desk)"))
        self.agent_combo.addItem(self.tr("All agents"), None)
        self.agent_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.agent_combo)
        bar.addStretch(1)
        outer.addLayout(bar)
        self.figures: dict[str, Any] = {}
        figures = QHBoxLayout()
        for key, title in (("calls", self.tr("Calls")), ("missed_rate", self.tr("Missed")),
                           ("avg_talk", self.tr("Average talk")),
                           ("callback", self.tr("Time to call back"))):
            box = QVBoxLayout()
            value = plain_label("–", self, bold=True, size=1.8, name=f"stat_{key}")
            box.addWidget(value)
            box.addWidget(plain_label(title, self))
            figures.addLayout(box)
            self.figures[key] = value
        outer.addLayout(figures)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        inner = QWidget(scroll)
        grid = QGridLayout(inner)
        self.per_day = BarChart(self.tr("Calls per day"), inner)
        self.missed_per_day = BarChart(self.tr("Missed per day"), inner, color="#c62828")
        self.hours = BarChart(self.tr("Busiest hours"), inner, color="#6a1b9a")
        self.top = BarChart(self.tr("Most-called contacts"), inner, color="#2e7d32",
                            horizontal=True)
        grid.addWidget(self.per_day, 0, 0)
        grid.addWidget(self.missed_per_day, 0, 1)
        grid.addWidget(self.hours, 1, 0)
        grid.addWidget(self.top, 1, 1)
        scroll.setWidget(inner)
        outer.addWidget(scroll, 1)

    def refresh(self) -> None:
        days = int(self.period.currentData() or 7)
        until = datetime.now(UTC)
        since = (datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
                 - timedelta(days=days - 1)).astimezone(UTC)
        agent = self.agent_combo.currentData()

        def job(store: Any) -> tuple[Any, list[str]]:
            stats = store.statistics(since=since, until=until, bucket="day", agent=agent)
            agents = {c.agent for c in store.list_calls(since=since, until=until, limit=5000)}
            return stats, sorted((a for a in agents if a), key=str.casefold)

        self.db.submit(job, self._on_stats, lambda _e: None)

    def _on_stats(self, result: tuple[Any, list[str]]) -> None:
        stats, agents = result
        self.set_agents(agents)
        self.show_stats(stats)

    def set_agents(self, agents: list[str]) -> None:
        """Offer ``agents`` (plus the chosen one, kept even if it has no calls now)."""
        chosen = self.agent_combo.currentData()
        wanted = sorted(set(agents) | ({chosen} if chosen else set()), key=str.casefold)
        have = [self.agent_combo.itemData(i) for i in range(1, self.agent_combo.count())]
        if have == wanted:
            return
        self.agent_combo.blockSignals(True)
        while self.agent_combo.count() > 1:
            self.agent_combo.removeItem(1)
        for name in wanted:
            self.agent_combo.addItem(name, name)  # plain text: remote data
        self.agent_combo.setCurrentIndex(max(0, self.agent_combo.findData(chosen))
                                         if chosen else 0)
        self.agent_combo.blockSignals(False)

    def show_stats(self, s: Any) -> None:
        self.figures["calls"].setText(str(s.calls))
        self.figures["missed_rate"].setText(f"{s.missed_rate * 100:.0f}%")
        self.figures["avg_talk"].setText(duration(s.avg_talk_seconds) or "–")
        cb = s.avg_time_to_callback_seconds
        self.figures["callback"].setText(duration_words(cb) if cb is not None else "–")
        self.per_day.set_bars([(start.astimezone().strftime("%m-%d"), calls, str(calls))
                               for start, calls, _a, _m, _t in s.per_bucket])
        self.missed_per_day.set_bars([(start.astimezone().strftime("%m-%d"), missed,
                                       str(missed))
                                      for start, _c, _a, missed, _t in s.per_bucket])
        by_hour = dict(s.busiest_hours)
        self.hours.set_bars([(f"{h:02d}", by_hour.get(h, 0), str(by_hour.get(h, 0)))
                             for h in range(7, 22)] if by_hour else [])
        self.top.set_bars([(name, n, str(n)) for _cid, name, n in s.top_contacts[:8]])

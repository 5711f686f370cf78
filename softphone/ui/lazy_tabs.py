"""Tabs whose view is built when first opened (or asked for): an empty placeholder holds the
tab until then, so a phone idling in the tray never pays for them (~4 MiB of Contacts,
History and Statistics: bench/bench_startup.py)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QWidget


class LazyTabs:
    def __init__(self, tabs: QTabWidget, build: Callable[[str], QWidget]) -> None:
        self.tabs = tabs
        self._build = build
        self.views: dict[str, QWidget] = {}  # built, by name
        self._placeholders: dict[str, QWidget] = {}

    def add(self, name: str, title: str) -> None:
        self.tabs.addTab(self._placeholders.setdefault(name, QWidget(self.tabs)), title)

    def placeholder_name(self, widget: QWidget | None) -> str | None:
        return next((n for n, p in self._placeholders.items() if p is widget), None)

    def view(self, name: str) -> QWidget:
        """The view ``name``, built now in place of its placeholder if it was not yet."""
        view = self.views.get(name)
        if view is not None:
            return view
        view = self._build(name)
        self.views[name] = view
        placeholder = self._placeholders.pop(name)
        tabs = self.tabs
        index = tabs.indexOf(placeholder)
        was_current = tabs.currentIndex() == index
        blocked = tabs.blockSignals(True)  # the same tab, now real: no tab change
        try:
            tabs.insertTab(index, view, tabs.tabText(index))
            tabs.removeTab(index + 1)
            if was_current:
                tabs.setCurrentIndex(index)
        finally:
            tabs.blockSignals(blocked)
        placeholder.deleteLater()
        return view

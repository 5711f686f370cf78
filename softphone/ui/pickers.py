"""A search field that suggests contacts as you type (search runs on the DB worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from softphone.ui.common import phone_label_text

SearchFn = Callable[[str, Callable[[list[Any]], None]], None]


def contact_choices(contacts: list[Any]) -> list[tuple[str, int, str]]:
    """(text shown, contact id, number) for each phone of each contact."""
    out: list[tuple[str, int, str]] = []
    for c in contacts:
        company = f" · {c.company}" if getattr(c, "company", None) else ""
        phones = list(getattr(c, "phones", ()))
        if not phones:
            out.append((f"{c.name}{company}", c.id, ""))
        for p in phones:
            label = f" ({phone_label_text(p.label)})" if p.label else ""
            out.append((f"{c.name}{company} — {p.raw}{label}", c.id, p.raw))
    return out


class ContactSearchField(QLineEdit):
    """Type a number, a SIP URI or a name; contacts matching the text are suggested.

    ``chosen(contact_id, number)`` when a suggestion is picked; ``submitted(text)`` on Enter
    with free text (a number or URI).
    """

    chosen = Signal(int, str)
    submitted = Signal(str)

    def __init__(self, search: SearchFn | None = None, parent: QWidget | None = None,
                 delay_ms: int = 250) -> None:
        super().__init__(parent)
        self._search = search
        self._choices: list[tuple[str, int, str]] = []
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.activated[str].connect(self._on_suggestion_activated)
        self.setCompleter(self._completer)
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._on_typing_paused)
        self.textEdited.connect(self._on_text_edited)
        self.returnPressed.connect(self._on_return_pressed)
        self._chosen: tuple[str, int, str] | None = None
        self._generation = 0

    def set_search(self, search: SearchFn | None) -> None:
        self._search = search

    @Slot(str)
    def _on_text_edited(self, _text: str) -> None:
        self._timer.start()

    @Slot()
    def _on_typing_paused(self) -> None:
        query = self.text().strip()
        if self._search is None or len(query) < 2:
            return
        self._generation += 1
        generation = self._generation

        def show(contacts: list[Any]) -> None:
            if generation != self._generation:
                return  # an older answer
            self._choices = contact_choices(contacts)
            self._model.setStringList([c[0] for c in self._choices])
            if self._choices and self.hasFocus():
                self._completer.setCompletionPrefix("")
                self._completer.complete()

        self._search(query, show)

    def _choice(self, text: str) -> tuple[str, int, str] | None:
        return next((c for c in self._choices if c[0] == text), None)

    @Slot(str)
    def _on_suggestion_activated(self, text: str) -> None:
        self._choose(self._choice(text))

    def _choose(self, choice: tuple[str, int, str] | None) -> None:
        """Enter on a suggestion arrives twice (``returnPressed`` with its label in the box,
        then the completer's ``activated``, or the other way round) and QLineEdit puts the
        label into the box after both: the choice is emitted once, after all that, with the
        number in the box (then the window dials and clears it)."""
        if choice is None or self._chosen is not None:
            return
        self._chosen = choice
        QTimer.singleShot(0, self._emit_chosen)

    @Slot()
    def _emit_chosen(self) -> None:
        choice, self._chosen = self._chosen, None
        if choice is not None:
            _shown, contact_id, number = choice
            self.setText(number)
            self.chosen.emit(contact_id, number)

    @Slot()
    def _on_return_pressed(self) -> None:
        if self._chosen is not None:
            return  # the Enter that picked the suggestion
        text = self.text().strip()
        choice = self._choice(text)
        if choice is not None:  # the box holds a suggestion's label (highlighted with Down)
            self._choose(choice)
        elif text:
            self.submitted.emit(text)

    def suggestions(self) -> list[str]:
        return [c[0] for c in self._choices]

"""Plain records exchanged between importers/exporters and the store (no ORM, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ContactRecord:
    """One contact as read from a file (CSV row, vCard), before it meets the database.

    ``source_row`` is the 1-based row (CSV, counting the header) or card number (vCard) so that
    an import report can point at the exact place in the user's file.
    """

    name: str
    company: str | None = None
    position: str | None = None
    phones: list[tuple[str, str]] = field(default_factory=list)  # (as typed, label)
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    notes: str = ""
    do_not_call: bool = False
    source_row: int = 0


@dataclass
class SkippedRow:
    source_row: int
    reason: str
    text: str = ""  # the offending input, shortened, for the report


@dataclass
class ImportResult:
    created: int = 0
    merged: int = 0  # records folded into an existing contact with the same normalized number
    skipped: list[SkippedRow] = field(default_factory=list)
    total_rows: int = 0

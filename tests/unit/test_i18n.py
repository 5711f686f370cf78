"""Language choice, translators and locale-aware formatting (softphone/i18n.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QLocale

from softphone import i18n

RU = QLocale("ru_RU")
EN = QLocale("en_US")


@pytest.fixture
def restore_language(qapp: Any) -> Iterator[Any]:
    yield qapp
    i18n.install_translators(qapp, "en")
    QLocale.setDefault(QLocale.system())


@pytest.mark.parametrize(
    ("setting", "system", "expected"),
    [
        (None, "ru_RU", "ru_RU"),
        ("system", "ru_UA", "ru_UA"),
        (None, "de_DE", "en_DE"),  # unsupported language: English, German dates
        ("en", "ru_RU", "en_US"),
        ("ru", "en_GB", "ru_RU"),
        ("en", "en_GB", "en_GB"),
    ],
)
def test_language_choice(setting: str | None, system: str, expected: str) -> None:
    assert i18n.choose_locale(setting, QLocale(system)).name() == expected


def test_russian_is_available() -> None:
    assert i18n.available_languages() == ["en", "ru"]


def test_russian_translation_is_installed_and_replaced(restore_language: Any) -> None:
    app = restore_language
    yesterday = datetime(2026, 3, 5, 14, 7)
    now = yesterday + timedelta(days=1)
    locale = i18n.install_translators(app, "ru")
    assert locale.name() == "ru_RU"
    assert QLocale().name() == "ru_RU"  # the default for every widget
    assert i18n.format_when(yesterday, now=now) == "Вчера 14:07"
    assert i18n.format_duration_words(3900) == "1 ч 05 мин"
    # Qt's own strings (standard buttons) come along
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Отмена"

    i18n.install_translators(app, "en")
    assert i18n.format_duration_words(3900) == "1 h 05 min"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"


def test_numbers_follow_the_locale() -> None:
    assert i18n.format_number(1234567, locale=EN) == "1,234,567"
    assert i18n.format_number(1234567, locale=RU) == "1\u00a0234\u00a0567"
    assert i18n.format_number(3.14159, 1, locale=RU) == "3,1"
    assert i18n.format_number(2.5, locale=EN) == "2.50"
    assert i18n.format_percent(0.256, locale=EN) == "26%"
    assert i18n.format_percent(0.256, locale=RU) == "26\u00a0%"


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_dates_follow_the_locale() -> None:
    when = datetime(2026, 3, 5, 14, 7, 9)
    assert i18n.format_datetime(when, locale=RU) == "05.03.2026 14:07"
    # CLDR puts narrow no-break spaces in some formats; compare with plain spaces
    assert plain(i18n.format_datetime(when, locale=EN)) == "3/5/26 2:07 PM"
    assert plain(i18n.format_date(when, long=True, locale=RU)) == "четверг, 5 марта 2026 г."
    assert i18n.format_when(when, now=when + timedelta(hours=3), locale=RU) == "14:07"
    assert i18n.format_when(when, now=when + timedelta(days=3), locale=RU) == "05.03.2026 14:07"


@pytest.mark.parametrize(
    ("seconds", "clock"),
    [(0, "0:00"), (7.9, "0:07"), (754, "12:34"), (3723, "1:02:03"), (-5, "0:00"),
     (timedelta(minutes=90), "1:30:00"), (None, "—")],
)
def test_durations_read_like_a_clock(seconds: Any, clock: str) -> None:
    assert i18n.format_duration(seconds) == clock


def _messages() -> list[tuple[str, str, str]]:
    import xml.etree.ElementTree as ET

    out = []
    for ts in sorted(i18n.TRANSLATIONS_DIR.glob("softphone_*.ts")):
        for context in ET.parse(ts).getroot().iter("context"):
            for message in context.findall("message"):
                translation = message.find("translation")
                if translation is None or translation.get("type") in ("vanished", "obsolete"):
                    continue
                out.append((context.findtext("name") or "", message.findtext("source") or "",
                            translation.text or ""))
    return out


def test_translations_keep_placeholders_and_keyboard_accelerators() -> None:
    import re

    checked = 0
    for context, source, translation in _messages():
        if not translation:
            continue  # not translated yet: the English text shows
        checked += 1
        where = f"{context}: {source!r} -> {translation!r}"
        assert sorted(re.findall(r"%\d", source)) == sorted(re.findall(r"%\d", translation)), where
        assert (source.replace("&&", "").count("&") > 0) == \
            (translation.replace("&&", "").count("&") > 0), where
    assert checked > 100


def test_compiled_catalogues_match_their_sources(tmp_path: Any) -> None:
    """A .ts edited without running update_translations.py --compile is caught here."""
    import subprocess
    import sys
    from pathlib import Path

    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    if not lrelease.exists():
        pytest.skip("pyside6-lrelease is not installed")
    for ts in sorted(i18n.TRANSLATIONS_DIR.glob("softphone_*.ts")):
        fresh = tmp_path / ts.with_suffix(".qm").name
        subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(fresh)], check=True)
        assert fresh.read_bytes() == ts.with_suffix(".qm").read_bytes(), (
            f"{ts.name} changed: run resources/translations/update_translations.py --compile")

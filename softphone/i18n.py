"""The user's language: Qt translators, and dates, durations and numbers in the user's locale.

:func:`install_translators` is called once by the app after the ``QApplication`` exists (and
again when the language changes in the settings). ``language`` is the ``[ui] language`` setting:
``"en"``, ``"ru"`` or None for the system language. Translations are
``resources/translations/softphone_<lang>.qm`` (built by
``resources/translations/update_translations.py``) plus Qt's own ``qtbase_<lang>.qm`` for the
standard dialog buttons.

The ``format_*`` helpers use ``QLocale()`` (the default set by :func:`install_translators`) unless
a locale is passed; they need no ``QApplication``.
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QDate,
    QDateTime,
    QLibraryInfo,
    QLocale,
    QTime,
    QTranslator,
)

log = logging.getLogger("softphone.ui")

# Where the .qm files are: <root>/resources/translations, in a checkout and in the frozen app.
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "resources" / "translations"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "ru")

_installed: list[QTranslator] = []


def available_languages() -> list[str]:
    """The source language plus every language with a compiled translation."""
    found = {p.stem.split("_", 1)[1] for p in TRANSLATIONS_DIR.glob("softphone_*.qm")}
    return [SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE})]


def choose_locale(language: str | None, system: QLocale | None = None) -> QLocale:
    """The locale for the ``[ui] language`` setting.

    None or "system": the system locale when its language is supported, else English (keeping
    the system's country where it has one, so dates stay familiar). An explicit language keeps
    the system's country when it fits (``ru`` on a ``ru_UA`` system stays ``ru_UA``).
    """
    system = system if system is not None else QLocale.system()
    system_lang = system.name().split("_", 1)[0]
    wanted = language if language and language != "system" else system_lang
    if wanted not in LANGUAGES:
        wanted = SOURCE_LANGUAGE
    if wanted == system_lang:
        return QLocale(system.name())
    language_enum = QLocale(wanted).language()
    local = QLocale(language_enum, system.territory())
    if local.language() == language_enum and local.territory() == system.territory():
        return local
    return QLocale(wanted)


def install_translators(app: QCoreApplication, language: str | None) -> QLocale:
    """Install softphone's and Qt's translators for ``language``; returns the locale in use.

    Calling it again replaces the translators installed before (language changed at run time:
    widgets get a ``LanguageChange`` event and must re-set their texts).
    """
    locale = choose_locale(language)
    QLocale.setDefault(locale)
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    lang = locale.name().split("_", 1)[0]
    if lang == SOURCE_LANGUAGE:
        return locale
    own = QTranslator(app)
    if own.load(locale, "softphone", "_", str(TRANSLATIONS_DIR)):
        app.installTranslator(own)
        _installed.append(own)
    else:
        log.warning("no %s translation in %s", lang, TRANSLATIONS_DIR)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for catalog in ("qtbase", "qt"):
        qt = QTranslator(app)
        if qt.load(locale, catalog, "_", qt_dir):
            app.installTranslator(qt)
            _installed.append(qt)
            break
    return locale


# ---------------------------------------------------------------------------------------------
# Formatting


def _locale(locale: QLocale | None) -> QLocale:
    return locale if locale is not None else QLocale()


def format_number(value: float, decimals: int | None = None,
                  locale: QLocale | None = None) -> str:
    """``1234567`` -> ``1,234,567`` (en) / ``1 234 567`` (ru); ``decimals`` for floats."""
    loc = _locale(locale)
    if decimals is None and float(value).is_integer():
        return loc.toString(int(value))
    return loc.toString(float(value), "f", 2 if decimals is None else decimals)


def format_percent(fraction: float, decimals: int = 0, locale: QLocale | None = None) -> str:
    """``0.256`` -> ``26%`` (en) / ``26 %`` (ru)."""
    loc = _locale(locale)
    number = loc.toString(fraction * 100.0, "f", decimals)
    return f"{number}{loc.percent()}" if loc.language() == QLocale.Language.English \
        else f"{number}\u00a0{loc.percent()}"


def format_duration(seconds: float | timedelta | None) -> str:
    """A call's length as a clock: ``0:07``, ``12:34``, ``1:02:03``; ``—`` for None."""
    if seconds is None:
        return "—"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    total = max(0, math.floor(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_duration_words(seconds: float | timedelta | None) -> str:
    """A total for reports: ``45 s``, ``12 min``, ``3 h 05 min`` (translated units)."""
    if seconds is None:
        return "—"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        text = QCoreApplication.translate("i18n", "%1 h %2 min")
        return text.replace("%1", str(hours)).replace("%2", f"{minutes:02d}")
    if minutes:
        return QCoreApplication.translate("i18n", "%1 min").replace("%1", str(minutes))
    return QCoreApplication.translate("i18n", "%1 s").replace("%1", str(secs))


def _qdatetime(value: datetime) -> QDateTime:
    if value.tzinfo is not None:
        value = value.astimezone()  # show in the local time zone
    return QDateTime(QDate(value.year, value.month, value.day),
                     QTime(value.hour, value.minute, value.second))


def format_date(value: date | datetime, long: bool = False,
                locale: QLocale | None = None) -> str:
    kind = QLocale.FormatType.LongFormat if long else QLocale.FormatType.ShortFormat
    if isinstance(value, datetime):
        value = value.astimezone().date() if value.tzinfo else value.date()
    return _locale(locale).toString(QDate(value.year, value.month, value.day), kind)


def format_time(value: datetime, locale: QLocale | None = None) -> str:
    return _locale(locale).toString(_qdatetime(value).time(), QLocale.FormatType.ShortFormat)


def format_datetime(value: datetime, long: bool = False, locale: QLocale | None = None) -> str:
    kind = QLocale.FormatType.LongFormat if long else QLocale.FormatType.ShortFormat
    return _locale(locale).toString(_qdatetime(value), kind)


def format_when(value: datetime, now: datetime | None = None,
                locale: QLocale | None = None) -> str:
    """For lists of calls: ``14:05`` today, ``Yesterday 18:30``, else the short date and time."""
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    now = now or datetime.now()
    if now.tzinfo is not None:
        now = now.astimezone().replace(tzinfo=None)
    time_text = format_time(value, locale)
    if value.date() == now.date():
        return time_text
    if value.date() == (now - timedelta(days=1)).date():
        return QCoreApplication.translate("i18n", "Yesterday %1").replace("%1", time_text)
    return format_datetime(value, locale=locale)


# The name softphone/app.py looks for first.
install_translator = install_translators

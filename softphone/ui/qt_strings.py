"""Qt's own strings that Qt's Russian catalog (qtbase_ru.qm of this Qt release) lacks.

They are listed here so that the translation tool puts them in softphone_<lang>.ts under
Qt's own context; our translator answers for them where Qt's has no entry (the file dialog's
"Look in:" and "Files of type:" labels, found by tests/ui/test_russian_walk.py).
"""

from PySide6.QtCore import QT_TRANSLATE_NOOP

QT_STRINGS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)

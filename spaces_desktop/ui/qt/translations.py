"""Loads the app's translation for the system's language, when one ships (GUI thread, at start).

Translations live in ``resources/translations/spaces_desktop_<locale>.qm``
(see the README there for making them). Without a matching file the app runs
in English, the language of its source strings.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from spaces_desktop.assets import resource

log = logging.getLogger(__name__)

PREFIX = "spaces_desktop"


def install_translator(
    app: QCoreApplication, locale: QLocale | None = None, folder: Path | None = None
) -> QTranslator | None:
    """Install the translator for ``locale`` (default: the system's); None when none ships.

    Keep the returned translator alive as long as the app: Qt does not own it.
    """
    locale = locale or QLocale.system()
    folder = folder or resource("translations")
    translator = QTranslator(app)
    # Tries spaces_desktop_de_AT.qm, spaces_desktop_de.qm, ... for each of the locale's UI languages.
    if not translator.load(locale, PREFIX, "_", str(folder), ".qm"):
        return None
    app.installTranslator(translator)
    log.info("Translation %s loaded", translator.filePath())
    return translator

"""Turning any failure into a sentence a person can act on (no stack traces in the GUI)."""

from __future__ import annotations

import concurrent.futures
import logging

from PySide6.QtCore import QCoreApplication

from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.errors import SpacesError
from spaces_desktop.signaling.errors import ApiError, BackendUnreachable
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

_BY_CODE = {
    "removed": QT_TRANSLATE_NOOP("Errors", "The host removed you from this Space."),
    "banned": QT_TRANSLATE_NOOP("Errors", "The host removed you from this Space; you can't rejoin it."),
    "space_ended": QT_TRANSLATE_NOOP("Errors", "This Space has ended."),
    "stage_full": QT_TRANSLATE_NOOP(
        "Errors", "The stage is full: a Space has room for 10 speakers and 2 co-hosts."
    ),
}


def tr(text: str) -> str:
    return QCoreApplication.translate("Errors", text)


def describe(error: BaseException) -> str:
    """A short, human message for an error from the engine, a device or the backend."""
    if isinstance(error, DeviceError):
        return f"{error.message} {error.hint}".strip()
    if isinstance(error, BackendUnreachable):
        return error.message
    if isinstance(error, ApiError):
        # The server's own sentence wins (it is in the server's language); our words are translated.
        return error.message or tr(
            _BY_CODE.get(error.code, QT_TRANSLATE_NOOP("Errors", "The server refused that."))
        )
    if isinstance(error, SpacesError):
        return error.message
    if isinstance(error, concurrent.futures.CancelledError):
        return QCoreApplication.translate("Errors", "That was cancelled.")
    if isinstance(error, TimeoutError | concurrent.futures.TimeoutError):
        return QCoreApplication.translate(
            "Errors", "That took too long. Check your connection and try again."
        )
    log.error("Unexpected error shown to the user", exc_info=error)
    return QCoreApplication.translate(
        "Errors", "Something went wrong. Please try again; if it keeps happening, restart the app."
    )

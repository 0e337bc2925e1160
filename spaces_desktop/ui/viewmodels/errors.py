"""Turning any failure into a sentence a person can act on (no stack traces in the GUI)."""

from __future__ import annotations

import concurrent.futures
import logging

from spaces_desktop.devices.errors import DeviceError
from spaces_desktop.errors import SpacesError
from spaces_desktop.signaling.errors import ApiError, BackendUnreachable

log = logging.getLogger(__name__)

_BY_CODE = {
    "removed": "The host removed you from this Space.",
    "banned": "The host removed you from this Space; you can't rejoin it.",
    "space_ended": "This Space has ended.",
    "stage_full": "The stage is full: a Space has room for 10 speakers and 2 co-hosts.",
}


def describe(error: BaseException) -> str:
    """A short, human message for an error from the engine, a device or the backend."""
    if isinstance(error, DeviceError):
        return f"{error.message} {error.hint}".strip()
    if isinstance(error, BackendUnreachable):
        return error.message
    if isinstance(error, ApiError):
        return error.message or _BY_CODE.get(error.code, "The server refused that.")
    if isinstance(error, SpacesError):
        return error.message
    if isinstance(error, concurrent.futures.CancelledError):
        return "That was cancelled."
    if isinstance(error, TimeoutError | concurrent.futures.TimeoutError):
        return "That took too long. Check your connection and try again."
    log.error("Unexpected error shown to the user", exc_info=error)
    return "Something went wrong. Please try again; if it keeps happening, restart the app."

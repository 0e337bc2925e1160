"""Fetches what a share link shows (title, host, status, listeners) off the GUI thread.

Threads: :meth:`PreviewFetcher.fetch` is called on the GUI thread; each fetch
runs ``SpacesClient.preview`` on its own short-lived worker thread with its own
asyncio loop (the engine's loop is for the Space we are in, and the Join dialog
opens when we are in none); the answer crosses back through a queued signal, so
``ready`` and ``failed`` are emitted on the GUI thread. Only the newest fetch
reports: a link edited while an older answer is on its way never shows that
older answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from spaces_desktop.protocol import SpacePreview
from spaces_desktop.signaling.backoff import NO_RETRY
from spaces_desktop.signaling.client import SpacesClient
from spaces_desktop.ui.viewmodels.errors import describe

log = logging.getLogger(__name__)

PREVIEW_TIMEOUT_S = 5.0
"""A preview is a hint before joining: give up quickly rather than keep the dialog waiting."""

ClientFactory = Callable[[str], SpacesClient]


def default_client(base_url: str) -> SpacesClient:
    return SpacesClient(base_url, timeout=PREVIEW_TIMEOUT_S, retry=NO_RETRY)


class PreviewFetcher(QObject):
    ready = Signal(object)
    """A SpacePreview for the newest fetch (GUI thread)."""
    failed = Signal(str)
    """Why the newest fetch failed, as a sentence (GUI thread)."""
    _answer = Signal(int, object, str)

    def __init__(self, make_client: ClientFactory = default_client, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_client = make_client
        self._generation = 0
        self._answer.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def fetch(self, base_url: str, space_id: str) -> None:
        """Start fetching; an earlier fetch still under way will not report (GUI thread)."""
        self._generation += 1
        generation = self._generation
        threading.Thread(
            target=self._work, args=(generation, base_url, space_id), name="join-preview", daemon=True
        ).start()

    def cancel(self) -> None:
        """Ignore whatever fetch is under way (GUI thread)."""
        self._generation += 1

    def _work(self, generation: int, base_url: str, space_id: str) -> None:  # worker thread
        try:
            preview = asyncio.run(self._preview(base_url, space_id))
        except Exception as exc:  # every failure becomes a sentence in the dialog
            log.info("Preview of %s on %s failed: %r", space_id, base_url, exc)
            self._send(generation, None, describe(exc))
            return
        self._send(generation, preview, "")

    def _send(self, generation: int, preview: SpacePreview | None, error: str) -> None:  # worker thread
        with contextlib.suppress(RuntimeError):  # the dialog, and this fetcher with it, closed meanwhile
            self._answer.emit(generation, preview, error)

    async def _preview(self, base_url: str, space_id: str) -> SpacePreview:
        async with self._make_client(base_url) as client:
            return await asyncio.wait_for(client.preview(space_id), PREVIEW_TIMEOUT_S * 2)

    def _deliver(self, generation: int, preview: SpacePreview | None, error: str) -> None:  # GUI thread
        if generation != self._generation:
            return  # an answer for a link no longer in the dialog
        if preview is None:
            self.failed.emit(error)
        else:
            self.ready.emit(preview)

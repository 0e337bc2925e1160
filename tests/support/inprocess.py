"""The backend and its private Janus inside the test's own process and event loop.

Tests that must look at Janus itself (which participants a room really holds)
use the backend's own Janus session through `app.state.media`, so the API never
needs a route that exposes Janus.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from spaces_desktop.server.janus_process import JanusSettings
from spaces_desktop.server.media import VIDEOROOM, MediaService
from spaces_desktop.server.runner import ServerSettings, build_app
from spaces_desktop.server.service import SpacesService
from tests.support.backend import free_port
from tests.support.netns import MEDIA_INTERFACE


@dataclass
class LocalBackend:
    url: str
    service: SpacesService
    media: MediaService

    def feed(self, participant_id: str) -> int:
        """The participant's feed id in Janus."""
        row = self.service.store.participant(participant_id)
        assert row is not None, participant_id
        return row.seq

    async def janus_participants(self, space_id: str) -> list[dict[str, Any]]:
        """Every participant Janus has in the Space's room (the backend's monitor included)."""
        room = self.media.room(space_id)
        handle = await self.media.session.attach(VIDEOROOM)
        try:
            reply = await handle.request({"request": "listparticipants", "room": room.room_id})
        finally:
            await handle.detach()
        return list(reply.get("participants", []))

    @contextlib.contextmanager
    def publish_started(self) -> Iterator[asyncio.Event]:
        """An event set when the backend starts setting up a publish in Janus (the real one runs)."""
        started = asyncio.Event()
        real = self.media.publish

        async def watched(*args: Any, **kwargs: Any) -> str:
            started.set()
            return await real(*args, **kwargs)

        self.media.publish = watched  # type: ignore[method-assign]
        try:
            yield started
        finally:
            del self.media.publish

    async def in_janus(self, space_id: str, participant_id: str) -> bool:
        feed = self.feed(participant_id)
        return any(int(p.get("id", 0)) == feed for p in await self.janus_participants(space_id))


@contextlib.asynccontextmanager
async def local_backend(data_dir: Path, timeout: float = 30.0) -> AsyncIterator[LocalBackend]:
    port = free_port()
    settings = ServerSettings(
        host="127.0.0.1", port=port, data_dir=data_dir, janus=JanusSettings(ice_interface=MEDIA_INTERFACE)
    )
    app = build_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    task = asyncio.get_running_loop().create_task(server.serve())
    try:
        async with asyncio.timeout(timeout):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the backend stopped during start")
                await asyncio.sleep(0.05)
        yield LocalBackend(f"http://127.0.0.1:{port}", app.state.service, app.state.media)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 20)

"""Composition root of the backend: store, event bus, Spaces service, Janus and the HTTP server."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from spaces_desktop.protocol import EventType
from spaces_desktop.server.app import create_app
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.janus_process import JanusSettings, ManagedJanus, find_janus
from spaces_desktop.server.media import MediaService
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import Store

log = logging.getLogger(__name__)

DEFAULT_PORT = 8470
GRACEFUL_S = 1
"""Requests still running this long after SIGTERM are cancelled; event streams end at once."""
MEDIA_CLOSE_S = 1.0
"""Saying goodbye to Janus; a Janus that does not answer is simply left (and stopped)."""


@dataclass(frozen=True)
class ServerSettings:
    """How `spaces-desktop serve` runs."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = field(
        default_factory=lambda: Path.home() / ".local" / "share" / "spaces-desktop" / "server"
    )
    public_url: str | None = None
    """Base of share links; defaults to http://HOST:PORT."""
    janus_url: str | None = None
    """An external Janus HTTP API (e.g. http://10.0.0.5:8088/janus); none starts a private one."""
    janus_secret: str | None = None
    janus: JanusSettings = field(default_factory=JanusSettings)


def build_app(settings: ServerSettings) -> FastAPI:
    """The backend as an ASGI app; Janus starts and stops with the app's lifespan."""
    if settings.janus_url is None:
        find_janus(settings.janus.binary)  # fail now, with the install hint, rather than at first request
    store = Store(settings.data_dir / "spaces.sqlite3")
    bus = EventBus(store)
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    service = SpacesService(store, bus, public_url)
    managed: ManagedJanus | None = None
    if settings.janus_url is None:
        managed = ManagedJanus(settings.data_dir / "janus", settings.janus)
    media = MediaService(
        janus_url=lambda: managed.url if managed else str(settings.janus_url),
        janus_secret=lambda: managed.secret if managed else settings.janus_secret,
        listener=service,
        live_rooms=service.live_rooms,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if managed is not None:
            await managed.start()
        await media.start()
        service.media = media
        for space_id, _room in service.live_rooms():
            # Whatever clients had published went away with the previous process.
            bus.publish(
                space_id,
                EventType.MEDIA_RESET,
                {"reason": "The backend restarted; publish and subscribe again."},
            )
        try:
            yield
        finally:
            bus.close_all()
            try:
                await asyncio.wait_for(media.close(), MEDIA_CLOSE_S)
            except TimeoutError:
                log.warning("Janus did not answer while closing; stopping anyway")
            if managed is not None:
                await managed.stop()
            store.close()

    app = create_app(service, lifespan)
    app.state.bus = bus
    app.state.service = service
    app.state.media = media
    app.state.janus = managed
    return app


class _Server(uvicorn.Server):
    """Ends the event streams as soon as shutdown begins: they never finish on their own,
    so uvicorn's graceful wait would otherwise always run to its end."""

    def __init__(self, config: uvicorn.Config, bus: EventBus) -> None:
        super().__init__(config)
        self._bus = bus

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._bus.close_all()
        await super().shutdown(sockets)


def serve(settings: ServerSettings) -> None:
    app = build_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_S,
        access_log=False,
    )
    _Server(config, app.state.bus).run()

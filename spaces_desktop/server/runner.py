"""Composition root of the backend: store, event bus, Spaces service, Janus and the HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from spaces_desktop.protocol import EventType
from spaces_desktop.server.app import create_app
from spaces_desktop.server.cascade import EDGE_GONE, MediaRouter
from spaces_desktop.server.cluster import Cluster, RedisSettings
from spaces_desktop.server.connection_guard import DEFAULT_REQUEST_TIMEOUT_S, guarded_protocol
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.forwarding import MediaForwarding
from spaces_desktop.server.ice import IceConfig
from spaces_desktop.server.janus_process import JanusSettings, ManagedJanus, find_janus
from spaces_desktop.server.media import MediaService
from spaces_desktop.server.nodes import JanusNode, NodeLoads
from spaces_desktop.server.ratelimit import ClientAddress, Limits
from spaces_desktop.server.service import DEFAULT_HOST_GRACE_S, DEFAULT_PRESENCE_TIMEOUT_S, SpacesService
from spaces_desktop.server.store import Store
from spaces_desktop.server.store_api import EventFanout, SpaceStore
from spaces_desktop.server.streaming import DEFAULT_THRESHOLD, AudienceMedia

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
    """The external Janus's api secret (from a file or the environment, never the command line)."""
    janus: JanusSettings = field(default_factory=JanusSettings)
    cors_origins: tuple[str, ...] = ()
    """Web origins whose pages may call the API (the share page itself is same-origin)."""
    ice: IceConfig = field(default_factory=IceConfig)
    """STUN/TURN servers handed to clients when they join."""
    presence_timeout: float = DEFAULT_PRESENCE_TIMEOUT_S
    """Seconds without an event stream after which a participant has left (their slot is freed)."""
    host_grace: float = DEFAULT_HOST_GRACE_S
    """Seconds without the host's event stream after which a live Space ends."""
    rate_limit_scale: float = 1.0
    """Multiplies every request limit (server/ratelimit.py); 0 turns limiting off."""
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies whose X-Forwarded-For names the client."""
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    """A connection's request must arrive in full within this; slow or half-sent ones are closed."""
    keep_alive_s: int = 5
    max_connections: int = 1000
    """Open connections (event streams included) before new requests get 503; 0 for no cap."""
    audience_threshold: int = DEFAULT_THRESHOLD
    """VideoRoom subscribers in a Space before further listeners watch a Streaming mountpoint."""
    redis: RedisSettings | None = None
    """Share state with other backends through this Redis instead of keeping it in SQLite."""
    janus_admin_key: str | None = None
    """An external Janus's VideoRoom admin_key, if it has one (from the environment)."""
    janus_nodes: tuple[JanusNode, ...] = ()
    """Several external Janus nodes: rooms placed on origins by load, listeners on edges (cascade.py)."""
    cluster_secret: str | None = None
    """Shared by the backends of one cluster: marks media calls one forwards to another (forwarding.py)."""


def build_app(settings: ServerSettings) -> FastAPI:
    """The backend as an ASGI app; Janus starts and stops with the app's lifespan."""
    if settings.janus_url is None and not settings.janus_nodes:
        find_janus(settings.janus.binary)  # fail now, with the install hint, rather than at first request
    cluster = Cluster.connect(settings.redis) if settings.redis is not None else None
    store: SpaceStore
    bus: EventFanout
    if cluster is not None:
        store, bus = cluster.store, cluster.bus
    else:
        store = Store(settings.data_dir / "spaces.sqlite3")
        bus = EventBus(store)
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    service = SpacesService(
        store,
        bus,
        public_url,
        settings.ice,
        presence_timeout=settings.presence_timeout,
        host_grace=settings.host_grace,
        shared_presence=cluster.presence if cluster is not None else None,
    )
    if cluster is not None:
        service.media_leases = cluster.leases
    managed: ManagedJanus | None = None
    if settings.janus_url is None and not settings.janus_nodes:
        managed = ManagedJanus(settings.data_dir / "janus", settings.janus)
    # With several backends, each drives (and re-creates after a Janus restart) only its own rooms.
    owned_rooms = service.live_rooms if cluster is None else lambda: _owned_rooms(service, cluster)
    room_secret = _shared_room_secret(settings) if cluster is not None else None
    media: MediaService | MediaRouter
    if settings.janus_nodes:
        nodes = list(settings.janus_nodes)
        backend_id = cluster.leases.me.backend if cluster is not None else "local"
        loads = NodeLoads(
            [n.name for n in nodes],
            cluster.client if cluster is not None else None,
            backend_id,
            cluster.prefix if cluster is not None else "sd:",
        )

        def reset_one(space_id: str, feed: int) -> None:
            participant = service.feed_id_to_participant(feed)
            if participant is not None:
                bus.publish(space_id, EventType.MEDIA_RESET, {"reason": EDGE_GONE}, target_id=participant)

        media = MediaRouter(
            nodes,
            loads,
            service,
            owned_rooms,
            reset_one,
            leases=cluster.leases if cluster is not None else None,
            threshold=settings.audience_threshold,
            room_secret=room_secret,
        )
    else:
        single = MediaService(
            janus_url=lambda: managed.url if managed else str(settings.janus_url),
            janus_secret=lambda: managed.secret if managed else settings.janus_secret,
            listener=service,
            live_rooms=owned_rooms,
            room_admin_key=lambda: managed.keys.room_admin_key if managed else settings.janus_admin_key,
            room_secret=room_secret,
        )
        single.audience = AudienceMedia(
            single,
            service.feed_id_to_participant,
            threshold=settings.audience_threshold,
            admin_key=lambda: managed.keys.room_admin_key if managed else None,
        )
        media = single

    async def take_over(space_id: str, room_id: int) -> None:
        await media.open_room(space_id, room_id)
        service.media_reset(
            space_id, "The Space's media moved to another backend; publish and subscribe again."
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if managed is not None:
            await managed.start()
        await media.start()
        service.media = media
        if cluster is not None:
            cluster.start(service.live_rooms, take_over)  # media resets come with each takeover
        for space_id, _room in service.live_rooms() if cluster is None else ():
            # Whatever clients had published went away with the previous process.
            bus.publish(
                space_id,
                EventType.MEDIA_RESET,
                {"reason": "The backend restarted; publish and subscribe again."},
            )
        sweep_every = max(0.2, min(1.0, settings.presence_timeout / 4))
        presence = asyncio.get_running_loop().create_task(service.run_presence(sweep_every))
        try:
            yield
        finally:
            presence.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await presence
            service.reactions.close()
            bus.close_all()
            if cluster is not None:
                await cluster.stop()
            try:
                await asyncio.wait_for(media.close(), MEDIA_CLOSE_S)
            except TimeoutError:
                log.warning("Janus did not answer while closing; stopping anyway")
            if managed is not None:
                await managed.stop()
            store.close()

    limits = Limits().scaled(settings.rate_limit_scale)
    app = create_app(
        service,
        lifespan,
        limits,
        ClientAddress.trusting(settings.trusted_proxies),
        cors_origins=settings.cors_origins,
    )
    if cluster is not None and settings.cluster_secret:
        # Outermost: a forwarded call meets the owner's own limits and checks.
        app.add_middleware(
            MediaForwarding,
            leases=cluster.leases,
            secret=settings.cluster_secret,
            addresses=ClientAddress.trusting(settings.trusted_proxies),
        )
    app.state.bus = bus
    app.state.service = service
    app.state.media = media
    app.state.janus = managed
    return app


class BackendServer(uvicorn.Server):
    """Ends the event streams as soon as shutdown begins: they never finish on their own,
    so uvicorn's graceful wait would otherwise always run to its end."""

    def __init__(self, config: uvicorn.Config, bus: EventFanout) -> None:
        super().__init__(config)
        self._bus = bus

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._bus.close_all()
        await super().shutdown(sockets)


def uvicorn_config(app: FastAPI, settings: ServerSettings, log_level: str = "info") -> uvicorn.Config:
    """How uvicorn serves the backend: request deadline, keep-alive and connection cap included."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_S,
        access_log=False,
        lifespan="on",
        http=guarded_protocol(settings.request_timeout_s),
        timeout_keep_alive=settings.keep_alive_s,
        limit_concurrency=settings.max_connections or None,
    )


def serve(settings: ServerSettings) -> None:
    os.umask(0o077)  # a process of its own: whatever the backend writes is its user's alone
    app = build_app(settings)
    BackendServer(uvicorn_config(app, settings), app.state.bus).run()


def _shared_room_secret(settings: ServerSettings) -> Callable[[int], str] | None:
    """Room secrets every backend of a cluster derives alike (from a secret only they hold)."""
    key = settings.cluster_secret or settings.janus_admin_key or settings.janus_secret
    if not key:
        key = next((n.admin_key or n.secret for n in settings.janus_nodes if n.admin_key or n.secret), None)
    if not key:
        return None
    secret = key.encode()
    return lambda room_id: hmac.new(secret, f"room:{room_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _owned_rooms(service: SpacesService, cluster: Cluster) -> list[tuple[str, int]]:
    return [(space_id, room) for space_id, room in service.live_rooms() if cluster.leases.owns(space_id)]

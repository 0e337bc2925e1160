"""What every peer connection to the SFU shares: max-bundle and a closed/failed watch."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterable, Sequence

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCBundlePolicy

from spaces_desktop.protocol import IceServer

log = logging.getLogger(__name__)

DEAD_STATES = ("failed", "closed")


def rtc_ice_servers(servers: Iterable[IceServer]) -> list[RTCIceServer]:
    """The STUN/TURN servers the backend handed out at join, as aiortc takes them."""
    return [
        RTCIceServer(urls=list(server.urls), username=server.username, credential=server.credential)
        for server in servers
    ]


def new_peer_connection(
    on_dead: Callable[[str], None] | None = None, ice_servers: Sequence[RTCIceServer] = ()
) -> RTCPeerConnection:
    """A PeerConnection for Janus: one bundled transport for every m-line.

    No ICE servers unless configured: Janus has a public address (or a 1:1 NAT
    mapping), so the client's host candidates are enough, and aiortc's built-in
    default would otherwise send STUN requests to a third party on every call.

    Janus bundles everything on one transport; with aiortc's default policy only the
    first video of a multistream subscription plays, and a publisher's second video
    is never sent.
    """
    pc = RTCPeerConnection(
        RTCConfiguration(iceServers=list(ice_servers), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )
    if on_dead is not None:

        @pc.on("connectionstatechange")
        def _changed() -> None:  # engine loop
            if pc.connectionState in DEAD_STATES:
                on_dead(pc.connectionState)

    return pc


_closing: weakref.WeakSet[RTCPeerConnection] = weakref.WeakSet()
_closes: set[asyncio.Task[None]] = set()  # keeps running closes referenced
CLOSE_TIMEOUT_S = 1.0


async def close_quietly(pc: RTCPeerConnection, timeout: float = CLOSE_TIMEOUT_S) -> None:
    """Closes once (aiortc fails a second close that overlaps the first), in bounded time.

    A close that takes longer is left running rather than cancelled: cancelling it
    part-way leaves aiortc's close unfinished for good (a later close waits on it
    forever), and aioice's close swallows a cancellation and carries on.
    """
    if pc in _closing:
        return
    _closing.add(pc)
    task = asyncio.get_running_loop().create_task(pc.close(), name="peer-connection-close")
    _closes.add(task)
    task.add_done_callback(_closed)
    await asyncio.wait({task}, timeout=timeout)
    if not task.done():
        log.warning("A peer connection did not close within %.1f s; leaving it to finish", timeout)


def _closed(task: asyncio.Task[None]) -> None:
    _closes.discard(task)
    if not task.cancelled() and task.exception() is not None:
        # Closing a broken connection must not break the caller.
        log.debug("Closing a peer connection failed: %r", task.exception())

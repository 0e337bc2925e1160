"""What every peer connection to the SFU shares: max-bundle and a closed/failed watch."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Sequence

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCBundlePolicy

DEAD_STATES = ("failed", "closed")


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


async def close_quietly(pc: RTCPeerConnection) -> None:
    """Closes once: aiortc fails a second close that overlaps the first."""
    if pc in _closing:
        return
    _closing.add(pc)
    # Closing a broken connection must not break the caller.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(pc.close(), 5)

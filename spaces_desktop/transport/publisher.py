"""A speaker's publishing PeerConnection: microphone, camera and an optional second camera.

One PeerConnection carries every track (aiortc encodes once per connection, and the
SFU fans out). The m-line order is the contract with the backend: audio first,
then the main camera, then the second camera; the main camera's small layer comes
last, marked by its track id (protocol ``SMALL_LAYER_TRACK_PREFIX``). Camera on/off,
mute and layers nobody takes happen in the tracks, so they never renegotiate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiortc import MediaStreamTrack, RTCIceServer, RTCSessionDescription

from spaces_desktop.media.hwcodec import prefer_h264
from spaces_desktop.transport.peer import close_quietly, new_peer_connection
from spaces_desktop.transport.stats import TransportStats, sender_stats

SendOffer = Callable[[str], Awaitable[str]]


@dataclass(frozen=True)
class PublishTracks:
    audio: MediaStreamTrack | None
    camera: MediaStreamTrack | None = None
    second_camera: MediaStreamTrack | None = None
    camera_small: MediaStreamTrack | None = None
    """The main camera's small layer (e.g. 320×180 at 15 fps) for thumbnails."""


class Publisher:
    def __init__(
        self,
        tracks: PublishTracks,
        on_dead: Callable[[str], None] | None = None,
        ice_servers: Sequence[RTCIceServer] = (),
    ) -> None:
        self.tracks = tracks
        self.pc = new_peer_connection(on_dead, ice_servers)
        for track in (tracks.audio, tracks.camera, tracks.second_camera, tracks.camera_small):
            if track is not None:
                self.pc.addTransceiver(track, direction="sendonly")
        # A hardware H.264 encoder chosen at start (media/hwcodec.py): offer only H.264 for video.
        self.video_codec = "H.264" if prefer_h264(self.pc.getTransceivers()) else "VP8"

    async def connect(self, send_offer: SendOffer) -> None:
        """Offers to the SFU through the backend and applies its answer (engine loop)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await send_offer(self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    @property
    def state(self) -> str:
        return str(self.pc.connectionState)

    async def stats(self) -> TransportStats:
        """The round trip to the SFU its receiver reports give (None until the first one)."""
        return await sender_stats(self.pc.getSenders())

    async def close(self) -> None:
        await close_quietly(self.pc)

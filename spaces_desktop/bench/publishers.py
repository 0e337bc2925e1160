"""Cheap remote participants for the render benchmark: pre-encoded VP8 clips, one process.

Run as `python -m spaces_desktop.bench.publishers SERVER SPACE_ID SPEC…` where each SPEC is
`NAME:WIDTHxHEIGHT`. Each participant joins, asks to speak, and once the host brings
it on stage publishes its clip (encoded once at start-up, replayed with fresh
timestamps), so this process costs little and the app under test gets the cores.

One more participant, a listener, watches the host's small camera layer as the
others' strips would: so the app encodes what a real Space makes it encode
(its small layer; the large one only while someone shows it big).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from spaces_desktop.bench.clips import (
    EncodedClip,
    PreEncodedVideoTrack,
    encode_clip,
    forward_keyframe_requests,
)
from spaces_desktop.devices.synthetic_camera import SyntheticPattern
from spaces_desktop.domain import CameraSource
from spaces_desktop.errors import SpacesError
from spaces_desktop.protocol import StreamChoice, StreamView
from spaces_desktop.signaling.client import SpacesClient
from spaces_desktop.transport.publisher import Publisher, PublishTracks
from spaces_desktop.transport.subscriber import Subscriber


async def participant(client: SpacesClient, space_id: str, name: str, clip: EncodedClip) -> None:
    api = client.as_joined(await client.join(space_id, name))
    await api.request_to_speak()
    while True:
        snapshot = await api.snapshot()
        me = next(p for p in snapshot.participants if p.id == snapshot.you)
        if me.role != "listener":
            break
        await asyncio.sleep(0.2)
    track = PreEncodedVideoTrack(clip)
    publisher = Publisher(PublishTracks(audio=None, camera=track))
    for transceiver in publisher.pc.getTransceivers():
        if transceiver.sender.track is track:
            forward_keyframe_requests(transceiver.sender, track)
    await publisher.connect(api.publish)
    await api.set_camera(True, CameraSource.MAIN)
    print(f"publishing {name} {clip.width}x{clip.height}", flush=True)
    await asyncio.Event().wait()


async def strip_viewer(client: SpacesClient, space_id: str, timeout: float = 60.0) -> None:
    """Takes the host's small camera layer, once published, and decodes it (as a strip tile would)."""
    api = client.as_joined(await client.join(space_id, "Strip viewer"))
    deadline = asyncio.get_running_loop().time() + timeout
    small = None
    while small is None and asyncio.get_running_loop().time() < deadline:
        snapshot = await api.snapshot()
        host = snapshot.space.host_id
        small = next(
            (
                s
                for s in snapshot.streams
                if s.participant_id == host and s.kind == "video" and s.layer == "small"
            ),
            None,
        )
        if small is None:
            await asyncio.sleep(0.2)
    if small is None:
        print("error: the host never published a small layer", flush=True)
        return

    def on_track(stream: StreamView, track: MediaStreamTrack) -> None:
        async def drain() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    await track.recv()

        asyncio.get_running_loop().create_task(drain())

    subscriber = Subscriber(on_track)
    await subscriber.connect(
        lambda: api.subscribe([StreamChoice(participant_id=small.participant_id, mid=small.mid)]),
        api.subscribe_answer,
    )
    print("watching the host's small layer", flush=True)
    await asyncio.Event().wait()


async def main(server: str, space_id: str, specs: list[str]) -> None:
    clips: dict[tuple[int, int], EncodedClip] = {}
    people: list[tuple[str, EncodedClip]] = []
    for spec in specs:
        name, size = spec.split(":", 1)
        width, height = (int(v) for v in size.split("x", 1))
        if (width, height) not in clips:
            pattern = SyntheticPattern(width, height, label="Remote")
            clips[(width, height)] = encode_clip(width=width, height=height, seconds=2.0, pattern=pattern)
        people.append((name, clips[(width, height)]))
    client = SpacesClient(server)
    try:
        await asyncio.gather(
            strip_viewer(client, space_id),
            *(participant(client, space_id, name, clip) for name, clip in people),
        )
    except SpacesError as exc:
        print(f"error: {exc.message}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))

"""Camera layers through real Janus and aiortc: small for the strip, large for the big tile, and
a layer nobody takes is not encoded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from spaces_desktop.domain import CameraSource
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import SpaceSession
from spaces_desktop.signaling.client import SpacesClient
from tests.support.api import Member, create_space
from tests.support.backend import Backend

MAIN = CameraSource.MAIN
LARGE_WIDTH, SMALL_WIDTH = 640, 320


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def width(session: SpaceSession, participant_id: str) -> int | None:
    latest = session.frames.latest((participant_id, MAIN))
    return latest[1].width if latest is not None else None


async def speaker(client: SpacesClient, host: Member, name: str) -> SpaceSession:
    """A speaker with a synthetic 640×360 camera on (it publishes a 320×180 small layer too)."""
    session = SpaceSession(client, LocalMedia(DeviceChoice(camera="synthetic", microphone=NONE, label=name)))
    await session.join(host.space_id, name)
    session.set_big([])  # speakers watch no big tile here: only the listener decides what is taken
    assert session.state.me is not None
    await host.post(f"/participants/{session.state.me}/role", {"role": "speaker"})
    await until(lambda: session.state.can_use_camera, 10, f"{name} on stage")
    await session.set_camera(MAIN, True)
    return session


def encoded(session: SpaceSession) -> tuple[int, int]:
    """Frames handed to the encoder so far: (large layer, small layer)."""
    large = session.media._video_tracks[MAIN]
    small = session.media._small_track
    assert small is not None
    return large.frames_sent, small.frames_sent


async def growth(sessions: list[SpaceSession], seconds: float) -> list[tuple[int, int]]:
    before = [encoded(s) for s in sessions]
    await asyncio.sleep(seconds)
    return [(a[0] - b[0], a[1] - b[1]) for a, b in zip([encoded(s) for s in sessions], before, strict=True)]


async def test_big_tile_takes_the_large_layer_and_switches_without_renegotiating(backend: Backend) -> None:
    client = SpacesClient(backend.url)
    host = await create_space(backend.url)
    sessions: list[SpaceSession] = []
    try:
        ann = await speaker(client, host, "Ann")
        bob = await speaker(client, host, "Bob")
        sessions += [ann, bob]
        assert ann.state.me is not None and bob.state.me is not None
        ann_id, bob_id = ann.state.me, bob.state.me
        listener = SpaceSession(client, LocalMedia(DeviceChoice(camera=NONE, microphone=NONE)))
        sessions.append(listener)
        await listener.join(host.space_id, "Lee")
        listener.set_big([ann_id])

        # Ann big: her large layer; Bob in the strip: his small one.
        await until(
            lambda: width(listener, ann_id) == LARGE_WIDTH and width(listener, bob_id) == SMALL_WIDTH,
            30,
            "Ann large and Bob small",
        )
        subscriber = listener._subscriber
        assert subscriber is not None
        carried = {(v.participant_id, v.layer) for v in subscriber.streams.values() if v.kind == "video"}
        assert carried == {(ann_id, "large"), (ann_id, "small"), (bob_id, "small")}

        # Nobody takes Bob's large layer: it is not encoded; his small one is.
        await asyncio.sleep(1.0)  # the backend's layers_wanted has arrived by now
        (ann_large, ann_small), (bob_large, bob_small) = await growth([ann, bob], 1.5)
        assert bob_large == 0, "Bob's large layer is encoded although nobody takes it"
        assert bob_small > 5 and ann_large > 20 and ann_small > 5

        # Bob becomes the big tile: his slot switches in place (no new subscription).
        subscriptions = listener.report.subscriptions
        shown: list[tuple[float, int | None]] = []
        switched_at = time.monotonic()
        listener.set_big([bob_id])
        deadline = switched_at + 10
        while time.monotonic() < deadline:
            shown.append((time.monotonic(), width(listener, bob_id)))
            if shown[-1][1] == LARGE_WIDTH and width(listener, ann_id) == SMALL_WIDTH:
                break
            await asyncio.sleep(0.01)
        assert shown[-1][1] == LARGE_WIDTH, "Bob's large layer never reached the big tile"
        assert width(listener, ann_id) == SMALL_WIDTH
        assert listener.report.layer_switches == 1
        assert listener.report.subscriptions == subscriptions, "the switch renegotiated the subscription"
        assert all(w in (SMALL_WIDTH, LARGE_WIDTH) for _, w in shown), "Bob's tile went blank"
        assert any(p == bob_id for _, p in listener.report.sharp)

        # No blank: Bob's tile kept getting frames (small, then large) all through the switch.
        times = [t for t in listener.frames.stats()[(bob_id, MAIN)].recent if t >= switched_at]
        gaps = [b - a for a, b in zip([switched_at, *times], times, strict=False)]
        assert times and max(gaps) < 0.4, f"Bob's tile waited {max(gaps, default=0):.2f} s for a frame"

        # Now Ann's large layer is unwanted and stops being encoded; Bob's is encoded.
        await asyncio.sleep(2.5)  # the old slot's source is released once the switch is done
        (ann_large, _), (bob_large, _) = await growth([ann, bob], 1.5)
        assert ann_large == 0, "Ann's large layer is encoded although nobody takes it"
        assert bob_large > 20
    finally:
        for session in reversed(sessions):
            await session.close()
        await client.aclose()

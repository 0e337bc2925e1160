"""Big audiences: past the threshold, listeners watch a Streaming mountpoint and notice nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
from aiortc import RTCSessionDescription

from spaces_desktop.bench.environment import janus_child_pid
from tests.support.api import EventLog, Member, create_space, join, promote
from tests.support.backend import Backend
from tests.support.janus_direct import DirectJanus, janus_url, learnt_api_secret
from tests.support.peers import Publisher, Subscriber

THRESHOLD = 1  # the first listener gets the VideoRoom, everyone after it a mountpoint


@pytest.fixture(scope="module")
def audience_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    folder = tmp_path_factory.mktemp("audience")
    server = Backend(
        folder / "data",
        folder / "backend.log",
        extra_args=["--audience-threshold", str(THRESHOLD), "--rate-limit-scale", "0"],
    )
    server.start()
    yield server
    server.stop()


def served_by(sdp: str) -> str:
    """Janus names the plugin in the offer's session line: `VideoRoom <room>` or `Mountpoint <id>`."""
    found = re.search(r"^s=(\w+)", sdp, re.MULTILINE)
    assert found, sdp
    return found.group(1)


class Watching(Subscriber):
    """A test listener that remembers the offer it got."""

    offer_sdp = ""

    async def subscribe(self) -> None:
        offer = (await self.member.post("/media/subscribe", {})).json()
        self.offer_sdp = str(offer["sdp"])
        self.streams = offer["streams"]
        await self.pc.setRemoteDescription(RTCSessionDescription(self.offer_sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.member.post(
            "/media/subscribe/answer", {"type": "answer", "sdp": self.pc.localDescription.sdp}, expect=204
        )

    @property
    def plugin(self) -> str:
        return served_by(self.offer_sdp)

    async def wait_all(self, participant_id: str, count: int = 5, timeout: float = 20.0) -> None:
        """Decoded audio and video frames of one participant."""
        [audio] = self.mids("audio", participant_id)
        [video] = self.mids("video", participant_id)
        await self.wait_frames(audio, self.frames(audio) + count, timeout)
        await self.wait_frames(video, self.frames(video) + count, timeout)


async def streams_count(events: EventLog, count: int) -> None:
    await events.wait_for(lambda e: e["type"] == "streams" and len(e["data"]["streams"]) == count, 20)


async def test_listeners_past_the_threshold_watch_a_mountpoint_and_follow_the_stage(
    audience_backend: Backend,
) -> None:
    host = await create_space(audience_backend.url)
    first = await join(audience_backend.url, host.space_id, "First", client_id="first-listener")
    crowd = await join(audience_backend.url, host.space_id, "Crowd", client_id="crowd-listener")
    events = EventLog(crowd)
    on_stage = Publisher(host)
    peers: list[Publisher | Subscriber] = [on_stage]
    speaker: Member | None = None
    try:
        await on_stage.publish()
        await streams_count(events, 2)

        early = Watching(first)
        peers.append(early)
        await early.subscribe()
        late = Watching(crowd)
        peers.append(late)
        await late.subscribe()
        assert early.plugin == "VideoRoom"  # the threshold: one VideoRoom subscriber
        assert late.plugin == "Mountpoint"
        await late.wait_all(host.id)
        await early.wait_all(host.id)

        # Who talks reaches the mountpoint's listener too (the VideoRoom's audio levels).
        await events.wait_for(lambda e: e["type"] == "talking" and e["data"]["participant_id"] == host.id, 20)

        # Camera off and on: the flags arrive, and the video keeps playing after it.
        for on in (False, True):
            await host.post("/me/camera", {"on": on, "source": "main"})
            await events.wait_for(
                lambda e, on=on: (
                    e["type"] == "participant_updated"
                    and e["data"]["participant"]["id"] == host.id
                    and e["data"]["participant"]["camera_on"] is on
                ),
                10,
            )
        await late.wait_all(host.id)

        # A speaker comes on stage: the listener resubscribes (as the app does) and gets both.
        speaker = await join(audience_backend.url, host.space_id, "Speaker", client_id="stage-speaker")
        await promote(host, speaker)
        second = Publisher(speaker)
        peers.append(second)
        await second.publish()
        await streams_count(events, 4)
        moved = Watching(crowd)
        peers.append(moved)
        await moved.subscribe()
        assert moved.plugin == "Mountpoint"  # still the mountpoint, a new one with the new stage
        assert re.search(r"^s=\w+ (\d+)", moved.offer_sdp, re.M) != re.search(
            r"^s=\w+ (\d+)", late.offer_sdp, re.M
        )
        await moved.wait_all(speaker.id)
        await moved.wait_all(host.id)

        # The speaker leaves the stage: the next subscription carries the host alone.
        await host.post(f"/participants/{speaker.id}/role", {"role": "listener"})
        await streams_count(events, 2)
        after = Watching(crowd)
        peers.append(after)
        await after.subscribe()
        assert {s["participant_id"] for s in after.streams} == {host.id}
        await after.wait_all(host.id)
    finally:
        await events.stop()
        for peer in peers:
            await peer.close()
        for member in (host, first, crowd, *([speaker] if speaker else [])):
            await member.aclose()


async def test_a_mountpoint_plays_only_for_those_the_backend_lets_in(audience_backend: Backend) -> None:
    host = await create_space(audience_backend.url)
    first = await join(audience_backend.url, host.space_id, "First", client_id="grant-first")
    crowd = await join(audience_backend.url, host.space_id, "Crowd", client_id="grant-crowd")
    events = EventLog(crowd)
    on_stage = Publisher(host)
    early, late = Watching(first), Watching(crowd)
    try:
        await on_stage.publish()
        await streams_count(events, 2)
        await early.subscribe()
        await late.subscribe()
        assert late.plugin == "Mountpoint"
        await late.wait_all(host.id)
        found = re.search(r"^s=Mountpoint (\d+)", late.offer_sdp, re.M)
        assert found
        mountpoint = int(found.group(1))

        # Someone who learnt Janus's api secret still cannot list or watch it: private, pinned.
        folder = audience_backend.data_dir / "janus"
        assert audience_backend.process is not None
        secret = learnt_api_secret(folder, janus_child_pid(audience_backend.process.pid))
        direct = await asyncio.to_thread(DirectJanus, janus_url(folder), secret, "janus.plugin.streaming")
        try:
            listed = await asyncio.to_thread(direct.request, {"request": "list"})
            assert mountpoint not in [m.get("id") for m in listed.get("list", [])]
            for attempt in ({}, {"pin": "guess"}):
                refused = await asyncio.to_thread(
                    direct.message, {"request": "watch", "id": mountpoint, **attempt}
                )
                assert "error" in refused or "error_code" in refused, refused
            destroyed = await asyncio.to_thread(direct.request, {"request": "destroy", "id": mountpoint})
            assert "error_code" in destroyed, destroyed
        finally:
            await asyncio.to_thread(direct.close)

        # Removed by the host: the backend refuses a new subscription and ends the current one.
        await host.post(f"/participants/{crowd.id}/remove", {}, expect=204)
        refused_response = await crowd.post("/media/subscribe", {}, expect=None)
        assert refused_response.status_code in (401, 403), refused_response.text
        [video] = late.mids("video", host.id)
        await asyncio.sleep(1.0)  # the detach reaches Janus
        before = late.frames(video)
        await asyncio.sleep(1.5)
        assert late.frames(video) - before <= 2, "a removed listener still receives the mountpoint"
        await early.wait_all(host.id)  # the VideoRoom listener is untouched
    finally:
        await events.stop()
        for peer in (on_stage, early, late):
            await peer.close()
        for member in (host, first, crowd):
            await member.aclose()

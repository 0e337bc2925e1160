"""A speaker's publish racing the host's demote, remove or mute, through real Janus.

Once the host's request has returned, nothing the speaker set up meanwhile may
survive: not in the backend's streams, not in a new listener's offer, not in
Janus's room. The backend runs in the test's process so Janus itself can be
asked which participants the room holds. A delay counts from the moment the
backend starts setting the speaker's stream up in Janus, so every trial really
lands while Janus is still answering.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiortc import RTCSessionDescription

from tests.support.api import Member, create_space, join, promote
from tests.support.inprocess import LocalBackend, local_backend
from tests.support.peers import Publisher, Subscriber

pytestmark = pytest.mark.asyncio(loop_scope="module")

DELAYS_MS = (0, 1, 3, 6)
CONNECT_WAIT_S = 3.0  # long enough for a leaked PeerConnection to come up and be listed
REPUBLISH_ROUNDS = 6


def installation() -> str:
    """A fresh installation key: removed speakers are banned by theirs (and their address without one)."""
    return uuid.uuid4().hex


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalBackend]:
    folder: Path = tmp_path_factory.mktemp("local-backend")
    async with local_backend(folder / "data") as backend:
        yield backend


async def offered(member: Member) -> Publisher:
    """A publisher with its offer made, so the publish request goes out at once."""
    publisher = Publisher(member)
    await publisher.pc.setLocalDescription(await publisher.pc.createOffer())
    return publisher


async def send_publish(publisher: Publisher) -> httpx.Response:
    response = await publisher.member.post(
        "/media/publish", {"type": "offer", "sdp": publisher.pc.localDescription.sdp}, expect=None
    )
    if response.status_code == 200:
        await publisher.pc.setRemoteDescription(RTCSessionDescription(response.json()["sdp"], "answer"))
    return response


async def let_connect(publishers: list[Publisher]) -> None:
    """Gives every answered PeerConnection time to come up, so a leaked stream gets listed."""
    deadline = time.monotonic() + CONNECT_WAIT_S
    while time.monotonic() < deadline:
        states = [p.pc.connectionState for p in publishers if p.pc.remoteDescription is not None]
        if all(s in ("connected", "failed", "closed") for s in states):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # Janus's publishers event follows webrtcup


async def leaks(local: LocalBackend, host: Member, speaker: Member) -> list[str]:
    """Where the speaker's media still shows up; empty when it is gone everywhere."""
    found = []
    if await local.in_janus(host.space_id, speaker.id):
        found.append("janus")
    snapshot = (await host.get()).json()
    if any(s["participant_id"] == speaker.id for s in snapshot["streams"]):
        found.append("snapshot")
    if any(p["id"] == speaker.id and p["publishing"] for p in snapshot["participants"]):
        found.append("publishing")
    newcomer = await join(local.url, host.space_id, "Newcomer", client_id=installation())
    try:
        offer = await newcomer.post("/media/subscribe", {}, expect=None)
        if offer.status_code == 200:
            if any(s["participant_id"] == speaker.id for s in offer.json()["streams"]):
                found.append("offered")
        else:
            assert offer.json()["error"] == "nothing_published", offer.text
    finally:
        await newcomer.post("/me/leave", expect=204)
        await newcomer.aclose()
    return found


async def cut_off(host: Member, speaker: Member, action: str) -> None:
    if action == "demote":
        await host.post(f"/participants/{speaker.id}/role", {"role": "listener"})
    elif action == "remove":
        await host.post(f"/participants/{speaker.id}/remove", expect=204)
    else:
        await speaker.post("/me/leave", expect=204)


@pytest.mark.parametrize("action", ["demote", "remove", "leave"])
@pytest.mark.parametrize("delay_ms", DELAYS_MS)
async def test_speaker_cut_off_while_publishing_leaves_nothing(
    local: LocalBackend, action: str, delay_ms: int
) -> None:
    host = await create_space(local.url)
    speaker = await join(local.url, host.space_id, "Sam", client_id=installation())
    await promote(host, speaker)
    await speaker.get()  # a warm connection, so the publish is not held up by a TCP handshake
    publisher = await offered(speaker)
    try:
        with local.publish_started() as started:
            request = asyncio.get_running_loop().create_task(send_publish(publisher))
            await asyncio.wait_for(started.wait(), 10)
            await asyncio.sleep(delay_ms / 1000)
            await cut_off(host, speaker, action)
        right_after = await leaks(local, host, speaker)
        response = await request
        assert response.status_code in (200, 401, 403), response.text
        if response.status_code != 200:
            assert response.json()["error"] in ("not_a_speaker", "removed", "left"), response.text
        await let_connect([publisher])
        later = await leaks(local, host, speaker)
        print(f"{action} {delay_ms} ms: publish {response.status_code}, leaks {right_after} then {later}")
        assert (right_after, later) == ([], [])
    finally:
        await publisher.close()
        await host.post("/end", expect=None)


@pytest.mark.parametrize("delay_ms", (0, 3))
async def test_space_ended_while_publishing_keeps_no_handle(local: LocalBackend, delay_ms: int) -> None:
    host = await create_space(local.url)
    speaker = await join(local.url, host.space_id, "Sam", client_id=installation())
    await promote(host, speaker)
    await speaker.get()
    publisher = await offered(speaker)
    handles_before = set(local.media.session._handles)
    try:
        with local.publish_started() as started:
            request = asyncio.get_running_loop().create_task(send_publish(publisher))
            await asyncio.wait_for(started.wait(), 10)
            await asyncio.sleep(delay_ms / 1000)
            await host.post("/end", expect=204)
        response = await request
        print(f"end {delay_ms} ms: publish {response.status_code} {response.text[:80]}")
        assert response.status_code in (200, 409), response.text
        if response.status_code == 409:
            assert response.json()["error"] == "space_ended", response.text
        # Every handle the backend attached for this Space is detached again.
        assert set(local.media.session._handles) - handles_before == set()
    finally:
        await publisher.close()


async def test_republishing_speaker_demoted_at_random_times_leaks_nothing(local: LocalBackend) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    leaked: list[tuple[int, list[str]]] = []
    for round_ in range(REPUBLISH_ROUNDS):
        host = await create_space(local.url)
        speaker = await join(local.url, host.space_id, "Sam", client_id=installation())
        await promote(host, speaker)
        await speaker.get()
        publishers: list[Publisher] = []

        async def keep_publishing(
            speaker: Member = speaker, publishers: list[Publisher] = publishers
        ) -> None:
            for _ in range(40):  # bounded; a demoted speaker is refused long before
                publisher = await offered(speaker)
                publishers.append(publisher)
                if (await send_publish(publisher)).status_code != 200:
                    return

        publishing = asyncio.get_running_loop().create_task(keep_publishing())
        try:
            await asyncio.sleep(rng.uniform(0.0, 0.25))
            await host.post(f"/participants/{speaker.id}/role", {"role": "listener"})
            await asyncio.wait_for(publishing, 60)
            await let_connect(publishers)
            found = await leaks(local, host, speaker)
            if found:
                leaked.append((round_, found))
        finally:
            publishing.cancel()
            for publisher in publishers:
                await publisher.close()
            await host.post("/end", expect=None)
    print(f"seed {seed}: {len(leaked)} of {REPUBLISH_ROUNDS} rounds leaked {leaked}")
    assert leaked == [], f"seed {seed}"


async def test_two_publishes_at_once_leave_exactly_one_publisher(local: LocalBackend) -> None:
    host = await create_space(local.url)
    speaker = await join(local.url, host.space_id, "Sam", client_id=installation())
    await promote(host, speaker)
    await speaker.get()
    first, second = await offered(speaker), await offered(speaker)
    try:
        responses = await asyncio.gather(send_publish(first), send_publish(second))
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        await let_connect([first, second])
        feed = local.feed(speaker.id)
        in_room = [p for p in await local.janus_participants(host.space_id) if int(p["id"]) == feed]
        assert len(in_room) == 1, in_room
        assert list(local.media.room(host.space_id).publishers) == [feed]
        streams = (await host.get()).json()["streams"]
        assert sorted(s["kind"] for s in streams if s["participant_id"] == speaker.id) == ["audio", "video"]
    finally:
        await first.close()
        await second.close()
        await host.post("/end", expect=None)


@pytest.mark.parametrize("delay_ms", (0, 3))
async def test_speaker_muted_while_publishing_comes_out_muted(local: LocalBackend, delay_ms: int) -> None:
    host = await create_space(local.url)
    speaker = await join(local.url, host.space_id, "Sam", client_id=installation())
    listener = await join(local.url, host.space_id, "Lee", client_id=installation())
    await promote(host, speaker)
    await speaker.get()
    publisher = await offered(speaker)
    subscriber = Subscriber(listener)
    try:
        with local.publish_started() as started:
            request = asyncio.get_running_loop().create_task(send_publish(publisher))
            await asyncio.wait_for(started.wait(), 10)
            await asyncio.sleep(delay_ms / 1000)
            await host.post(f"/participants/{speaker.id}/mute", {"muted": True})
        assert (await request).status_code == 200
        await let_connect([publisher])
        await subscriber.subscribe()
        [audio] = subscriber.mids("audio", speaker.id)
        [video] = subscriber.mids("video", speaker.id)
        await subscriber.wait_frames(video, 15)  # media flows, so silence below means muted
        await asyncio.sleep(1.0)
        print(f"mute {delay_ms} ms: {subscriber.frames(audio)} audio frames reached the listener")
        assert subscriber.frames(audio) == 0
    finally:
        await subscriber.close()
        await publisher.close()
        await host.post("/end", expect=None)

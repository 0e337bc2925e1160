"""A publish that Janus answers late, racing a demotion, removal, mute or a second publish.

Two seams: the Spaces service over a real store with a stand-in for the media
service whose publish waits on a gate, and the media service over a stand-in
Janus session that, like Janus, refuses a second participant with the same id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from spaces_desktop.domain import Role
from spaces_desktop.errors import Forbidden
from spaces_desktop.protocol import CreateSpaceRequest, JoinRequest
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.janus_client import JanusError
from spaces_desktop.server.media import FeedStream, MediaService, Room
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import ParticipantRow, Store

OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:abcdefghijklmnopqrstuv",
        "a=fingerprint:sha-256 00:11",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=mid:0",
        "a=sendonly",
        "",
    ]
)


class GatedMedia:
    """The media service's surface as the Spaces service uses it; publish waits for `gate`."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.published: dict[int, bool] = {}  # feed -> muted, as Janus would have it

    async def open_room(self, space_id: str, room_id: int) -> None: ...

    async def close_room(self, space_id: str) -> None:
        self.published.clear()

    async def publish(self, space_id: str, feed: int, sdp: str, allow_video: bool, muted: bool) -> str:
        self.published.pop(feed, None)
        self.entered.set()
        await self.gate.wait()  # Janus's attach, join and publish
        self.published[feed] = muted
        return "answer"

    async def unpublish(self, space_id: str, feed: int) -> bool:
        return self.published.pop(feed, None) is not None

    async def kick(self, space_id: str, feed: int) -> None:
        self.published.pop(feed, None)

    async def unsubscribe(self, space_id: str, feed: int) -> None: ...

    async def moderate(self, space_id: str, feed: int, mute: bool) -> None:
        if feed in self.published:
            self.published[feed] = mute

    def streams(self, space_id: str) -> list[FeedStream]:
        return [FeedStream(feed, "0", "audio", None) for feed in self.published]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(tmp_path / "spaces.sqlite3")
    yield db
    db.close()


async def stage(store: Store) -> tuple[SpacesService, GatedMedia, ParticipantRow, ParticipantRow]:
    service = SpacesService(store, EventBus(store), "http://spaces.test")
    media = GatedMedia()
    service.media = cast(MediaService, media)
    created = await service.create_space(CreateSpaceRequest(title="Race", host_name="Ann"))
    host = store.participant(created.participant.id)
    joined = await service.join(created.snapshot.space.id, JoinRequest(display_name="Sam"))
    assert host is not None
    await service.set_role(host, joined.participant.id, Role.SPEAKER)
    speaker = store.participant(joined.participant.id)
    assert speaker is not None
    return service, media, host, speaker


async def start_publish(
    service: SpacesService, media: GatedMedia, speaker: ParticipantRow
) -> asyncio.Task[str]:
    task = asyncio.get_running_loop().create_task(service.publish(speaker, "offer", OFFER))
    await asyncio.wait_for(media.entered.wait(), 5)
    return task


@pytest.mark.parametrize(("action", "refusal"), [("demote", "not_a_speaker"), ("remove", "removed")])
async def test_cut_off_during_a_publish_leaves_nothing_published(
    store: Store, action: str, refusal: str
) -> None:
    service, media, host, speaker = await stage(store)
    publishing = await start_publish(service, media, speaker)
    cut = (
        service.set_role(host, speaker.id, Role.LISTENER)
        if action == "demote"
        else service.remove(host, speaker.id)
    )
    cutting = asyncio.get_running_loop().create_task(cut)
    await asyncio.sleep(0.01)
    assert not cutting.done()  # it waits for the publish's turn before it returns
    media.gate.set()
    await asyncio.wait_for(cutting, 5)
    with pytest.raises(Forbidden) as refused:
        await publishing
    assert refused.value.code == refusal
    assert media.published == {}
    assert service.stream_views(speaker.space_id) == []


async def test_mute_during_a_publish_comes_out_muted(store: Store) -> None:
    service, media, host, speaker = await stage(store)
    publishing = await start_publish(service, media, speaker)
    muting = asyncio.get_running_loop().create_task(service.mute(host, speaker.id, True))
    await asyncio.sleep(0.01)
    media.gate.set()
    await asyncio.wait_for(asyncio.gather(muting, publishing), 5)
    assert media.published == {speaker.seq: True}


async def test_a_publish_after_a_demotion_never_reaches_the_media_server(store: Store) -> None:
    service, media, host, speaker = await stage(store)
    await service.set_role(host, speaker.id, Role.LISTENER)
    media.gate.set()
    with pytest.raises(Forbidden):
        await service.publish(speaker, "offer", OFFER)  # the row read at sign-in said speaker
    assert not media.entered.is_set()


async def test_streams_list_only_participants_on_stage(store: Store) -> None:
    service, media, host, speaker = await stage(store)
    media.published[speaker.seq] = False  # as if Janus still had it
    assert [v.participant_id for v in service.stream_views(speaker.space_id)] == [speaker.id]
    store.update_participant(replace(speaker, role=Role.LISTENER))  # demoted, the media not torn down yet
    assert service.stream_views(speaker.space_id) == []
    snapshot = service.snapshot(host)
    assert snapshot.streams == [] and not any(p.publishing for p in snapshot.participants)


# --- the media service against a stand-in Janus ---


class FakeJanus:
    """Janus's rules that matter here: one participant per id in a room, and a detached
    publisher stays listed (holding its id) for a moment while Janus tears it down."""

    def __init__(self, linger: int = 0) -> None:
        self.handles: list[FakeHandle] = []
        self.in_room: dict[int, FakeHandle] = {}
        self.leaving: dict[int, int] = {}  # feed -> listparticipants answers it still shows up in
        self.linger = linger
        self.publish_gate = asyncio.Event()
        self.publish_gate.set()
        self.alive = True

    async def attach(self, plugin: str, on_event: Any = None) -> FakeHandle:
        await asyncio.sleep(0)
        handle = FakeHandle(self)
        self.handles.append(handle)
        return handle

    def live(self) -> list[FakeHandle]:
        return [h for h in self.handles if not h.detached]


class FakeHandle:
    def __init__(self, janus: FakeJanus) -> None:
        self.janus = janus
        self.detached = False
        self.requests: list[dict[str, Any]] = []

    async def message(
        self, body: dict[str, Any], jsep: dict[str, Any] | None = None, timeout: float = 10
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        await asyncio.sleep(0)
        if body["request"] == "join":
            if body["id"] in self.janus.in_room:
                raise JanusError("Janus refused the request: User ID already exists", 436)
            self.janus.in_room[body["id"]] = self
            self.feed = body["id"]
            return {"videoroom": "joined"}, None
        await self.janus.publish_gate.wait()
        return {"videoroom": "event"}, {"type": "answer", "sdp": "answer"}

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        if body["request"] == "listparticipants":
            listed = [{"id": feed} for feed in self.janus.in_room]
            for feed, left in list(self.janus.leaving.items()):
                self.janus.leaving[feed] = left - 1
                if left <= 1:
                    del self.janus.leaving[feed], self.janus.in_room[feed]
            return {"participants": listed}
        return {}

    async def detach(self) -> None:
        self.detached = True
        if self.janus.in_room.get(getattr(self, "feed", -1)) is self:
            if self.janus.linger:
                self.janus.leaving[self.feed] = self.janus.linger
            else:
                del self.janus.in_room[self.feed]


class Listener:
    def streams_changed(self, space_id: str) -> None: ...

    def talking(self, space_id: str, feed: int, talking: bool, level_dbov: float | None) -> None: ...

    def media_reset(self, space_id: str, reason: str) -> None: ...

    def feed_id_to_participant(self, feed: int) -> str | None:
        return None


@contextlib.contextmanager
def media_over(janus: FakeJanus) -> Iterator[tuple[MediaService, Room]]:
    media = MediaService(lambda: "http://janus.test", lambda: None, Listener(), list)
    room = Room("sp", 7, monitor=cast(Any, FakeHandle(janus)))
    media._session = cast(Any, janus)
    media._rooms["sp"] = room
    yield media, room


async def until_joined(janus: FakeJanus) -> None:
    for _ in range(1000):
        if janus.in_room:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the publish never joined the room")


async def test_two_publishes_of_one_feed_leave_one_tracked_handle() -> None:
    janus = FakeJanus(linger=3)
    with media_over(janus) as (media, room):
        answers = await asyncio.gather(
            media.publish("sp", 5, OFFER, True, False), media.publish("sp", 5, OFFER, True, False)
        )
        assert answers == ["answer", "answer"]
        live = [h for h in janus.live() if h is not room.monitor]
        assert live == [room.publishers[5]] == [janus.in_room[5]]


async def test_unpublish_during_a_publish_waits_and_removes_it() -> None:
    janus = FakeJanus()
    janus.publish_gate.clear()
    with media_over(janus) as (media, room):
        publishing = asyncio.get_running_loop().create_task(media.publish("sp", 5, OFFER, True, False))
        await until_joined(janus)
        unpublishing = asyncio.get_running_loop().create_task(media.unpublish("sp", 5))
        await asyncio.sleep(0.01)
        janus.publish_gate.set()
        await asyncio.wait_for(asyncio.gather(publishing, unpublishing), 5)
        assert room.publishers == {} and janus.in_room == {}


async def test_a_muted_publish_is_moderated_before_its_answer_returns() -> None:
    janus = FakeJanus()
    with media_over(janus) as (media, room):
        await media.publish("sp", 5, OFFER, True, True)
        assert room.monitor is not None
        moderated = cast(FakeHandle, room.monitor).requests
        assert [(r["id"], r["mute"]) for r in moderated if r["request"] == "moderate"] == [(5, True)]


async def test_a_room_closed_during_a_publish_keeps_no_handle() -> None:
    janus = FakeJanus()
    janus.publish_gate.clear()
    with media_over(janus) as (media, room):
        publishing = asyncio.get_running_loop().create_task(media.publish("sp", 5, OFFER, True, False))
        await until_joined(janus)
        await media.close_room("sp")
        janus.publish_gate.set()
        with pytest.raises(Exception, match="closed"):
            await publishing
        assert [h for h in janus.live() if h is not room.monitor] == []


async def test_only_tracked_publishers_are_listed_and_untracked_ones_are_kicked() -> None:
    janus = FakeJanus()
    with media_over(janus) as (media, room):
        await media.publish("sp", 5, OFFER, True, False)

        def announce(feed: int) -> None:
            publisher = {"id": feed, "streams": [{"type": "audio", "mid": "0"}]}
            media._on_monitor_event(
                room, {"plugindata": {"data": {"videoroom": "event", "publishers": [publisher]}}}
            )

        announce(5)
        announce(9)  # in the room, but no publish of ours: nothing could ever tear it down
        assert [s.feed for s in media.streams("sp")] == [5]
        for _ in range(100):
            kicks = [r["id"] for r in cast(FakeHandle, room.monitor).requests if r["request"] == "kick"]
            if kicks:
                break
            await asyncio.sleep(0.001)
        assert kicks == [9]


async def test_a_cancelled_publish_keeps_no_handle() -> None:
    janus = FakeJanus()
    janus.publish_gate.clear()
    with media_over(janus) as (media, room):
        publishing = asyncio.get_running_loop().create_task(media.publish("sp", 5, OFFER, True, False))
        await until_joined(janus)
        publishing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await publishing
        for _ in range(100):
            if not janus.in_room:
                break
            await asyncio.sleep(0.001)
        assert [h for h in janus.live() if h is not room.monitor] == [] and janus.in_room == {}

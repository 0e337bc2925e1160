"""Which listeners the backend sends to a Streaming mountpoint (server/streaming.py)."""

from __future__ import annotations

from typing import Any, cast

from spaces_desktop.server.janus_client import JanusHandle
from spaces_desktop.server.media import FeedStream, MediaService, Room
from spaces_desktop.server.streaming import Audience, AudienceMedia, Mountpoint, Viewer, _signature


def handle(handle_id: int) -> JanusHandle:
    return cast(JanusHandle, type("Handle", (), {"id": handle_id})())


def router(threshold: int) -> AudienceMedia:
    return AudienceMedia(cast(MediaService, None), lambda feed: f"p{feed}", threshold=threshold)


def room_with(subscribers: int, publishers: tuple[int, ...] = (1,)) -> Room:
    room = Room("space", 7)
    room.publishers = {feed: handle(100 + feed) for feed in publishers}
    room.subscribers = {1000 + n: handle(2000 + n) for n in range(subscribers)}
    return room


def test_listeners_go_to_the_mountpoint_only_past_the_threshold() -> None:
    audience = router(threshold=3)
    assert not audience.serves(room_with(2), 50)
    assert audience.serves(room_with(3), 50)
    assert audience.serves(room_with(9), 50)


def test_people_on_stage_and_current_videoroom_subscribers_stay_on_the_videoroom() -> None:
    audience = router(threshold=0)
    room = room_with(5, publishers=(1, 2))
    assert not audience.serves(room, 2)  # a publisher would hear itself in the mountpoint
    assert not audience.serves(room, 1003)  # already subscribed there: no flapping
    assert audience.serves(room, 50)


def test_a_mountpoint_listener_stays_there_when_the_room_empties() -> None:
    audience = router(threshold=3)
    room = room_with(0)
    space = audience._spaces.setdefault("space", Audience())
    mountpoint = Mountpoint(room, ())
    space.viewers[50] = Viewer("space", 50, handle(9), mountpoint)
    assert audience.serves(room, 50)
    audience.available = False  # a Janus without the Streaming plugin: the VideoRoom for all
    assert not audience.serves(room, 50)


def test_a_republish_changes_the_stage_signature() -> None:
    room = room_with(0)
    room.streams = {1: [FeedStream(1, "0", "audio", None), FeedStream(1, "1", "video", None, "vp8")]}
    before = _signature(room)
    room.publishers[1] = handle(555)  # same feed and mids, a new publisher handle: old forwards are gone
    assert _signature(room) != before
    assert [entry[3:] for entry in before] == [("audio", "opus"), ("video", "vp8")]


def test_unsupported_video_codecs_are_left_out() -> None:
    room = room_with(0)
    streams: list[Any] = [FeedStream(1, "0", "audio", None), FeedStream(1, "1", "video", None, "av1")]
    room.streams = {1: streams}
    assert [entry[3] for entry in _signature(room)] == ["audio"]

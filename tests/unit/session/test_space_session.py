"""SpaceSession through its seams: a scripted backend over httpx.MockTransport, a fake transport.

State transitions (joining, live, reconnecting, failed, removed), the media
reconciler (publish while on stage, a subscription to every stream but ours,
make-before-break handover) and device loss, each without Janus or a socket.
"""

from __future__ import annotations

import asyncio

import pytest

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import Connection, DeviceSlot, DeviceStatus
from spaces_desktop.protocol import EventType
from spaces_desktop.session import space_session
from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.session.space_session import HANDOVER_POLL_S
from tests.unit.session.backend import HOST, ME, ScriptedBackend
from tests.unit.session.conftest import Harness, build, eventually

SPEAKER_STREAM = {"participant_id": "p_sam", "mid": "0", "kind": "audio"}


async def test_joining_goes_live_and_subscribes_to_every_stream_but_ours(listener: Harness) -> None:
    await listener.join()
    assert listener.connections_seen()[0] is Connection.CONNECTING
    await eventually(lambda: listener.backend.called("/media/subscribe/answer") == 1, "answered")
    (subscriber,) = listener.transport.subscribers
    assert [s.participant_id for s in subscriber.streams.values()] == [HOST]
    assert listener.transport.publishers == []  # a listener publishes nothing


async def test_a_dropped_event_stream_reconnects_and_resumes_after_the_last_event(listener: Harness) -> None:
    await listener.join()
    listener.backend.update(HOST, "hand_raised", hand_raised=True)
    await eventually(lambda: listener.session.state.members[HOST].hand_raised, "first event applied")
    delivered = len(listener.backend.log)
    listener.backend.drop_streams()
    await eventually(lambda: len(listener.backend.stream_requests()) == 2, "reconnected")
    assert listener.backend.stream_requests()[1].headers["Last-Event-ID"] == str(delivered)
    assert Connection.RECONNECTING in listener.connections_seen()
    await eventually(lambda: listener.connection is Connection.LIVE, "live again")
    assert listener.waits  # it backed off (the client's sleep), however briefly


async def test_a_server_that_no_longer_knows_the_space_fails_the_session(listener: Harness) -> None:
    await listener.join()
    listener.backend.refuse_streams(404, "not_found", "No such Space.")
    listener.backend.drop_streams()
    await eventually(lambda: listener.connection is Connection.FAILED, "failed")
    assert listener.session.state.reason == "No such Space."
    await eventually(lambda: not listener.transport.open_subscribers(), "media dropped")


async def test_removal_ends_the_media_and_says_why(listener: Harness) -> None:
    await listener.join()
    await eventually(lambda: len(listener.transport.open_subscribers()) == 1, "subscribed")
    listener.backend.emit(EventType.REMOVED, {"by": HOST})
    await eventually(lambda: listener.connection is Connection.REMOVED, "removed")
    assert "removed" in (listener.session.state.reason or "")
    await eventually(lambda: not listener.transport.open_subscribers(), "subscription closed")


async def test_the_space_ending_ends_the_session(listener: Harness) -> None:
    await listener.join()
    listener.backend.emit(EventType.SPACE_ENDED, {"by": HOST})
    await eventually(lambda: listener.connection is Connection.ENDED, "ended")


async def test_a_new_publisher_is_handed_over_without_a_gap(listener: Harness) -> None:
    await listener.join()
    await eventually(lambda: len(listener.transport.open_subscribers()) == 1, "subscribed")
    first = listener.transport.subscribers[0]
    first.track(HOST).push()  # the host's voice plays from the first subscription
    await eventually(lambda: listener.session.report.audio_frames.get(HOST) == 1, "heard the host")

    listener.backend.participants["p_sam"] = {"id": "p_sam", "display_name": "Sam", "role": "speaker"}
    listener.backend.set_streams([*listener.backend.streams, SPEAKER_STREAM])
    await eventually(lambda: len(listener.transport.subscribers) == 2, "subscribed again")
    second = listener.transport.subscribers[1]
    await eventually(lambda: second.state == "connected", "second connected")
    for _ in range(5):  # make before break: the old one keeps playing until the new one delivers
        await asyncio.sleep(HANDOVER_POLL_S)
    assert first.state == "connected"
    second.track(HOST).push()
    await eventually(lambda: first.state == "closed", "first closed once the second plays the host")
    assert listener.session.report.audio_frames[HOST] == 2


async def test_a_dead_subscription_is_rebuilt(listener: Harness) -> None:
    await listener.join()
    await eventually(lambda: len(listener.transport.open_subscribers()) == 1, "subscribed")
    listener.transport.subscribers[0].die()
    await eventually(lambda: len(listener.transport.subscribers) == 2, "rebuilt")
    assert listener.connection is Connection.LIVE


async def test_a_failing_subscribe_shows_reconnecting_until_it_works(listener: Harness) -> None:
    listener.backend.failing["/media/subscribe"] = (503, "media_unavailable")
    await listener.session.join("sp_test", "Lee", client_id="install-lee")
    await eventually(lambda: listener.connection is Connection.RECONNECTING, "reconnecting")
    assert "Reconnecting media" in (listener.session.state.reason or "")
    del listener.backend.failing["/media/subscribe"]
    await eventually(lambda: len(listener.transport.open_subscribers()) == 1, "subscribed after all")
    await eventually(lambda: listener.connection is Connection.LIVE, "live once media works")


async def test_network_numbers_carry_loss_bitrate_and_our_round_trip(
    speaker: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(space_session, "QUALITY_INTERVAL_S", 0.01)
    await speaker.join()
    speaker.backend.update(ME, "promoted", role=Role.SPEAKER.value)
    await eventually(lambda: len(speaker.transport.publishers) == 1, "published")
    speaker.transport.publishers[0].round_trip_s = 0.0854
    await eventually(lambda: len(speaker.transport.open_subscribers()) == 1, "subscribed")
    subscriber = speaker.transport.open_subscribers()[0]
    (mid,) = subscriber.streams
    subscriber.received[mid], subscriber.bytes[mid] = (1000, 0), 100_000
    await asyncio.sleep(0.05)  # a baseline sample or more
    subscriber.received[mid], subscriber.bytes[mid] = (1097, 3), 200_000  # 3 of 100 lost since

    def measured() -> bool:
        stats = speaker.session.state.network.get(HOST)
        return stats is not None and stats.loss_percent == 3.0

    await eventually(measured, "numbers measured")
    stats = speaker.session.state.network[HOST]
    assert speaker.session.state.quality[HOST] == "fair"
    assert stats.round_trip_ms == 85
    assert stats.kbps is not None and stats.kbps > 0  # 100 kB over the (short) interval it fell in


async def test_going_on_stage_publishes_and_stepping_down_unpublishes(speaker: Harness) -> None:
    await speaker.join()
    speaker.backend.update(ME, "promoted", role=Role.SPEAKER.value)
    await eventually(lambda: len(speaker.transport.publishers) == 1, "published")
    publisher = speaker.transport.publishers[0]
    await eventually(lambda: publisher.state == "connected", "publisher connected")
    assert publisher.answer == "v=0 answer" and publisher.tracks.audio is not None
    speaker.backend.update(ME, "demoted", role=Role.LISTENER.value)
    await eventually(lambda: publisher.state == "closed", "publisher closed")
    await eventually(lambda: speaker.backend.called("/media/unpublish") == 1, "told the server")


async def test_a_media_reset_publishes_again_and_waits_for_new_streams(speaker: Harness) -> None:
    await speaker.join()
    speaker.backend.update(ME, "promoted", role=Role.SPEAKER.value)
    await eventually(lambda: len(speaker.transport.publishers) == 1, "published")
    speaker.backend.emit(EventType.MEDIA_RESET, {"reason": "The media server restarted."})
    await eventually(lambda: len(speaker.transport.publishers) == 2, "published again")
    # The streams of before are gone with the reset: nothing to receive until the server lists new ones.
    await eventually(lambda: not speaker.transport.open_subscribers(), "old subscription dropped")
    speaker.backend.set_streams(speaker.backend.streams)
    await eventually(lambda: len(speaker.transport.open_subscribers()) == 1, "subscribed again")
    assert len(speaker.transport.subscribers) == 2


async def test_a_lost_microphone_becomes_a_device_problem(speaker: Harness) -> None:
    await speaker.join()
    speaker.backend.update(ME, "promoted", role=Role.SPEAKER.value)
    await eventually(lambda: len(speaker.transport.publishers) == 1, "published")
    microphone = speaker.session.media.microphone
    assert microphone is not None
    microphone.fail_now()  # type: ignore[attr-defined]
    await eventually(lambda: bool(speaker.session.state.device_problems), "problem shown")
    (problem,) = speaker.session.state.device_problems
    assert (problem.slot, problem.status) == (DeviceSlot.MICROPHONE, DeviceStatus.LOST)
    assert speaker.connection is Connection.LIVE  # a lost device is not a lost Space


async def test_network_quality_comes_from_the_transports_stats(
    listener: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(space_session, "QUALITY_INTERVAL_S", 0.01)
    await listener.join()
    await eventually(lambda: len(listener.transport.open_subscribers()) == 1, "subscribed")
    subscriber = listener.transport.subscribers[0]
    (mid,) = subscriber.streams
    subscriber.received[mid] = (1000, 0)
    await asyncio.sleep(0.05)  # a baseline sample or more
    subscriber.received[mid] = (1100, 20)  # 20 of 120 lost since: poor
    await eventually(lambda: listener.session.state.quality.get(HOST) == "poor", "rated poor")


async def test_a_session_that_receives_no_video_subscribes_to_audio_only() -> None:
    backend = ScriptedBackend()
    backend.streams = [
        {"participant_id": HOST, "mid": "0", "kind": "audio"},
        {"participant_id": HOST, "mid": "1", "kind": "video", "source": "main"},
    ]
    harness = build(backend, DeviceChoice(camera=NONE, microphone=NONE), receive_video=False)
    try:
        await harness.join()
        await eventually(lambda: backend.called("/media/subscribe/answer") == 1, "answered")
        (subscriber,) = harness.transport.subscribers
        assert [(s.participant_id, s.kind) for s in subscriber.streams.values()] == [(HOST, "audio")]
    finally:
        await harness.session.close()

"""Checks that hold again after every await: a publish Janus answers late meets a demotion,
a mute, a removal or the end of the Space, interleaved by the test (FakeMedia holds)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from spaces_desktop.domain import MAX_SPEAKERS, Role
from spaces_desktop.errors import Conflict, DomainError, Forbidden, MediaServerError
from spaces_desktop.server.store import ParticipantRow
from tests.support.fakes import Hold
from tests.unit.server.conftest import OFFER, World


@dataclass
class HeldPublish:
    speaker: ParticipantRow
    feed: int
    task: asyncio.Task[str]
    hold: Hold


async def _publish_held(world: World) -> HeldPublish:
    """A speaker's publish, stopped inside Janus's round trip until the test releases it."""
    speaker = await world.member(Role.SPEAKER)
    hold = world.media.hold("publish")
    task = asyncio.create_task(world.service.publish(speaker, "offer", OFFER))
    await hold.wait_entered()
    return HeldPublish(speaker, speaker.seq, task, hold)


async def test_a_demotion_while_janus_answers_leaves_nothing_published(world: World) -> None:
    held = await _publish_held(world)
    speaker, feed, task, hold = held.speaker, held.feed, held.task, held.hold
    demotion = asyncio.create_task(world.service.set_role(world.host, speaker.id, Role.LISTENER))
    await asyncio.sleep(0)
    assert world.row(speaker.id).role is Role.LISTENER
    hold.release()
    with pytest.raises(Forbidden) as refused:
        await task
    assert refused.value.code == "not_a_speaker"
    await demotion
    assert not world.media.is_published(world.space_id, feed)
    assert world.media.called("unpublish")  # taken down, not merely not recorded


async def test_a_mute_while_janus_answers_is_applied_to_the_new_stream(world: World) -> None:
    held = await _publish_held(world)
    speaker, feed, task, hold = held.speaker, held.feed, held.task, held.hold
    mute = asyncio.create_task(world.service.mute(world.host, speaker.id, True))
    await asyncio.sleep(0)
    hold.release()
    assert await task == f"answer for {feed}"
    await mute
    assert world.media.published[world.space_id][feed] is True  # muted in Janus, whatever the client does


async def test_a_removal_while_janus_answers_kicks_the_feed(world: World) -> None:
    held = await _publish_held(world)
    speaker, feed, task, hold = held.speaker, held.feed, held.task, held.hold
    removal = asyncio.create_task(world.service.remove(world.host, speaker.id))
    await asyncio.sleep(0)
    hold.release()
    with pytest.raises(Forbidden) as refused:
        await task
    assert refused.value.code == "removed"
    await removal
    assert not world.media.is_published(world.space_id, feed)
    assert world.media.called("kick")


async def test_the_space_ending_while_janus_fails_is_a_conflict_not_a_media_error(world: World) -> None:
    held = await _publish_held(world)
    task, hold = held.task, held.hold
    await world.service.end(world.host)
    hold.release(MediaServerError("room destroyed"))
    with pytest.raises(Conflict) as refused:
        await task
    assert refused.value.code == "space_ended"


async def test_a_media_error_with_the_caller_still_on_stage_stays_a_media_error(world: World) -> None:
    held = await _publish_held(world)
    task, hold = held.task, held.hold
    hold.release(MediaServerError("Janus went away"))
    with pytest.raises(MediaServerError):
        await task


async def test_two_publishes_of_one_feed_take_turns(world: World) -> None:
    held = await _publish_held(world)
    speaker, feed, first, hold = held.speaker, held.feed, held.task, held.hold
    second = asyncio.create_task(world.service.publish(speaker, "offer", OFFER))
    await asyncio.sleep(0)
    assert len(world.media.called("publish")) == 1  # the second waits for the first's turn
    hold.release()
    await first
    await second
    assert len(world.media.called("publish")) == 2
    assert world.media.is_published(world.space_id, feed)


async def test_two_listeners_racing_for_the_last_speaker_slot_cannot_both_win(world: World) -> None:
    for _ in range(MAX_SPEAKERS - 1):
        await world.member(Role.SPEAKER)
    invited = []
    for name in ("Ann", "Bob"):
        listener = await world.member(Role.LISTENER, name)
        await world.service.invite(world.host, listener.id)
        invited.append(world.row(listener.id))
    results = await asyncio.gather(
        *(world.service.answer_invite(row, True) for row in invited), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].code == "stage_full", results
    assert world.service.store.count_roles(world.space_id)[Role.SPEAKER] == MAX_SPEAKERS

"""Who gets in and who stays out: bans, the lobby, the limits of the stage, and what each step announces."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from spaces_desktop.domain import MAX_COHOSTS, MAX_SPEAKERS, ParticipantStatus, Role
from spaces_desktop.errors import Conflict, Forbidden, Unauthorized
from spaces_desktop.protocol import CreateSpaceRequest, EventType, JoinRequest, Waiting
from tests.unit.server.conftest import OFFER, World

# --- bans ---


async def test_removal_bans_the_installation_and_an_address_without_one(world: World) -> None:
    guest = await world.join("Gus", client_id="install-gus", address="10.0.0.50")
    await world.service.remove(world.host, guest)
    for client_id in ("install-gus", None):  # the same app, or one hiding its key at that address
        with pytest.raises(Forbidden) as refused:
            await world.join("Gus again", client_id=client_id, address="10.0.0.50")
        assert refused.value.code == "banned"
    # Someone else behind the same address (a shared network) still gets in with their own key.
    assert await world.join("Neighbour", client_id="install-other", address="10.0.0.50")


async def test_blocking_the_address_refuses_everyone_there_but_only_in_that_space(world: World) -> None:
    guest = await world.join("Gus", client_id="install-gus", address="10.0.0.50")
    await world.service.remove(world.host, guest, block_address=True)
    with pytest.raises(Forbidden):
        await world.join("Neighbour", client_id="install-other", address="10.0.0.50")
    hosted = await world.service.create_space(CreateSpaceRequest(title="Another", host_name="Olga"))
    other = await world.service.join(
        hosted.snapshot.space.id, JoinRequest(display_name="Gus", client_id="install-gus"), "10.0.0.50"
    )
    assert other.participant.display_name == "Gus"


async def test_a_removed_participant_is_told_and_everyone_else_sees_them_go(world: World) -> None:
    speaker = await world.member(Role.SPEAKER, "Sam")
    await world.service.publish(speaker, "offer", OFFER)
    after = world.last_event_id()
    await world.service.remove(world.host, speaker.id)
    mine = world.events(speaker.id, after)
    assert (EventType.REMOVED, {"by": world.host_id}) in mine
    others = world.events(world.host_id, after)
    assert EventType.REMOVED not in [t for t, _ in others]  # only the removed one hears it
    left = [d for t, d in others if t == EventType.PARTICIPANT_LEFT]
    assert left and left[0]["reason"] == "removed" and left[0]["participant"]["id"] == speaker.id
    assert not world.media.is_published(world.space_id, speaker.seq)
    assert world.row(speaker.id).status is ParticipantStatus.REMOVED


async def test_the_hosts_name_is_taken_and_a_locked_space_lets_nobody_new_in(world: World) -> None:
    with pytest.raises(Conflict) as taken:
        await world.join("hana")  # the host's name, in another case
    assert taken.value.code == "name_taken"
    await world.service.set_access(world.host, True, None)
    with pytest.raises(Forbidden) as locked:
        await world.join("Late")
    assert locked.value.code == "space_locked"


# --- the lobby ---


async def _waiting(world: World, name: str = "Wendy") -> str:
    await world.service.set_access(world.host, None, True)
    outcome = await world.service.join(
        world.space_id, JoinRequest(display_name=name, client_id=f"install-{name}")
    )
    assert isinstance(outcome, Waiting)
    world.tokens[outcome.participant.id] = outcome.token
    return outcome.participant.id


async def test_a_newcomer_waits_and_only_moderators_hear_of_it(world: World) -> None:
    cohost = await world.member(Role.COHOST, "Cora")
    listener = await world.member(Role.LISTENER, "Lou")
    after = world.last_event_id()
    wendy = await _waiting(world)
    for moderator in (world.host_id, cohost.id):
        requests = [d for t, d in world.events(moderator, after) if t == EventType.JOIN_REQUEST]
        assert [r["participant"]["id"] for r in requests] == [wendy]
    assert EventType.JOIN_REQUEST not in [t for t, _ in world.events(listener.id, after)]
    assert EventType.PARTICIPANT_JOINED not in [t for t, _ in world.events(listener.id, after)]
    with pytest.raises(Forbidden) as waiting:
        world.service.authenticate(world.space_id, world.tokens[wendy])
    assert waiting.value.code == "waiting"
    snapshot = world.service.snapshot(world.host)
    assert [p.id for p in snapshot.waiting] == [wendy]
    assert world.service.snapshot(listener).waiting == []  # a listener never sees who waits


async def test_an_admission_poll_is_answered_the_moment_a_host_lets_them_in(world: World) -> None:
    wendy = await _waiting(world)
    row = world.service.authenticate(world.space_id, world.tokens[wendy], lobby=True)
    poll = asyncio.create_task(world.service.admission(row))
    await asyncio.sleep(0)
    assert not poll.done()  # a long poll: it waits for the decision
    after = world.last_event_id()
    await world.service.admit(world.host, wendy)
    admission = await asyncio.wait_for(poll, 1.0)  # well under ADMISSION_WAIT_S: woken, not timed out
    assert admission.status == "admitted"
    types = [t for t, _ in world.events(world.host_id, after)]
    assert EventType.JOIN_REQUEST_CLOSED in types and EventType.PARTICIPANT_JOINED in types
    assert world.service.authenticate(world.space_id, world.tokens[wendy]).status is ParticipantStatus.ACTIVE


async def test_a_denied_newcomer_is_told_so_and_stays_out(world: World) -> None:
    wendy = await _waiting(world)
    await world.service.deny(world.host, wendy)
    row = world.service.authenticate(world.space_id, world.tokens[wendy], lobby=True)
    assert (await world.service.admission(row)).status == "denied"
    with pytest.raises(Forbidden) as denied:
        world.service.authenticate(world.space_id, world.tokens[wendy])
    assert denied.value.code == "denied"


async def test_a_new_cohost_is_told_who_already_waits(world: World) -> None:
    speaker = await world.member(Role.SPEAKER, "Sid")
    wendy = await _waiting(world)
    after = world.last_event_id()
    await world.service.set_role(world.host, speaker.id, Role.COHOST)
    requests = [d for t, d in world.events(speaker.id, after) if t == EventType.JOIN_REQUEST]
    assert [r["participant"]["id"] for r in requests] == [wendy]


async def test_leaving_the_lobby_closes_the_request(world: World) -> None:
    wendy = await _waiting(world)
    after = world.last_event_id()
    await world.service.leave(world.row(wendy))
    closed = [d for t, d in world.events(world.host_id, after) if t == EventType.JOIN_REQUEST_CLOSED]
    assert closed == [{"participant_id": wendy, "outcome": "left"}]
    with pytest.raises(Unauthorized):
        world.service.authenticate(world.space_id, world.tokens[wendy], lobby=True)


# --- the stage's limits ---


async def test_the_stage_holds_ten_speakers_and_two_cohosts(world: World) -> None:
    for _ in range(MAX_SPEAKERS):
        await world.member(Role.SPEAKER)
    one_more = await world.member(Role.LISTENER)
    with pytest.raises(Conflict) as full:
        await world.service.set_role(world.host, one_more.id, Role.SPEAKER)
    assert full.value.code == "stage_full"
    for _ in range(MAX_COHOSTS):
        await world.member(Role.COHOST)
    with pytest.raises(Conflict) as cohosts:
        await world.service.set_role(world.host, one_more.id, Role.COHOST)
    assert cohosts.value.code == "cohosts_full"
    # Stepping down frees the slot at once.
    speaker = next(
        p for p in world.service.store.active_participants(world.space_id) if p.role is Role.SPEAKER
    )
    await world.service.set_role(world.host, speaker.id, Role.LISTENER)
    assert (await world.service.set_role(world.host, one_more.id, Role.SPEAKER)).role is Role.SPEAKER


# --- what each change announces ---


async def test_a_demotion_announces_itself_and_clears_the_stage_flags(world: World) -> None:
    speaker = await world.member(Role.SPEAKER, "Sam")
    await world.service.publish(world.row(speaker.id), "offer", OFFER)
    await world.service.mute(world.host, speaker.id, True)
    after = world.last_event_id()
    view = await world.service.set_role(world.host, speaker.id, Role.LISTENER)
    assert (view.role, view.muted) == (Role.LISTENER, False)
    updates = [d for t, d in world.events(speaker.id, after) if t == EventType.PARTICIPANT_UPDATED]
    assert [(u["change"], u["by"], u["participant"]["role"]) for u in updates] == [
        ("demoted", world.host_id, "listener")
    ]
    assert not world.media.is_published(world.space_id, speaker.seq)


async def test_an_invitation_goes_to_the_invited_listener_only(world: World) -> None:
    lee = await world.member(Role.LISTENER, "Lee")
    other = await world.member(Role.LISTENER, "Max")
    after = world.last_event_id()
    await world.service.invite(world.host, lee.id)
    assert (EventType.INVITED, {"participant_id": lee.id, "by": world.host_id}) in world.events(lee.id, after)
    assert EventType.INVITED not in [t for t, _ in world.events(other.id, after)]
    accepted = await world.service.answer_invite(world.row(lee.id), True)
    assert accepted.role is Role.SPEAKER and not accepted.invited


async def test_ending_announces_and_closes_the_room(world: World) -> None:
    after = world.last_event_id()
    await world.service.end(world.host)
    types = [t for t, _ in world.events(world.host_id, after)]
    assert types == [EventType.SPACE_UPDATED, EventType.SPACE_ENDED]
    assert world.media.called("close_room") == [(world.space_id,)]
    await world.service.end(world.host)  # ending twice is a no-op, with no second announcement
    assert [t for t, _ in world.events(world.host_id, after)] == types


async def test_streams_list_only_participants_still_on_stage(world: World) -> None:
    speaker = await world.member(Role.SPEAKER, "Sam")
    await world.service.publish(world.row(speaker.id), "offer", OFFER)
    assert [s.participant_id for s in world.service.snapshot(world.host).streams] == [speaker.id]
    # Janus still lists it for a moment after a demotion: the snapshot must not.
    world.service.store.update_participant(replace(world.row(speaker.id), role=Role.LISTENER))
    assert world.service.snapshot(world.host).streams == []

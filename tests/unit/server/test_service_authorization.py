"""Who may do what: every action decided from the caller's token and its role as stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from spaces_desktop.domain import CameraSource, ParticipantStatus, Role
from spaces_desktop.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized
from spaces_desktop.protocol import CreateSpaceRequest
from spaces_desktop.server.store import ParticipantRow
from tests.unit.server.conftest import OFFER, World

Action = Callable[[World, ParticipantRow, ParticipantRow], Awaitable[object]]


async def _promote(w: World, caller: ParticipantRow, target: ParticipantRow) -> object:
    return await w.service.set_role(caller, target.id, Role.SPEAKER)


async def _make_cohost(w: World, caller: ParticipantRow, target: ParticipantRow) -> object:
    return await w.service.set_role(caller, target.id, Role.COHOST)


async def _mute(w: World, caller: ParticipantRow, target: ParticipantRow) -> object:
    return await w.service.mute(caller, target.id, True)


async def _remove(w: World, caller: ParticipantRow, target: ParticipantRow) -> object:
    return await w.service.remove(caller, target.id)


async def _invite(w: World, caller: ParticipantRow, target: ParticipantRow) -> object:
    return await w.service.invite(caller, target.id)


ROLES = [Role.COHOST, Role.SPEAKER, Role.LISTENER]


@pytest.mark.parametrize(
    ("action", "target_role", "allowed"),
    [
        # (action, the target's role, callers allowed among host / co-host / speaker / listener)
        (_promote, Role.LISTENER, {Role.HOST, Role.COHOST}),
        (_make_cohost, Role.SPEAKER, {Role.HOST}),
        (_mute, Role.SPEAKER, {Role.HOST, Role.COHOST}),
        (_mute, Role.COHOST, {Role.HOST}),
        (_remove, Role.LISTENER, {Role.HOST, Role.COHOST}),
        (_remove, Role.COHOST, {Role.HOST}),
        (_invite, Role.LISTENER, {Role.HOST, Role.COHOST}),
    ],
)
@pytest.mark.parametrize("caller_role", [Role.HOST, *ROLES])
async def test_each_action_is_allowed_exactly_to_the_roles_that_may(
    world: World, action: Action, target_role: Role, allowed: set[Role], caller_role: Role
) -> None:
    caller = world.host if caller_role is Role.HOST else await world.member(caller_role, "Caller")
    target = await world.member(target_role, "Target")
    before = world.row(target.id)
    if caller_role in allowed:
        await action(world, world.row(caller.id), target)
        assert world.row(target.id) != before
    else:
        with pytest.raises(Forbidden):
            await action(world, world.row(caller.id), target)
        assert world.row(target.id) == before  # a refused action writes nothing


async def test_nobody_unmutes_someone_else_and_a_speaker_unmutes_themself(world: World) -> None:
    speaker = await world.member(Role.SPEAKER)
    await world.service.mute(world.host, speaker.id, True)
    with pytest.raises(Forbidden, match="Only the speaker"):
        await world.service.mute(world.host, speaker.id, False)
    view = await world.service.mute(world.row(speaker.id), speaker.id, False)
    assert not view.muted


async def test_listeners_cannot_be_muted_nor_turn_a_camera_on(world: World) -> None:
    listener = await world.member(Role.LISTENER)
    with pytest.raises(Conflict, match="listener"):
        await world.service.mute(world.host, listener.id, True)
    with pytest.raises(Conflict, match="video"):
        await world.service.camera(listener, True, CameraSource.MAIN)  # this Space has no video


async def test_the_host_role_never_changes_and_only_the_host_ends_or_starts(world: World) -> None:
    cohost = await world.member(Role.COHOST)
    with pytest.raises(Forbidden, match="host's role"):
        await world.service.set_role(cohost, world.host_id, Role.LISTENER)
    with pytest.raises(Forbidden):
        await world.service.end(cohost)
    with pytest.raises(Forbidden):
        await world.service.start(cohost)
    with pytest.raises(Conflict, match="not scheduled"):
        await world.service.start(world.host)  # live already


async def test_stepping_down_is_self_service_but_stepping_up_is_not(world: World) -> None:
    speaker = await world.member(Role.SPEAKER)
    listener = await world.member(Role.LISTENER)
    with pytest.raises(Forbidden):
        await world.service.set_role(listener, listener.id, Role.SPEAKER)
    view = await world.service.set_role(speaker, speaker.id, Role.LISTENER)
    assert view.role is Role.LISTENER


async def test_only_moderators_change_access_and_handle_the_lobby(world: World) -> None:
    speaker = await world.member(Role.SPEAKER)
    with pytest.raises(Forbidden):
        await world.service.set_access(speaker, True, None)
    with pytest.raises(Forbidden):
        await world.service.admit(speaker, "p_nobody")
    with pytest.raises(Forbidden):
        await world.service.deny(speaker, "p_nobody")
    with pytest.raises(NotFound, match="waiting"):
        await world.service.admit(world.host, "p_nobody")


async def test_listeners_neither_publish_nor_trickle_to_a_publisher(world: World) -> None:
    listener = await world.member(Role.LISTENER)
    with pytest.raises(Forbidden) as refused:
        await world.service.publish(listener, "offer", OFFER)
    assert refused.value.code == "not_a_speaker"
    with pytest.raises(Forbidden):
        await world.service.trickle(listener, "publish", [], True)
    assert world.media.called("publish") == []  # refused before Janus was asked


async def test_a_token_is_checked_against_its_space_and_its_status(world: World) -> None:
    service = world.service
    listener_id = await world.join("Lee")
    token = world.tokens[listener_id]
    assert service.authenticate(world.space_id, token).id == listener_id
    with pytest.raises(Unauthorized, match="Sign in"):
        service.authenticate(world.space_id, None)
    with pytest.raises(NotFound):
        service.authenticate("no-such-space", token)
    other = await service.create_space(CreateSpaceRequest(title="Other", host_name="Olga"))
    with pytest.raises(Unauthorized, match="does not belong"):
        service.authenticate(other.snapshot.space.id, token)  # a real token, of another Space

    row = world.row(listener_id)
    for status, error, code in [
        (ParticipantStatus.REMOVED, Forbidden, "removed"),
        (ParticipantStatus.LEFT, Unauthorized, "left"),
        (ParticipantStatus.PENDING, Forbidden, "waiting"),
        (ParticipantStatus.DENIED, Forbidden, "denied"),
    ]:
        service.store.update_participant(replace(row, status=status))
        with pytest.raises(error) as refused:
            service.authenticate(world.space_id, token)
        assert refused.value.code == code
    # The lobby's own routes let a waiting or refused person ask where they stand.
    assert service.authenticate(world.space_id, token, lobby=True).status is ParticipantStatus.DENIED


async def test_a_stream_ticket_is_spent_once_and_rechecks_the_participant(world: World) -> None:
    listener = await world.member(Role.LISTENER)
    ticket = world.service.stream_ticket(listener).ticket
    assert world.service.authenticate_ticket(world.space_id, ticket).id == listener.id
    with pytest.raises(Unauthorized):
        world.service.authenticate_ticket(world.space_id, ticket)  # spent
    second = world.service.stream_ticket(listener).ticket
    await world.service.remove(world.host, listener.id)
    with pytest.raises(Forbidden) as refused:
        world.service.authenticate_ticket(world.space_id, second)
    assert refused.value.code == "removed"


async def test_an_ended_space_refuses_every_change(world: World) -> None:
    speaker = await world.member(Role.SPEAKER)
    listener = await world.member(Role.LISTENER)
    await world.service.end(world.host)
    attempts: list[Awaitable[object]] = [
        world.service.set_role(world.host, listener.id, Role.SPEAKER),
        world.service.mute(world.host, speaker.id, True),
        world.service.raise_hand(listener, True),
        world.service.publish(world.row(speaker.id), "offer", OFFER),
        world.service.subscribe(listener, None),
        world.service.set_access(world.host, True, None),
        world.service.remove(world.host, listener.id),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as refused:
            await attempt
        assert refused.value.code == "space_ended", refused.value

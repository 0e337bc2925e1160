"""Two backends (two services, two RedisStores) on one real redis-server racing for the same rule.

Every race is interleaved deterministically: backend A reads and checks, then backend B's whole
request runs, then A writes (`Interleaved` runs B inside A's first conditional write). Without the
conditional write A would win as well (an 11th speaker, a banned installation let in); with it,
A's write fails, A reads again, checks again and refuses. One test races with real threads.
"""

# ruff: noqa: B023  (every hook runs within the iteration that made it)
from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar, cast

import pytest

from spaces_desktop.domain import MAX_COHOSTS, MAX_SPEAKERS, ParticipantStatus, Role
from spaces_desktop.errors import Conflict, DomainError, Forbidden, NotFound
from spaces_desktop.protocol import CreateSpaceRequest, Joined, JoinRequest, Waiting
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.redis_store import RedisStore
from spaces_desktop.server.service import WRITE_ATTEMPTS, SpacesService
from spaces_desktop.server.store import ParticipantRow, Store
from tests.support.redis_server import RedisServer

T = TypeVar("T")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


class Interleaved(RedisStore):
    """A backend's store that runs `between` (another backend's request) once, just before its next
    conditional write: after this backend's checks, before its write."""

    between: Callable[[], object] | None = None
    always = False

    def _interleave(self, if_version: int | None) -> None:
        hook = self.between
        if hook is not None and if_version is not None:
            if not self.always:
                self.between = None
            hook()

    def add_participant(self, participant: ParticipantRow, token: str, if_version: int | None = None) -> Any:
        self._interleave(if_version)
        return super().add_participant(participant, token, if_version)

    def update_participant(self, participant: ParticipantRow, if_version: int | None = None) -> None:
        self._interleave(if_version)
        super().update_participant(participant, if_version)

    def remove_participant(
        self, removed: ParticipantRow, block_address: bool, if_version: int | None = None
    ) -> None:
        self._interleave(if_version)
        super().remove_participant(removed, block_address, if_version)


def now(coro: Coroutine[Any, Any, T]) -> T:
    """Runs a service call that never suspends (no media here) to its end, right now (inside the
    test's event loop, which the audience counter's timers use)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coro.close()
    raise AssertionError("the call waited for something")


class Backend:
    def __init__(self, server: RedisServer, prefix: str) -> None:
        self.store = Interleaved(server.client(), prefix)
        self.service = SpacesService(self.store, EventBus(cast(Store, self.store)), "http://spaces.test")

    def me(self, token: str, space_id: str) -> ParticipantRow:
        """Authenticated on this backend, as a request would be (then raced)."""
        return self.service.authenticate(space_id, token)


class Cluster:
    def __init__(self, server: RedisServer) -> None:
        prefix = f"t{secrets.token_hex(4)}:"
        self.a, self.b = Backend(server, prefix), Backend(server, prefix)
        joined = now(self.a.service.create_space(CreateSpaceRequest(title="Race", host_name="Host")))
        self.space_id = joined.snapshot.space.id
        self.host_token = joined.token
        self.tokens: dict[str, str] = {}

    def join(self, name: str, backend: Backend | None = None) -> str:
        outcome = now(
            (backend or self.a).service.join(
                self.space_id, JoinRequest(display_name=name, client_id=f"client-{name}")
            )
        )
        assert isinstance(outcome, (Joined, Waiting))
        self.tokens[outcome.participant.id] = outcome.token
        return outcome.participant.id

    def host(self, backend: Backend) -> ParticipantRow:
        return backend.me(self.host_token, self.space_id)

    def as_(self, backend: Backend, pid: str) -> ParticipantRow:
        return backend.me(self.tokens[pid], self.space_id)

    def promote(self, pid: str, role: Role, backend: Backend | None = None) -> None:
        b = backend or self.a
        now(b.service.set_role(self.host(b), pid, role))

    def counts(self) -> dict[Role, int]:
        return self.a.store.count_roles(self.space_id)

    def row(self, pid: str) -> ParticipantRow:
        found = self.b.store.participant(pid)
        assert found is not None
        return found


def _outcome(call: Callable[[], object]) -> DomainError | None:
    try:
        call()
    except DomainError as exc:
        return exc
    return None


ROUNDS = 25


async def test_two_backends_racing_for_the_last_speaker_slot_never_both_win(
    redis_server: RedisServer,
) -> None:
    c = Cluster(redis_server)
    for n in range(MAX_SPEAKERS - 1):
        c.promote(c.join(f"speaker{n}"), Role.SPEAKER)
    first, second = c.join("first"), c.join("second")
    for round_ in range(ROUNDS):
        late, early = (c.a, c.b) if round_ % 2 == 0 else (c.b, c.a)  # who checks first alternates
        host_late, host_early = c.host(late), c.host(early)
        b_result: list[DomainError | None] = []
        late.store.between = lambda: b_result.append(
            _outcome(lambda: now(early.service.set_role(host_early, second, Role.SPEAKER)))
        )
        a_result = _outcome(lambda: now(late.service.set_role(host_late, first, Role.SPEAKER)))
        assert b_result == [None], "the request that wrote first wins"
        assert isinstance(a_result, Conflict) and a_result.code == "stage_full"
        assert c.counts()[Role.SPEAKER] == MAX_SPEAKERS
        assert c.row(first).role is Role.LISTENER and c.row(second).role is Role.SPEAKER
        c.promote(second, Role.LISTENER, early)  # back to one slot left


async def test_an_accepted_invitation_and_a_promotion_racing_fill_the_slot_once(
    redis_server: RedisServer,
) -> None:
    c = Cluster(redis_server)
    for n in range(MAX_SPEAKERS - 1):
        c.promote(c.join(f"speaker{n}"), Role.SPEAKER)
    guest, other = c.join("guest"), c.join("other")
    for _ in range(ROUNDS):
        now(c.b.service.invite(c.host(c.b), guest))
        me = c.as_(c.a, guest)
        host_b = c.host(c.b)
        c.a.store.between = lambda: now(c.b.service.set_role(host_b, other, Role.SPEAKER))
        refused = _outcome(lambda: now(c.a.service.answer_invite(me, True)))
        assert isinstance(refused, Conflict) and refused.code == "stage_full"
        assert c.counts()[Role.SPEAKER] == MAX_SPEAKERS and c.row(guest).role is Role.LISTENER
        c.promote(other, Role.LISTENER, c.b)


async def test_two_backends_racing_for_the_last_cohost_slot_never_both_win(redis_server: RedisServer) -> None:
    c = Cluster(redis_server)
    for n in range(MAX_COHOSTS - 1):
        c.promote(c.join(f"cohost{n}"), Role.COHOST)
    first, second = c.join("first"), c.join("second")
    for round_ in range(ROUNDS):
        late, early = (c.a, c.b) if round_ % 2 == 0 else (c.b, c.a)
        host_late, host_early = c.host(late), c.host(early)
        late.store.between = lambda: now(early.service.set_role(host_early, second, Role.COHOST))
        refused = _outcome(lambda: now(late.service.set_role(host_late, first, Role.COHOST)))
        assert isinstance(refused, Conflict) and refused.code == "cohosts_full"
        assert c.counts()[Role.COHOST] == MAX_COHOSTS and c.row(first).role is Role.LISTENER
        c.promote(second, Role.LISTENER, early)


async def test_a_join_racing_a_ban_on_another_backend_is_refused(redis_server: RedisServer) -> None:
    c = Cluster(redis_server)
    for round_ in range(ROUNDS):
        name = f"troll{round_}"
        troll = c.join(name)
        host_b = c.host(c.b)
        # The troll's installation joins again through A; A checks the bans, then B removes and bans.
        c.a.store.between = lambda: now(c.b.service.remove(host_b, troll))
        refused = _outcome(lambda: c.join(name))
        assert isinstance(refused, Forbidden) and refused.code == "banned"
        assert c.row(troll).status is ParticipantStatus.REMOVED
        assert [p.client_id for p in c.a.store.active_participants(c.space_id)].count(f"client-{name}") == 0


async def test_a_demoted_cohost_cannot_finish_a_removal_begun_before(redis_server: RedisServer) -> None:
    c = Cluster(redis_server)
    cohost, speaker = c.join("cohost"), c.join("speaker")
    c.promote(cohost, Role.COHOST)
    c.promote(speaker, Role.SPEAKER)
    me = c.as_(c.a, cohost)  # authenticated as a co-host, then demoted on B before A writes
    host_b = c.host(c.b)
    c.a.store.between = lambda: now(c.b.service.set_role(host_b, cohost, Role.LISTENER))
    refused = _outcome(lambda: now(c.a.service.remove(me, speaker)))
    assert isinstance(refused, Forbidden)
    assert c.row(speaker).status is ParticipantStatus.ACTIVE and not c.a.store.is_banned(
        c.space_id, "client-speaker"
    )


async def test_a_stale_speaker_row_cannot_write_itself_back_on_stage(redis_server: RedisServer) -> None:
    c = Cluster(redis_server)
    speaker = c.join("speaker")
    c.promote(speaker, Role.SPEAKER)
    me = c.as_(c.a, speaker)
    c.promote(speaker, Role.LISTENER, c.b)  # demoted through B after A authenticated the hand raise
    now(c.a.service.raise_hand(me, True))
    assert c.row(speaker).role is Role.LISTENER and c.row(speaker).hand_raised


async def test_admit_and_deny_racing_on_two_backends_decide_once(redis_server: RedisServer) -> None:
    c = Cluster(redis_server)
    now(c.a.service.set_access(c.host(c.a), None, True))
    for _ in range(ROUNDS):
        waiting = c.join("waiting", c.b)
        assert c.row(waiting).status is ParticipantStatus.PENDING
        host_a, host_b = c.host(c.a), c.host(c.b)
        c.a.store.between = lambda: now(c.b.service.deny(host_b, waiting))
        refused = _outcome(lambda: now(c.a.service.admit(host_a, waiting)))
        assert isinstance(refused, NotFound) and refused.code == "not_waiting"
        assert c.row(waiting).status is ParticipantStatus.DENIED


async def test_a_role_change_racing_the_end_of_the_space_is_refused(redis_server: RedisServer) -> None:
    c = Cluster(redis_server)
    guest = c.join("guest")
    host_a, host_b = c.host(c.a), c.host(c.b)
    c.a.store.between = lambda: now(c.b.service.end(host_b))
    refused = _outcome(lambda: now(c.a.service.set_role(host_a, guest, Role.SPEAKER)))
    assert isinstance(refused, Conflict) and refused.code == "space_ended"
    assert c.row(guest).role is Role.LISTENER


async def test_a_space_written_without_pause_gets_a_busy_answer_not_a_lost_check(
    redis_server: RedisServer,
) -> None:
    c = Cluster(redis_server)
    guest, other = c.join("guest"), c.join("other")
    row = c.row(other)
    writes: list[int] = []

    def meanwhile() -> None:
        writes.append(1)
        c.b.store.update_participant(row)

    c.a.store.between, c.a.store.always = meanwhile, True
    refused = _outcome(lambda: now(c.a.service.set_role(c.host(c.a), guest, Role.SPEAKER)))
    assert isinstance(refused, Conflict) and refused.code == "busy" and "try again" in refused.message
    assert len(writes) == WRITE_ATTEMPTS and c.row(guest).role is Role.LISTENER


async def test_threads_on_two_backends_racing_for_the_last_slot(redis_server: RedisServer) -> None:
    """Real concurrency: each round both backends promote a different listener at the same moment."""
    c = Cluster(redis_server)
    for n in range(MAX_SPEAKERS - 1):
        c.promote(c.join(f"speaker{n}"), Role.SPEAKER)
    first, second = c.join("first"), c.join("second")
    for _ in range(40):
        barrier = threading.Barrier(2, timeout=5)
        results: dict[str, DomainError | None] = {}

        def race(backend: Backend, pid: str) -> None:
            host = c.host(backend)
            barrier.wait()
            results[pid] = _outcome(lambda: asyncio.run(backend.service.set_role(host, pid, Role.SPEAKER)))

        threads = [
            threading.Thread(target=race, args=(c.a, first)),
            threading.Thread(target=race, args=(c.b, second)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive()
        assert sorted(r is None for r in results.values()) == [False, True], results
        loser = next(r for r in results.values() if r is not None)
        assert isinstance(loser, Conflict) and loser.code in ("stage_full", "busy")
        assert c.counts()[Role.SPEAKER] == MAX_SPEAKERS
        winner = next(pid for pid, r in results.items() if r is None)
        c.promote(winner, Role.LISTENER)

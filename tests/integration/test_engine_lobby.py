"""The real engine in a Space that lets people in one by one, and a host reopening after a crash."""

from __future__ import annotations

import concurrent.futures
import contextlib
import time
from collections.abc import Callable

import pytest

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import Connection, SessionState
from spaces_desktop.errors import SpacesError
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import NONE, DeviceChoice
from tests.support.backend import Backend

QUIET = DeviceChoice(camera=NONE, microphone=NONE, label="Test")


class Recorder:
    def __init__(self) -> None:
        self.states: list[SessionState] = [SessionState()]

    def __call__(self, state: SessionState) -> None:
        self.states.append(state)

    @property
    def last(self) -> SessionState:
        return self.states[-1]

    def wait(self, predicate: Callable[[SessionState], bool], timeout: float = 15.0) -> SessionState:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.last):
                return self.last
            time.sleep(0.05)
        raise AssertionError(f"timed out; last state: {self.last.connection} {self.last.reason}")


def test_engine_waits_in_the_lobby_until_the_host_lets_it_in(backend: Backend) -> None:
    host_states, wendy_states, dan_states = Recorder(), Recorder(), Recorder()
    host = Engine(host_states, play_audio=False)
    wendy = Engine(wendy_states, play_audio=False)
    dan = Engine(dan_states, play_audio=False)
    try:
        host.create_space(backend.url, "Lobby", "Hana Host", False, QUIET).result(15)
        host.set_access(approval_required=True).result(10)
        space = host_states.wait(lambda s: bool(s.space and s.space.approval_required)).space
        assert space is not None

        entering = wendy.join(space.share_link, "Wendy", QUIET, "install-wendy-1")
        waiting = wendy_states.wait(lambda s: s.connection is Connection.WAITING)
        assert waiting.reason is not None and "“Lobby”" in waiting.reason
        assert not entering.done()
        asked = host_states.wait(lambda s: bool(s.waiting))
        [request] = asked.waiting.values()
        assert request.display_name == "Wendy"
        host.admit(request.id).result(10)
        entering.result(20)
        assert wendy_states.wait(lambda s: s.connection is Connection.LIVE).me == request.id
        seen = host_states.wait(lambda s: request.id in s.members and not s.waiting)
        assert seen.members[request.id].role is Role.LISTENER

        refused = dan.join(space.share_link, "Dan", QUIET, "install-dan-1")
        dan_states.wait(lambda s: s.connection is Connection.WAITING)
        [request] = host_states.wait(lambda s: bool(s.waiting)).waiting.values()
        host.deny(request.id).result(10)
        with pytest.raises(SpacesError) as denied:
            refused.result(20)
        assert denied.value.message == "The host did not let you in to this Space."
        assert request.id not in host_states.wait(lambda s: not s.waiting).members
    finally:
        for engine in (dan, wendy, host):
            with_timeout(engine.leave())
            engine.shutdown()


def test_a_host_whose_app_closed_reopens_the_space_with_its_token(backend: Backend) -> None:
    first_states, guest_states, again_states = Recorder(), Recorder(), Recorder()
    first = Engine(first_states, play_audio=False)
    guest = Engine(guest_states, play_audio=False)
    again = Engine(again_states, play_audio=False)
    try:
        first.create_space(backend.url, "Crash", "Hana Host", False, QUIET).result(15)
        token = first.token
        space = first_states.last.space
        assert token and space is not None
        guest.join(space.share_link, "Gail", QUIET, "install-gail-1").result(15)
        first.shutdown()  # the app went away without leaving: the Space stays live

        again.reopen(space.share_link, token, QUIET).result(15)
        reopened = again_states.wait(lambda s: s.connection is Connection.LIVE)
        assert reopened.myself is not None and reopened.myself.role is Role.HOST
        assert guest_states.last.me in reopened.members
        again.end_space().result(10)
        guest_states.wait(lambda s: s.connection is Connection.ENDED)
    finally:
        for engine in (guest, again):
            with_timeout(engine.leave())
            engine.shutdown()


def with_timeout(future: concurrent.futures.Future[None]) -> None:
    with contextlib.suppress(SpacesError, concurrent.futures.TimeoutError):
        future.result(10)

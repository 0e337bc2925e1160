"""A SpaceSession over a scripted backend (httpx.MockTransport) and a fake media transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from spaces_desktop.domain.state import Connection, SessionState
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import SpaceSession
from spaces_desktop.signaling import Backoff, SpacesClient
from tests.support.fakes import FakeTransport
from tests.unit.session.backend import BASE, SPACE_ID, ScriptedBackend

WAIT_S = 3.0


async def eventually(check: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Lets the session's tasks run until `check()` holds (bounded in time)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.005)


@dataclass
class Harness:
    backend: ScriptedBackend
    transport: FakeTransport
    session: SpaceSession
    states: list[SessionState] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    """Every reconnect delay the signaling client asked for (served at once)."""

    @property
    def connection(self) -> Connection:
        return self.session.state.connection

    def connections_seen(self) -> list[Connection]:
        seen: list[Connection] = []
        for state in self.states:
            if not seen or seen[-1] is not state.connection:
                seen.append(state.connection)
        return seen

    async def join(self) -> None:
        await self.session.join(SPACE_ID, "Lee", client_id="install-lee")
        await eventually(lambda: self.connection is Connection.LIVE, "live")


def build(backend: ScriptedBackend, choice: DeviceChoice, *, receive_video: bool = True) -> Harness:
    waits: list[float] = []

    async def quick_sleep(seconds: float) -> None:
        waits.append(seconds)  # a reconnect waits for nothing: the test drives the server
        await asyncio.sleep(0)

    http = httpx.AsyncClient(transport=backend.transport)
    client = SpacesClient(BASE, http=http, retry=Backoff(attempts=1), sleep=quick_sleep)
    transport = FakeTransport()
    states: list[SessionState] = []
    session = SpaceSession(
        client, LocalMedia(choice), on_state=states.append, transport=transport, receive_video=receive_video
    )
    return Harness(backend, transport, session, states, waits)


@pytest.fixture
async def listener() -> AsyncIterator[Harness]:
    harness = build(ScriptedBackend(), DeviceChoice(camera=NONE, microphone=NONE))
    yield harness
    await harness.session.close()


@pytest.fixture
async def speaker() -> AsyncIterator[Harness]:
    """A participant with a (synthetic) microphone, who joins as a listener."""
    harness = build(ScriptedBackend(), DeviceChoice(camera=NONE))
    yield harness
    await harness.session.close()

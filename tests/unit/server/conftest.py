"""The Spaces service over a real store and event bus, with the media side faked (tests/support/fakes.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from spaces_desktop.domain import Role
from spaces_desktop.protocol import CreateSpaceRequest, Joined, JoinRequest, Waiting
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.media_port import MediaPort
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import ParticipantRow, Store
from tests.support.fakes import FakeMedia

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
        "a=rtpmap:111 opus/48000/2",
        "a=sendonly",
        "",
    ]
)


@dataclass
class World:
    """One live Space: its host, and whoever the test adds."""

    service: SpacesService
    media: FakeMedia
    space_id: str = ""
    host_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def row(self, participant_id: str) -> ParticipantRow:
        """The participant as stored now (what the service reads after every await)."""
        row = self.service.store.participant(participant_id)
        assert row is not None, participant_id
        return row

    @property
    def host(self) -> ParticipantRow:
        return self.row(self.host_id)

    async def join(
        self, name: str | None = None, *, client_id: str | None = None, address: str = "10.0.0.9"
    ) -> str:
        self.counter += 1
        request = JoinRequest(display_name=name or f"Guest {self.counter}", client_id=client_id)
        joined = await self.service.join(self.space_id, request, address)
        self.tokens[joined.participant.id] = joined.token
        return joined.participant.id

    async def member(self, role: Role, name: str | None = None) -> ParticipantRow:
        """A participant with `role`, put there by the host."""
        pid = await self.join(name, client_id=f"install-{self.counter + 1}")
        if role is not Role.LISTENER:
            await self.service.set_role(self.host, pid, role)
        return self.row(pid)

    def events(self, viewer: str | None = None, after: int = 0) -> list[tuple[str, dict[str, Any]]]:
        """(type, data) of every event `viewer` (the host if None) may see, oldest first, replayed as
        the event stream replays them (the moderators' events for a moderator as stored now)."""
        who = viewer or self.host_id
        moderator = self.service.sees_moderator_events(who)
        rows = self.service.store.events_after(self.space_id, after, who, moderator=moderator)
        return [(row.type, row.data) for row in rows]

    def last_event_id(self) -> int:
        return self.service.store.last_event_id(self.space_id)


def make_service(tmp_path: Path, media: MediaPort | None) -> SpacesService:
    store = Store(tmp_path / "spaces.sqlite3")
    service = SpacesService(store, EventBus(store), "http://spaces.test")
    service.media = media  # checked by mypy: the fake meets the Protocol the service takes
    return service


@pytest.fixture
async def world(tmp_path: Path) -> World:
    media = FakeMedia()
    service = make_service(tmp_path, media)
    hosted = await service.create_space(
        CreateSpaceRequest(title="Morning", host_name="Hana", client_id="install-host"), "10.0.0.1"
    )
    world = World(service, media, hosted.snapshot.space.id, hosted.participant.id)
    world.tokens[world.host_id] = hosted.token
    return world


__all__ = ["OFFER", "Joined", "Waiting", "World", "make_service"]

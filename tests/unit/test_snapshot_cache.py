"""The snapshot a busy Space serves from memory always equals one read from the database afresh.

The backend keeps each Space's participant rows, their views and the views' JSON
in memory. After every kind of change (read the snapshot first, so anything
stale would be served) the snapshot and its encoded JSON must equal the one a
new store and service build from the same database file.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.protocol import CreateSpaceRequest, Joined, JoinRequest, Snapshot, Waiting
from spaces_desktop.server.app import create_app
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.media import MediaService
from spaces_desktop.server.ratelimit import Limits
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import ParticipantRow, Store
from tests.unit.test_media_turns import OFFER, GatedMedia


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Checked:
    """The service under test next to the database file, to build fresh snapshots from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = Store(path)
        self.clock = Clock()
        self.media = GatedMedia()
        self.media.gate.set()  # publishes finish at once
        self.service = self._service(self.store)
        self.viewers: list[str] = []

    def _service(self, store: Store) -> SpacesService:
        service = SpacesService(
            store, EventBus(store), "http://spaces.test", presence_timeout=30, clock=self.clock
        )
        service.media = cast(MediaService, self.media)
        return service

    def row(self, participant_id: str) -> ParticipantRow:
        row = self.store.participant(participant_id)
        assert row is not None
        return row

    def assert_fresh(self) -> None:
        """Every viewer's snapshot (moderators see the lobby) equals one built from scratch."""
        fresh_store = Store(self.path)
        try:
            fresh = self._service(fresh_store)
            for viewer in self.viewers:
                served = self.service.snapshot(self.row(viewer))
                served_json = self.service.views.snapshot_json(served)
                viewer_row = fresh_store.participant(viewer)
                assert viewer_row is not None
                expected = fresh.snapshot(viewer_row)
                assert Snapshot.model_validate_json(served_json) == Snapshot.model_validate(
                    expected.model_dump()
                )
                assert json.loads(served_json) == json.loads(expected.model_dump_json())
                assert served.model_dump() == expected.model_dump()
        finally:
            fresh_store.close()


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[Checked]:
    space = Checked(tmp_path / "spaces.sqlite3")
    yield space
    space.store.close()


async def _join(service: SpacesService, space_id: str, name: str) -> str:
    outcome = await service.join(space_id, JoinRequest(display_name=name))
    assert isinstance(outcome, Joined | Waiting)
    return outcome.participant.id


async def test_every_kind_of_change_reaches_the_cached_snapshot(checked: Checked) -> None:
    service = checked.service
    created = await service.create_space(
        CreateSpaceRequest(title="Cache", host_name="Hana", video_enabled=True)
    )
    space_id, host = created.snapshot.space.id, created.participant.id
    ann = await _join(service, space_id, "Ann")
    ben = await _join(service, space_id, "Ben")
    checked.viewers = [host, ann, ben]

    async def step(change: Callable[[], Awaitable[Any]]) -> None:
        checked.assert_fresh()  # read first: the cache is warm when the change comes
        await change()
        checked.assert_fresh()

    await step(lambda: _join(service, space_id, "Cat"))
    await step(lambda: service.set_role(checked.row(host), ann, Role.SPEAKER))
    await step(lambda: service.raise_hand(checked.row(ben), True))
    await step(lambda: service.mute(checked.row(ann), ann, True))
    await step(lambda: service.mute(checked.row(ann), ann, False))
    await step(lambda: service.camera(checked.row(ann), True, CameraSource.MAIN))
    await step(lambda: service.publish(checked.row(ann), "offer", OFFER))  # only `publishing` changes
    assert any(p.publishing for p in service.snapshot(checked.row(host)).participants)
    await step(lambda: service.unpublish(checked.row(ann)))
    await step(lambda: service.request_to_speak(checked.row(ben), True))
    await step(lambda: service.invite(checked.row(host), ben))
    await step(lambda: service.answer_invite(checked.row(ben), True))
    await step(lambda: service.set_role(checked.row(host), ben, Role.COHOST))
    await step(lambda: service.set_role(checked.row(host), ben, Role.LISTENER))
    await step(lambda: service.leave(checked.row(ben)))
    checked.viewers.remove(ben)

    cat = service.store.participants_with_status(space_id, checked.row(host).status)[-1].id
    await step(lambda: service.remove(checked.row(host), cat))

    await step(lambda: service.set_access(checked.row(host), None, True))
    dan = await _join(service, space_id, "Dan")  # waits in the lobby: only moderators see him
    checked.assert_fresh()
    await step(lambda: service.admit(checked.row(host), dan))
    eve = await _join(service, space_id, "Eve")
    await step(lambda: service.deny(checked.row(host), eve))
    fay = await _join(service, space_id, "Fay")
    await step(lambda: service.leave(checked.row(fay)))  # stopped waiting

    async def gone() -> None:
        checked.clock.t += 31  # Dan never opened an event stream since he was let in
        await service.sweep_presence()

    await step(gone)
    assert dan not in {p.id for p in service.snapshot(checked.row(host)).participants}
    await step(lambda: service.end(checked.row(host)))


async def test_the_routes_send_the_snapshot_the_service_builds(checked: Checked) -> None:
    service = checked.service
    app = create_app(service, limits=Limits().scaled(0))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://spaces.test"
    ) as http:
        created = await http.post("/spaces", json={"title": "Routes", "host_name": "Hana"})
        hosted = Joined.model_validate_json(created.content)
        space_id = hosted.snapshot.space.id
        joined = await http.post(f"/spaces/{space_id}/join", json={"display_name": "Ann"})
        assert joined.status_code == 201 and joined.headers["content-type"] == "application/json"
        ann = Joined.model_validate_json(joined.content)
        assert ann.snapshot == service.snapshot(checked.row(ann.participant.id))
        assert set(joined.json()) == set(Joined.model_fields)
        await service.set_access(checked.row(hosted.participant.id), None, True)
        waiting = await http.post(f"/spaces/{space_id}/join", json={"display_name": "Ben"})
        assert waiting.status_code == 202
        ben = Waiting.model_validate_json(waiting.content)
        read = await http.get(f"/spaces/{space_id}", headers={"Authorization": f"Bearer {hosted.token}"})
        assert read.status_code == 200 and read.headers["content-type"] == "application/json"
        assert set(read.json()) == set(Snapshot.model_fields)
        snapshot = Snapshot.model_validate_json(read.content)
        assert snapshot == service.snapshot(checked.row(hosted.participant.id))
        assert [p.display_name for p in snapshot.participants] == ["Hana", "Ann"]
        assert [p.id for p in snapshot.waiting] == [ben.participant.id]

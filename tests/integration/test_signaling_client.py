"""The signaling client against a real backend: calls, typed refusals, a stream that survives a restart."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from spaces_desktop.domain import Role
from spaces_desktop.protocol import Event
from spaces_desktop.signaling import (
    Backoff,
    Conflict,
    EventStream,
    Forbidden,
    InvalidRequest,
    NotFound,
    ParticipantClient,
    SpacesClient,
    StreamState,
    Unauthorized,
    parse_link,
)
from tests.support.backend import Backend

QUICK = Backoff(attempts=None, first_delay=0.2, max_delay=1.0)


class Reader:
    """Reads a stream in the background, keeping every event and state change."""

    def __init__(self, participant: ParticipantClient, last_event_id: int | None = None) -> None:
        self.events: list[Event] = []
        self.states: list[StreamState] = []
        self.error: BaseException | None = None
        self.stream: EventStream = participant.events(
            last_event_id=last_event_id, reconnect=QUICK, on_state=lambda s, _: self.states.append(s)
        )
        self._changed = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for event in self.stream:
                self.events.append(event)
                self._changed.set()
        except Exception as exc:
            self.error = exc
        finally:
            self._changed.set()

    async def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 15.0) -> Event:
        async def scan() -> Event:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                if self.task.done():
                    raise AssertionError(f"stream ended ({self.error!r}): {self.types()}")
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def wait_done(self, timeout: float = 15.0) -> None:
        await asyncio.wait_for(asyncio.shield(self.task), timeout)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def ids(self) -> list[int]:
        return [e.id for e in self.events]

    async def close(self) -> None:
        await self.stream.aclose()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@contextlib.asynccontextmanager
async def readers() -> AsyncIterator[list[Reader]]:
    opened: list[Reader] = []
    try:
        yield opened
    finally:
        for reader in opened:
            await reader.close()


def change(name: str, participant_id: str | None = None) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        participant = event.data.get("participant")
        return (
            event.type == "participant_updated"
            and event.data.get("change") == name
            and (
                participant_id is None
                or (isinstance(participant, dict) and participant["id"] == participant_id)
            )
        )

    return matches


async def test_a_space_from_share_link_to_end(backend: Backend) -> None:
    async with SpacesClient(backend.url) as client, readers() as opened:
        created = await client.create_space("Client test", "Hana", video_enabled=True)
        host = client.as_joined(created)
        host_id = created.participant.id
        base_url, space_id = parse_link(created.snapshot.space.share_link)
        assert (base_url, space_id) == (backend.url, host.space_id)

        preview = await client.preview(space_id)
        assert (preview.title, preview.host_name, preview.speakers) == ("Client test", "Hana", 1)

        joined = await client.join(space_id, "Ada", client_id="ada-install-1")
        ada = client.as_joined(joined)
        ada_id = joined.participant.id
        ada_events = Reader(ada, last_event_id=joined.snapshot.last_event_id)
        host_events = Reader(host, last_event_id=created.snapshot.last_event_id)
        opened += [ada_events, host_events]

        await ada.raise_hand()
        await ada.request_to_speak()
        await host_events.wait_for(change("speak_request", ada_id))
        view = await host.set_role(ada_id, Role.SPEAKER)
        assert view.role is Role.SPEAKER and not view.speak_requested
        await ada.set_camera(True)
        assert (await host.mute(ada_id)).muted
        await ada.react("👏")
        await ada_events.wait_for(lambda e: e.type == "reaction")
        assert [e.id for e in ada_events.events] == sorted(set(ada_events.ids()))
        assert ada_events.ids()[0] == joined.snapshot.last_event_id + 1

        snapshot = await ada.snapshot()
        me = next(p for p in snapshot.participants if p.id == ada_id)
        assert (me.role, me.hand_raised, me.camera_on, me.muted) == (Role.SPEAKER, True, True, True)

        # Refusals come back typed, with the backend's code.
        with pytest.raises(Forbidden):
            await ada.mute(host_id)
        with pytest.raises(Conflict) as conflict:
            await ada.request_to_speak()
        assert conflict.value.code == "already_speaker"
        with pytest.raises(NotFound):
            await client.preview("no-such-space")
        with pytest.raises(Unauthorized):
            await client.participant(space_id, "not-a-token").snapshot()
        with pytest.raises(InvalidRequest):
            await ada.publish("not an sdp")

        # Removal ends Ada's stream cleanly with `removed`; later calls say why.
        await host.remove(ada_id)
        await ada_events.wait_done()
        assert ada_events.error is None and ada_events.types()[-1] == "removed"
        assert ada_events.states[-1] is StreamState.CLOSED
        with pytest.raises(Forbidden) as removed:
            await ada.snapshot()
        assert removed.value.code == "removed"
        with pytest.raises(Forbidden) as banned:
            await client.join(space_id, "Ada again", client_id="ada-install-1")
        assert banned.value.code == "banned"

        await host.end()
        await host.end()  # ending twice is harmless, which is why it may be retried
        await host_events.wait_done()
        assert host_events.error is None and host_events.types()[-1] == "space_ended"
        with pytest.raises(Conflict) as ended:
            await client.join(space_id, "Late")
        assert ended.value.code == "space_ended"


async def test_stream_resumes_across_a_backend_restart_missing_nothing(own_backend: Backend) -> None:
    async with SpacesClient(own_backend.url) as client, readers() as opened:
        host = client.as_joined(await client.create_space("Restart", "Hana"))
        sam_id = (await client.join(host.space_id, "Sam")).participant.id
        joined = await client.join(host.space_id, "Lee")
        lee, lee_id = client.as_joined(joined), joined.participant.id
        live = Reader(lee, last_event_id=joined.snapshot.last_event_id)
        opened.append(live)
        await lee.raise_hand()
        await live.wait_for(change("hand_raised", lee_id))
        before = live.ids()[-1]

        restart = asyncio.get_running_loop().run_in_executor(None, own_backend.restart)
        await live.wait_for(lambda e: e.id > before and e.type == "media_reset", timeout=30)
        await restart
        assert StreamState.RECONNECTING in live.states and live.states[-1] is StreamState.OPEN

        # Work done after the restart reaches the same stream.
        await host.set_role(sam_id, Role.SPEAKER)
        await host.mute(sam_id)
        await lee.raise_hand(False)
        await live.wait_for(change("hand_lowered", lee_id))

        # What the resumed stream delivered equals a fresh replay of the log: nothing lost, no repeats.
        last = live.ids()[-1]
        replay = Reader(lee, last_event_id=joined.snapshot.last_event_id)
        opened.append(replay)
        await replay.wait_for(lambda e: e.id == last)
        assert live.ids() == replay.ids()[: len(live.ids())]
        assert len(set(live.ids())) == len(live.ids())
        assert [e.type for e in live.events].count("media_reset") == 1

        await host.end()
        await live.wait_done()
        assert live.types()[-1] == "space_ended" and live.error is None

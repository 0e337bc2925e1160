"""Three synthetic guests for `spaces-desktop demo`: they join, come on stage with a test-picture
camera, and take turns speaking short clips, so a newcomer sees the whole experience at once.

The guests run on their own thread and asyncio loop, next to the app's engine.
Two accept the host's invitation; the third asks to speak and waits for the
person at the keyboard to accept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from spaces_desktop.assets import resource
from spaces_desktop.domain import CameraSource
from spaces_desktop.errors import SpacesError
from spaces_desktop.session.local_media import SYNTHETIC, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import TERMINAL, SpaceSession
from spaces_desktop.signaling.client import SpacesClient

log = logging.getLogger(__name__)

SPEECH_DIR = resource("speech")
TURN_S = 9.0
LEAD_IN_S = 4.0
CYCLES = 60


@dataclass(frozen=True)
class Guest:
    name: str
    clip: str
    asks_to_speak: bool = False


GUESTS = (
    Guest("Ava Chen", "ava.ogg"),
    Guest("Ben Okafor", "ben.ogg"),
    Guest("Cam Rivera", "cam.ogg", asks_to_speak=True),
)


def turns(index: int, count: int) -> list[tuple[float, float]]:
    """When guest `index` talks: its slot in every round, the rounds one after another."""
    period = TURN_S * count
    return [
        (LEAD_IN_S + n * period + index * TURN_S, LEAD_IN_S + n * period + index * TURN_S + TURN_S - 1.5)
        for n in range(CYCLES)
    ]


class DemoGuests:
    def __init__(self, server: str, space_id: str, speech_dir: Path = SPEECH_DIR) -> None:
        self.server = server
        self.space_id = space_id
        self.speech_dir = speech_dir
        self.sessions: list[SpaceSession] = []
        self.joined: concurrent.futures.Future[list[str]] = concurrent.futures.Future()
        """Resolves to the participant ids of the guests the host should invite."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-guests", daemon=True)
        self._client: SpacesClient | None = None
        self._task: concurrent.futures.Future[None] = concurrent.futures.Future()

    def start(self) -> None:
        self._thread.start()
        self._task = asyncio.run_coroutine_threadsafe(self._run(), self._loop)

    async def _run(self) -> None:
        self._client = SpacesClient(self.server)
        try:
            medias = [
                LocalMedia(
                    DeviceChoice(
                        camera=SYNTHETIC,
                        microphone=str(self.speech_dir / guest.clip),
                        speak_schedule=turns(i, len(GUESTS)),
                        label=guest.name,
                    )
                )
                for i, guest in enumerate(GUESTS)
            ]
            for media in medias:  # one clock for everyone, so turns do not overlap
                if media.microphone is not None:
                    media.microphone.start()
            invite: list[str] = []
            for guest, media in zip(GUESTS, medias, strict=True):
                session = SpaceSession(self._client, media)
                await session.join(self.space_id, guest.name)
                self.sessions.append(session)
                if guest.asks_to_speak:
                    await session.api.request_to_speak()
                elif session.state.me is not None:
                    invite.append(session.state.me)
            self.joined.set_result(invite)
        except (SpacesError, OSError) as exc:
            self.joined.set_exception(exc)
            return
        while True:
            await asyncio.sleep(0.2)
            for session in self.sessions:
                await self._behave(session)

    async def _behave(self, session: SpaceSession) -> None:
        me = session.state.myself
        if me is None or session.state.connection in TERMINAL:
            return
        with contextlib.suppress(SpacesError):
            if me.invited and not me.on_stage:
                await session.api.accept_invite()
            elif session.state.can_use_camera and not session.media.camera_on[CameraSource.MAIN]:
                await session.set_camera(CameraSource.MAIN, True)

    def stop(self, timeout: float = 5.0) -> None:
        async def close() -> None:
            self._task.cancel()
            for session in self.sessions:
                with contextlib.suppress(SpacesError):
                    await session.leave()
            if self._client is not None:
                await self._client.aclose()

        if self._thread.is_alive():
            with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)

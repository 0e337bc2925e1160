"""A scripted conversation through the SFU, watched by the app's own stage director.

One participant per WAV publishes through the backend and Janus; a listener's
`SpaceSession` (the same code the app runs) decides the stage from the decoded
audio. All microphones start together and stay silent for a lead-in while the
connections come up, so conversation time zero is the same for everyone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

from spaces_desktop.bench.speaker_eval import SpeakerEval, evaluate, load_conversation
from spaces_desktop.domain import Role
from spaces_desktop.domain.director import DirectorNote
from spaces_desktop.session.local_media import NONE, DeviceChoice, LocalMedia
from spaces_desktop.session.space_session import SpaceSession
from spaces_desktop.signaling.client import SpacesClient

LEAD_IN_S = 4.0
TAIL_S = 1.5


async def run_conversation(
    base_url: str,
    conversation: Path,
    lead_in_s: float = LEAD_IN_S,
    notes: list[DirectorNote] | None = None,
) -> SpeakerEval:
    """Runs the conversation; `notes`, if given, receives the listener's director notes
    (times in conversation seconds, subjects and previous as speaker names)."""
    wavs, segments = load_conversation(conversation)
    duration = max(len(w.samples) / w.sample_rate for w in wavs.values())
    client = SpacesClient(base_url)
    host = SpaceSession(client, LocalMedia(DeviceChoice(camera=NONE, microphone=NONE)))
    speakers: dict[str, SpaceSession] = {}
    listener = SpaceSession(client, LocalMedia(DeviceChoice(camera=NONE, microphone=NONE)))
    try:
        await host.create("Conversation", "Host", video_enabled=False)
        assert host.state.space is not None
        space_id = host.state.space.id
        forever = [(lead_in_s, lead_in_s + duration + 3600.0)]
        for name in wavs:
            media = LocalMedia(
                DeviceChoice(
                    camera=NONE, microphone=str(conversation / f"{name}.wav"), speak_schedule=forever
                )
            )
            session = SpaceSession(client, media)
            await session.join(space_id, name)
            speakers[name] = session
        await listener.join(space_id, "Listener")
        origin = time.monotonic()
        for session in speakers.values():
            assert session.media.microphone is not None
            session.media.microphone.start()
        for session in speakers.values():
            assert session.state.me is not None
            await host.api.set_role(session.state.me, Role.SPEAKER)
        await asyncio.sleep(lead_in_s + duration + TAIL_S - (time.monotonic() - origin))
        names = {session.state.me: name for name, session in speakers.items()}
        zero = origin + lead_in_s
        switches = [
            replace(
                switch,
                time_s=(at - _wall_minus_monotonic()) - zero,
                to_id=names.get(switch.to_id or "", switch.to_id),
            )
            for at, switch in listener.report.switches
        ]
        if notes is not None:
            shift = listener._started_at - zero  # the session's clock starts at its own creation
            notes.extend(
                replace(
                    note,
                    time_s=note.time_s + shift,
                    subject=names.get(note.subject or "", note.subject),
                    previous=names.get(note.previous or "", note.previous),
                )
                for note in listener.report.notes
            )
        return evaluate(switches, segments)
    finally:
        for session in [listener, *speakers.values(), host]:
            await session.close()
        await client.aclose()


def _wall_minus_monotonic() -> float:
    return time.time() - time.monotonic()

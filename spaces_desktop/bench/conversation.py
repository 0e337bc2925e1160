"""A scripted conversation through the SFU, watched by the app's own stage director.

One participant per WAV publishes through the backend and Janus; a listener's
`SpaceSession` (the same code the app runs) decides the stage from the decoded
audio. All microphones start together and stay silent for a lead-in while the
connections come up, so conversation time zero is the same for everyone.

With ``video``, every speaker also sends a synthetic 640×360 camera (and its
320×180 small layer); the listener's big tile takes the stage speaker's large
layer, and ``sharp`` collects, per switched turn, the time from the turn's start
until that tile first showed the large layer (``sharp_p50_ms``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

from spaces_desktop.bench.speaker_eval import SpeakerEval, evaluate, load_conversation
from spaces_desktop.domain import CameraSource, Role
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
    *,
    video: bool = False,
    sharp: list[float] | None = None,
    notes: list[DirectorNote] | None = None,
) -> SpeakerEval:
    """Runs the conversation; `notes`, if given, receives the listener's director notes
    (times in conversation seconds, subjects and previous as speaker names)."""
    wavs, segments = load_conversation(conversation)
    duration = max(len(w.samples) / w.sample_rate for w in wavs.values())
    client = SpacesClient(base_url)
    # The host and the speakers stand for people on machines of their own: they send video but
    # watch none, so the listener (the app's code under test) has the cores to itself.
    host = SpaceSession(client, LocalMedia(DeviceChoice(camera=NONE, microphone=NONE)), receive_video=False)
    speakers: dict[str, SpaceSession] = {}
    listener = SpaceSession(client, LocalMedia(DeviceChoice(camera=NONE, microphone=NONE)))
    try:
        await host.create("Conversation", "Host", video_enabled=video)
        assert host.state.space is not None
        space_id = host.state.space.id
        forever = [(lead_in_s, lead_in_s + duration + 3600.0)]
        for name in wavs:
            media = LocalMedia(
                DeviceChoice(
                    camera="synthetic" if video else NONE,
                    microphone=str(conversation / f"{name}.wav"),
                    speak_schedule=forever,
                    label=name,
                )
            )
            session = SpaceSession(client, media, receive_video=False)
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
        if video:
            for session in speakers.values():
                await _on_stage(session)
                await session.set_camera(CameraSource.MAIN, True)
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
        result = evaluate(switches, segments)
        if sharp is not None:
            shown = [
                (at - _wall_minus_monotonic() - zero, names.get(pid, pid))
                for at, pid in listener.report.sharp
            ]
            for turn in result.per_turn:
                if turn.latency_ms is None:
                    continue  # missed, or its speaker was on stage already
                start = turn.segment.start
                first = next((t for t, who in shown if who == turn.segment.speaker and t >= start), None)
                if first is not None and first <= turn.segment.end:
                    sharp.append((first - start) * 1000.0)
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
        return result
    finally:
        for session in [listener, *speakers.values(), host]:
            await session.close()
        await client.aclose()


async def _on_stage(session: SpaceSession, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not session.state.can_use_camera:
        if time.monotonic() > deadline:
            raise TimeoutError("a speaker was not put on stage")
        await asyncio.sleep(0.05)


def _wall_minus_monotonic() -> float:
    return time.time() - time.monotonic()

"""The stage director explains itself on conversation-a, with the audio going through Janus and back."""

from __future__ import annotations

import json

import pytest

from spaces_desktop.bench.conversation import run_conversation
from spaces_desktop.domain.director import DirectorNote, ReasonKind
from spaces_desktop.ui.viewmodels.director_text import explain
from tests.integration.test_active_speaker import CONVERSATION
from tests.support.backend import Backend


@pytest.mark.skipif(not (CONVERSATION / "truth.json").is_file(), reason=f"no conversation at {CONVERSATION}")
async def test_every_switch_and_every_backchannel_has_a_reason(backend: Backend) -> None:
    notes: list[DirectorNote] = []
    await run_conversation(backend.url, CONVERSATION, notes=notes)
    truth = json.loads((CONVERSATION / "truth.json").read_text())
    switches = [n for n in notes if n.switched]
    assert switches and all(n.kind in (ReasonKind.FLOOR_FREE, ReasonKind.TAKEOVER) for n in switches)
    for note in switches:
        assert note.subject in truth["speakers"] and note.speech_s > 0
        if note.kind is ReasonKind.FLOOR_FREE:
            assert note.speech_s >= note.needed_s  # the onset in force when it switched
    names = {s: s.title() for s in truth["speakers"]}
    print("\n".join(f"{n.time_s:6.2f} {explain(n, names)}" for n in notes))
    held = [n for n in notes if n.kind is ReasonKind.HELD]
    backchannels = [s for s in truth["segments"] if s["kind"] == "backchannel"]
    explained = 0
    for segment in backchannels:
        # Each backchannel ends in a "held" note for that speaker shortly after it ends.
        if any(
            n.subject == segment["speaker"] and segment["start"] < n.time_s < segment["end"] + 1.0
            for n in held
        ):
            explained += 1
    assert explained >= len(backchannels) - 1, (explained, backchannels, held)
    assert any(explain(n, names).startswith("Held: ") for n in held)

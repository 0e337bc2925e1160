"""The stage director on conversation-a, with the audio going through Janus and back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spaces_desktop.bench.conversation import run_conversation
from tests.support.backend import Backend

CONVERSATION = Path(
    os.environ.get(
        "SPACES_MEDIA_DIR", Path(__file__).resolve().parents[3] / "shared" / "media" / "conversation-a"
    )
)


@pytest.mark.skipif(not (CONVERSATION / "truth.json").is_file(), reason=f"no conversation at {CONVERSATION}")
async def test_stage_follows_the_conversation_through_the_sfu(backend: Backend) -> None:
    result = await run_conversation(backend.url, CONVERSATION)
    print("active speaker through the SFU:", result.summary())
    assert result.missed_turns == 0, result.per_turn
    assert result.false_switches == 0, result.false_switch_list
    assert result.switch_p50_ms <= 400
    assert result.switch_p95_ms <= 700

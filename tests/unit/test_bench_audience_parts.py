"""`bench audience` puts its signaling, GUI and media parts together (the parts themselves are
measured for real in tests/integration/test_bench_smoke.py; here only how they are joined)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from spaces_desktop.bench import audience, audience_media


@pytest.fixture
def signaling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audience, "run_signaling", lambda listeners, streams: {"listeners": listeners})


def test_every_part_lands_in_one_dict_and_the_gui_part_is_asked_for_the_same_audience(
    signaling: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []

    def gui(listeners: int) -> dict[str, Any]:
        asked.append(listeners)
        return {"listeners": listeners, "gui_first_build_ms": 12.0}

    monkeypatch.setitem(sys.modules, audience.GUI_PART, types.SimpleNamespace(measure=gui))
    monkeypatch.setattr(audience.importlib.util, "find_spec", lambda name: object(), raising=False)
    monkeypatch.setattr(
        audience_media, "measure", lambda count: {"janus_cpu_per_listener_pct": 0.5, "n": count}
    )
    result = audience.run_all(500, 5, media_listeners=3)
    assert asked == [500]
    assert result == {"listeners": 500, "gui_first_build_ms": 12.0, "janus_cpu_per_listener_pct": 0.5, "n": 3}


def test_parts_left_out_or_missing_or_failing_say_so(
    signaling: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(count: int) -> dict[str, Any]:
        raise RuntimeError("Janus did not start")

    monkeypatch.setattr(audience_media, "measure", broken)
    monkeypatch.delitem(sys.modules, audience.GUI_PART, raising=False)
    real_find = audience.importlib.util.find_spec
    monkeypatch.setattr(
        audience.importlib.util,
        "find_spec",
        lambda name: None if name == audience.GUI_PART else real_find(name),
    )
    result = audience.run_all(40, 2)
    assert result["listeners"] == 40
    assert result["media_error"] == "RuntimeError: Janus did not start"
    assert "not in this build" in result["gui_skipped"]
    skipped = audience.run_all(40, 2, media=False, gui=False)
    assert skipped == {"listeners": 40, "media_skipped": "--no-media", "gui_skipped": "--no-gui"}

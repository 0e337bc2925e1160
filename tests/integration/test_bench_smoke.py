"""Every benchmark in a tiny configuration, so none of them rots."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_active_speaker import CONVERSATION


def bench(*args: str, timeout: float = 180) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "spaces_desktop", "bench", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines, done.stderr[-3000:]
    result = dict(json.loads(lines[-1]))
    assert done.returncode == 0 and "error" not in result, (result, done.stderr[-3000:])
    return result


def test_latency_bench() -> None:
    result = bench("latency", "--resolution", "320x180", "--seconds", "2")
    assert set(result) >= {"resolution", "fps", "p50_ms", "p95_ms", "frames", "baseline_p50_ms"}
    assert result["frames"] > 20 and result["p50_ms"] > 0


def test_fanout_bench() -> None:
    result = bench("fanout", "--listeners", "20", "--events", "5")
    assert result["listeners"] == 20 and result["delivered"] == 100
    assert set(result) >= {"delivery_p50_ms", "delivery_p99_ms", "join_rate_per_s"}


def test_audience_bench_signaling() -> None:
    result = bench("audience", "--listeners", "60", "--streams", "6", "--no-media", "--no-gui")
    assert result["media_skipped"] == "--no-media" and result["gui_skipped"] == "--no-gui"
    assert result["listeners"] == 60 and result["sample_listener_streams"] == 6
    assert result["deliveries_missing"] == 0 and result["listener_rows_of_others"] == 0
    assert result["moderator_arrivals_min"] == 60 and result["listener_last_count"] == 60
    assert set(result) >= {"join_rate_per_s", "delivery_p99_ms", "backend_rss_mb"}


def test_flood_bench() -> None:
    result = bench("flood", "--joins", "100", "--reactions", "60", "--half-open", "10", "--seconds", "20")
    assert result["flood_joins"] == 100 and result["accepted"] + result["rate_limited"] == 100
    assert result["rate_limited"] > 0 and result["other_snapshot_p99_ms"] > 0
    assert result["reactions_counted"] == result["reactions_accepted"] > 0
    assert result["reaction_events_stored"] < result["reactions_accepted"]
    assert result["half_open_closed"] == 10


@pytest.mark.skipif(not (CONVERSATION / "truth.json").is_file(), reason=f"no conversation at {CONVERSATION}")
def test_speaker_bench_on_a_short_conversation(tmp_path: Path) -> None:
    seconds = 12.0
    truth = json.loads((CONVERSATION / "truth.json").read_text())
    truth["segments"] = [s for s in truth["segments"] if s["end"] <= seconds]
    truth["duration_s"] = seconds
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    for name in truth["speakers"]:
        with (
            wave.open(str(CONVERSATION / f"{name}.wav")) as source,
            wave.open(str(tmp_path / f"{name}.wav"), "wb") as cut,
        ):
            cut.setparams(source.getparams())
            cut.writeframes(source.readframes(int(seconds * source.getframerate())))
    result = bench("speaker", "--conversation", str(tmp_path))
    assert set(result) >= {"turns", "switch_p50_ms", "switch_p95_ms", "false_switches", "missed_turns"}
    assert result["turns"] >= 2 and result["missed_turns"] == 0


def test_join_bench() -> None:
    result = bench("join", "--runs", "2")
    assert result["runs"] == 2 and result["joined"] == 2 and result["p50_ms"] > 0


def test_render_bench() -> None:
    result = bench("render", "--seconds", "4", timeout=240)
    assert result["tiles"] == 9
    assert set(result) >= {"min_tile_fps", "cpu_cores", "rss_mb", "stall_p99_ms"}
    assert result["min_tile_fps"] > 0 and result["cpu_cores"] > 0


def test_resilience_bench_quick() -> None:
    result = bench("resilience", "--quick", timeout=600)
    keys = {
        "loss5_max_freeze_s",
        "loss5_gap_p95_ms",
        "cut10_recovery_s",
        "cut2_recovery_s",
        "backend_restart_recovery_s",
        "janus_kill_recovery_s",
        "camera_unplug_avatar_s",
        "churn_max_blank_ms",
    }
    assert set(result) >= keys, result
    assert result["quick"] is True
    assert not [k for k in result if k.endswith("_error")], result
    assert 0 < result["loss5_max_freeze_s"] < 60 and result["loss5_gap_p95_ms"] > 0
    assert result["churn_max_blank_ms"] > 0
    # Video came back after both link cuts (null would mean "not within a minute").
    assert result["cut10_recovery_s"] is not None and result["cut2_recovery_s"] is not None

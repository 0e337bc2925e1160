"""Stage director behaviour on scripted level streams (20 ms frames)."""

from __future__ import annotations

import itertools

import pytest

from spaces_desktop.media.stage_director import StageDirector, StageDirectorSettings, StageSwitch

FRAME_S = 0.02
NOISE = -60.0
SPEECH = -22.0


class Script:
    """Per-participant level timelines built from speech and noise bursts."""

    def __init__(self, participants: list[str], duration_s: float) -> None:
        self.frames = round(duration_s / FRAME_S)
        self.levels = {p: [NOISE] * self.frames for p in participants}
        self.flatness: dict[str, list[float | None]] = {p: [None] * self.frames for p in participants}

    def _range(self, start_s: float, end_s: float) -> range:
        return range(round(start_s / FRAME_S), min(self.frames, round(end_s / FRAME_S)))

    def talk(self, who: str, start_s: float, end_s: float, level: float = SPEECH) -> Script:
        """Speech with a short dip every 300 ms, like gaps between syllables."""
        for k in self._range(start_s, end_s):
            self.levels[who][k] = NOISE if k % 15 == 14 else level
        return self

    def burst(
        self, who: str, start_s: float, end_s: float, level: float, flatness: float | None = None
    ) -> Script:
        for k in self._range(start_s, end_s):
            self.levels[who][k] = level
            self.flatness[who][k] = flatness
        return self

    def play(self, director: StageDirector, start_s: float = 0.0, end_s: float | None = None) -> None:
        last = self.frames if end_s is None else round(end_s / FRAME_S)
        for k in range(round(start_s / FRAME_S), last):
            t = (k + 1) * FRAME_S
            for who, levels in self.levels.items():
                director.feed(who, t, levels[k], self.flatness[who][k])
            director.tick(t)


def _switches_to(director: StageDirector, who: str) -> list[StageSwitch]:
    return [s for s in director.switches if s.to_id == who]


def test_free_floor_switches_fast() -> None:
    d = StageDirector()
    Script(["alice", "bob"], 8.0).talk("alice", 1.0, 4.0).talk("bob", 4.6, 8.0).play(d)
    first, second = d.switches
    assert first.from_id is None and first.to_id == "alice"
    assert 0.1 <= first.time_s - 1.0 <= 0.25
    assert second.from_id == "alice" and second.to_id == "bob"
    assert 0.1 <= second.time_s - 4.6 <= 0.25
    assert second.reason.startswith("floor free")
    assert d.current == "bob"


def test_quick_handover_waits_only_for_floor_release() -> None:
    # Bob starts 100 ms after Alice stops: he takes the floor once her silence exceeds floor_release_s.
    settings = StageDirectorSettings()
    d = StageDirector(settings)
    Script(["alice", "bob"], 6.0).talk("alice", 0.5, 3.0).talk("bob", 3.1, 6.0).play(d)
    switch = _switches_to(d, "bob")[0]
    assert switch.time_s - 3.0 == pytest.approx(settings.floor_release_s, abs=0.05)


@pytest.mark.parametrize("burst_s", [0.3, 1.0])
def test_burst_while_someone_talks_does_not_switch(burst_s: float) -> None:
    # A loud "mm-hm" (louder than the speaker) over ongoing speech keeps the stage.
    d = StageDirector()
    Script(["alice", "bob"], 8.0).talk("alice", 0.5, 8.0).talk("bob", 3.0, 3.0 + burst_s, level=-12.0).play(d)
    assert [s.to_id for s in d.switches] == ["alice"]


def test_click_does_not_switch_on_free_or_held_floor() -> None:
    d = StageDirector()
    script = Script(["alice", "bob", "carol"], 8.0).talk("alice", 0.5, 4.0)
    script.burst("bob", 2.0, 2.06, -3.0)  # held floor
    script.burst("carol", 6.0, 6.02, -3.0)  # free floor: a single loud frame
    script.burst("bob", 7.0, 7.06, -3.0)  # free floor: 60 ms
    script.play(d)
    assert [s.to_id for s in d.switches] == ["alice"]


def test_flat_noise_burst_is_not_speech() -> None:
    script = Script(["alice", "bob"], 6.0).talk("alice", 0.5, 2.0)
    script.burst("bob", 4.0, 4.4, -10.0, flatness=0.6)
    d = StageDirector()
    script.play(d)
    assert d.current == "alice"
    # The same burst without a flatness value is taken for speech on a free floor.
    script.flatness["bob"] = [None] * script.frames
    d = StageDirector()
    script.play(d)
    assert d.current == "bob"


def test_sustained_barge_in_takes_a_held_floor() -> None:
    # Bob talks over Alice, who keeps trying (300 ms on, 300 ms off) but never falls silent long enough
    # to free the floor.
    d = StageDirector()
    script = Script(["alice", "bob"], 10.0).talk("alice", 0.5, 3.0).talk("bob", 3.0, 10.0, level=-30.0)
    for start in range(30, 100, 6):
        script.burst("alice", start / 10, start / 10 + 0.3, SPEECH)
    script.play(d)
    switch = _switches_to(d, "bob")[0]
    assert switch.reason.startswith("challenger bob out-talks alice")
    assert 1.0 <= switch.time_s - 3.0 <= 3.5


def test_equal_crosstalk_keeps_the_incumbent() -> None:
    d = StageDirector()
    Script(["alice", "bob"], 10.0).talk("alice", 0.5, 10.0).talk("bob", 3.0, 10.0, level=-12.0).play(d)
    assert [s.to_id for s in d.switches] == ["alice"]


def test_silence_keeps_the_last_speaker_on_stage() -> None:
    d = StageDirector()
    Script(["alice", "bob"], 20.0).talk("alice", 0.5, 2.0).play(d)
    assert d.current == "alice"
    assert len(d.switches) == 1


def test_level_offsets_do_not_matter() -> None:
    # A quiet microphone with a quiet room is heard; a steady noisy one is not taken for speech.
    d = StageDirector()
    script = Script(["quiet", "noisy"], 6.0)
    script.levels["quiet"] = [-75.0] * script.frames
    script.talk("quiet", 1.0, 3.0, level=-44.0)
    script.levels["noisy"] = [-38.0] * script.frames
    script.play(d)
    assert [s.to_id for s in d.switches] == ["quiet"]


def test_pin_overrides_and_unpin_resumes() -> None:
    d = StageDirector()
    script = Script(["alice", "bob", "carol"], 10.0).talk("alice", 0.5, 3.0).talk("bob", 4.0, 10.0)
    script.play(d, end_s=2.0)
    assert d.current == "alice"
    pinned = d.pin("carol", 2.0)
    assert pinned is not None and pinned.to_id == "carol" and pinned.reason == "pinned"
    script.play(d, start_s=2.0, end_s=6.0)
    assert d.current == "carol"
    assert d.automatic == "bob"
    unpinned = d.pin(None, 6.0)
    assert unpinned is not None
    assert (unpinned.from_id, unpinned.to_id) == ("carol", "bob")
    assert unpinned.reason.startswith("unpinned")
    assert d.current == "bob" and d.pinned is None


def test_pinning_the_current_speaker_logs_nothing() -> None:
    d = StageDirector()
    Script(["alice"], 2.0).talk("alice", 0.2, 2.0).play(d)
    assert d.pin("alice") is None
    assert d.pinned == "alice"


def test_removing_the_current_speaker_frees_the_floor() -> None:
    d = StageDirector()
    script = Script(["alice", "bob"], 8.0).talk("alice", 0.5, 8.0).talk("bob", 5.0, 8.0)
    script.play(d, end_s=4.0)
    left = d.remove("alice", 4.0)
    assert left is not None and left.to_id is None and left.reason == "alice left"
    assert d.current is None
    script.levels.pop("alice")
    script.flatness.pop("alice")
    script.play(d, start_s=4.0)
    switch = _switches_to(d, "bob")[0]
    assert 0.1 <= switch.time_s - 5.0 <= 0.25
    assert switch.from_id is None


def test_removing_a_pinned_participant_resumes_automatic() -> None:
    d = StageDirector()
    Script(["alice", "bob"], 2.0).talk("alice", 0.2, 2.0).play(d)
    d.pin("bob")
    switch = d.remove("bob")
    assert switch is not None and (switch.from_id, switch.to_id) == ("bob", "alice")
    assert d.current == "alice"


def test_switch_log_chains_and_has_reasons() -> None:
    d = StageDirector()
    script = Script(["alice", "bob", "carol"], 14.0)
    script.talk("alice", 0.5, 3.0).talk("bob", 3.8, 6.0).talk("carol", 7.0, 14.0).talk(
        "bob", 8.0, 14.0, -12.0
    )
    script.play(d)
    log = d.switches
    assert len(log) >= 3
    assert all(s.reason for s in log)
    for prev, nxt in itertools.pairwise(log):
        assert nxt.from_id == prev.to_id
        assert nxt.time_s >= prev.time_s
    assert "floor free" in log[1].reason and "bob speaking" in log[1].reason


def test_log_is_bounded() -> None:
    d = StageDirector(max_log=2)
    script = Script(["a", "b"], 12.0)
    for i in range(5):
        script.talk("ab"[i % 2], 0.5 + 2 * i, 1.5 + 2 * i)
    script.play(d)
    assert len(d.switches) == 2


def test_update_feeds_and_ticks_and_reports_speaking() -> None:
    d = StageDirector()
    result = None
    for k in range(30):
        alice = NOISE if k < 5 else SPEECH
        result = d.update((k + 1) * FRAME_S, {"alice": alice, "bob": NOISE}) or result
    assert result is not None and result.to_id == "alice"
    assert d.speaking() == ["alice"]


def test_participant_whose_audio_stops_fades_out() -> None:
    # Bob's audio stops arriving (muted at the source); his stale activity must not block Carol.
    d = StageDirector()
    script = Script(["bob", "carol"], 8.0).talk("bob", 0.5, 4.0).talk("carol", 5.0, 8.0)
    script.play(d, end_s=4.0)
    script.levels.pop("bob")
    script.flatness.pop("bob")
    script.play(d, start_s=4.0)
    assert d.current == "carol"


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        StageDirectorSettings(dominance_scales_s=())
    with pytest.raises(ValueError):
        StageDirectorSettings(spurt_gap_s=0.0)

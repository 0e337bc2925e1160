"""Per-track freeze detection: pause, keyframe request, rebuild, backoff."""

from __future__ import annotations

import itertools

from spaces_desktop.media.freeze import FREEZE_AFTER_S, REBUILD_AFTER_S, FreezeAction, FreezeWatch


def test_a_moving_video_is_never_paused() -> None:
    watch: FreezeWatch[str] = FreezeWatch()
    watch.expect(["a"], 0.0)
    for step in range(100):
        now = step / 30
        watch.frame("a", now)
        assert watch.tick(now) == [] and watch.paused(now) == frozenset()


def test_a_frozen_video_asks_for_a_keyframe_then_rebuilds_with_backoff() -> None:
    watch: FreezeWatch[str] = FreezeWatch()
    watch.expect(["a", "b"], 0.0)
    actions: list[tuple[float, str, FreezeAction]] = []
    now = 0.0
    while now < 30:
        watch.frame("b", now)  # b keeps moving (like a voice keeping the connection busy)
        actions += [(now, key, action) for key, action in watch.tick(now)]
        if now > FREEZE_AFTER_S:
            assert watch.paused(now) == {"a"}
        now = round(now + 0.25, 2)
    assert all(key == "a" for _, key, _ in actions)
    assert actions[0] == (FREEZE_AFTER_S, "a", FreezeAction.KEYFRAME)
    rebuilds = [t for t, _, action in actions if action is FreezeAction.REBUILD]
    assert rebuilds[0] == FREEZE_AFTER_S + REBUILD_AFTER_S
    gaps = [b - a for a, b in itertools.pairwise(rebuilds)]
    assert gaps == sorted(gaps) and gaps[0] > REBUILD_AFTER_S  # backs off
    assert len(rebuilds) <= 5


def test_a_frame_unpauses_and_camera_off_is_not_a_freeze() -> None:
    watch: FreezeWatch[str] = FreezeWatch()
    watch.expect(["a"], 0.0)
    assert watch.tick(2.0) == [("a", FreezeAction.KEYFRAME)]
    watch.frame("a", 2.1)
    assert watch.paused(2.2) == frozenset() and watch.tick(2.2) == []
    watch.expect([], 2.5)  # the publisher turned the camera off
    assert watch.tick(10.0) == [] and watch.paused(10.0) == frozenset()
    watch.expect(["a"], 10.0)  # on again: a fresh start, not an old freeze
    assert watch.tick(10.5) == []


def test_a_rebuilt_subscription_gets_a_fresh_start() -> None:
    watch: FreezeWatch[str] = FreezeWatch()
    watch.expect(["a"], 0.0)
    watch.tick(1.6)
    assert watch.tick(3.1) == [("a", FreezeAction.REBUILD)]
    watch.restarted(3.5)
    assert watch.tick(4.0) == [] and watch.paused(4.0) == frozenset()
    assert watch.tick(5.0) == [("a", FreezeAction.KEYFRAME)]

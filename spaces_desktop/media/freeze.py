"""Per-track freeze detection: a video whose publisher says "camera on" but no picture comes.

Packets on some other stream (the same person's voice) say nothing about a video:
only decoded frames do. A video expected to move that brings no new frame for
`FREEZE_AFTER_S` is paused (its tile says so instead of showing a still picture)
and gets a keyframe request; still frozen `REBUILD_AFTER_S` later, its
subscription is rebuilt. Rebuilds back off while the video stays frozen, so a
publisher whose own network is gone does not make every viewer churn.

Pure: no I/O, no clocks; the caller passes `now` (seconds).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

FREEZE_AFTER_S = 1.5
REBUILD_AFTER_S = 1.5
REBUILD_BACKOFF_MAX_S = 12.0

Key = TypeVar("Key", bound=Hashable)


class FreezeAction(Enum):
    KEYFRAME = "keyframe"
    REBUILD = "rebuild"


@dataclass
class _Track:
    last_frame: float
    """The last decoded frame, or when the video started being expected."""
    asked_at: float | None = None
    rebuild_at: float | None = None
    rebuild_wait: float = REBUILD_AFTER_S


class FreezeWatch(Generic[Key]):
    def __init__(self, freeze_after: float = FREEZE_AFTER_S, rebuild_after: float = REBUILD_AFTER_S) -> None:
        self._freeze_after = freeze_after
        self._rebuild_after = rebuild_after
        self._tracks: dict[Key, _Track] = {}

    def frame(self, key: Key, now: float) -> None:
        """A new picture was decoded for `key`."""
        track = self._tracks.get(key)
        if track is not None:
            self._tracks[key] = _Track(now, rebuild_wait=self._rebuild_after)

    def expect(self, keys: Iterable[Key], now: float) -> None:
        """The videos that should be moving now (subscribed, camera on); others are forgotten."""
        wanted = set(keys)
        for key in [k for k in self._tracks if k not in wanted]:
            del self._tracks[key]
        for key in wanted - self._tracks.keys():
            self._tracks[key] = _Track(now, rebuild_wait=self._rebuild_after)

    def restarted(self, now: float) -> None:
        """The subscription was rebuilt: every video gets a fresh start, keeping its backoff."""
        for track in self._tracks.values():
            track.last_frame = max(track.last_frame, now)
            track.asked_at = None
            track.rebuild_at = None

    def tick(self, now: float) -> list[tuple[Key, FreezeAction]]:
        actions: list[tuple[Key, FreezeAction]] = []
        for key, track in self._tracks.items():
            if now - track.last_frame < self._freeze_after:
                continue
            if track.asked_at is None:
                track.asked_at = now
                track.rebuild_at = now + track.rebuild_wait
                actions.append((key, FreezeAction.KEYFRAME))
            elif track.rebuild_at is not None and now >= track.rebuild_at:
                track.rebuild_wait = min(track.rebuild_wait * 2, REBUILD_BACKOFF_MAX_S)
                track.rebuild_at = now + track.rebuild_wait  # again later if it did not help
                actions.append((key, FreezeAction.REBUILD))
        return actions

    def paused(self, now: float) -> frozenset[Key]:
        """Videos frozen right now: their tiles say so."""
        return frozenset(k for k, t in self._tracks.items() if now - t.last_frame >= self._freeze_after)


__all__ = ["FREEZE_AFTER_S", "REBUILD_AFTER_S", "FreezeAction", "FreezeWatch"]

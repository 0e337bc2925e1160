"""The speaking ring: audio levels in dBov turned into a calm 0..1 intensity (GUI thread).

Levels arrive about ten times a second; the ring is redrawn more often than
that, so each participant's intensity eases toward its latest level: it rises
quickly when someone starts talking and fades slowly when they stop, which
keeps the ring from flickering between words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

SILENT_DBOV = -55.0
"""At or below this level the ring is off (room noise, breathing)."""
LOUD_DBOV = -20.0
"""At or above this level the ring is at full strength (clear, close speech)."""
GATE = 0.08
"""Targets below this are treated as silence, so faint noise never lights the ring."""
ATTACK_S = 0.06
RELEASE_S = 0.35
OFF = 0.01


def intensity(level_dbov: float) -> float:
    """How strongly someone is speaking, from 0 (silent) to 1 (loud)."""
    if math.isnan(level_dbov):
        return 0.0
    value = (level_dbov - SILENT_DBOV) / (LOUD_DBOV - SILENT_DBOV)
    value = min(1.0, max(0.0, value))
    return 0.0 if value < GATE else value


class RingLevels:
    """Smoothed ring intensity per participant (GUI thread only)."""

    def __init__(self, attack_s: float = ATTACK_S, release_s: float = RELEASE_S) -> None:
        self.attack_s = attack_s
        self.release_s = release_s
        self._targets: dict[str, float] = {}
        self._values: dict[str, float] = {}

    def set_levels(self, levels: Mapping[str, float]) -> None:
        """Take the newest levels; anyone missing is treated as silent."""
        self._targets = {pid: intensity(level) for pid, level in levels.items()}

    def value(self, participant_id: str) -> float:
        return self._values.get(participant_id, 0.0)

    @property
    def settled(self) -> bool:
        """Whether every ring has reached its target (nothing left to animate)."""
        keys = self._targets.keys() | self._values.keys()
        return all(abs(self._targets.get(k, 0.0) - self._values.get(k, 0.0)) < OFF for k in keys)

    def step(self, dt: float) -> set[str]:
        """Advance the easing by ``dt`` seconds; returns who changed visibly."""
        changed: set[str] = set()
        for pid in self._targets.keys() | self._values.keys():
            target = self._targets.get(pid, 0.0)
            value = self._values.get(pid, 0.0)
            tau = self.attack_s if target > value else self.release_s
            new = value + (target - value) * (1.0 - math.exp(-dt / tau))
            if abs(new - target) < OFF:
                new = target
            if new <= 0.0:
                self._values.pop(pid, None)
            else:
                self._values[pid] = new
            if abs(new - value) >= 0.004:
                changed.add(pid)
        return changed

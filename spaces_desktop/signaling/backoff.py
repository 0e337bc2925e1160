"""How long to wait before trying the backend again."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter, so many clients do not retry in step.

    The n-th wait (from 0) is uniform in [0, min(max_delay, first_delay * 2**n)].
    """

    attempts: int | None = 3
    """Tries in all, the first included; None tries until stopped (the event stream)."""
    first_delay: float = 0.25
    """Upper bound of the first wait, in seconds."""
    max_delay: float = 5.0
    """Upper bound of every wait, in seconds."""

    def delay(self, retry: int, first_delay: float | None = None, rng: random.Random | None = None) -> float:
        """The wait before retry number `retry` (0 for the first retry)."""
        first = self.first_delay if first_delay is None else first_delay
        ceiling = min(self.max_delay, first * 2 ** min(retry, 30))
        return (rng or random).uniform(0.0, ceiling)

    def allows(self, tries_done: int) -> bool:
        """Whether another try may follow `tries_done` failed ones."""
        return self.attempts is None or tries_done < self.attempts


NO_RETRY = Backoff(attempts=1)

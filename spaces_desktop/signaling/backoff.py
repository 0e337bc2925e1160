"""How long to wait before trying the backend again."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter, so many clients do not retry in step.

    The n-th wait (from 0) is uniform in [0, min(max_delay, first_delay * 2**n)].
    With `fast_for`, the waits of an outage's first `fast_for` seconds are short
    instead (uniform in `fast_delay`): a server that was there a moment ago is
    most likely restarting, and clients should be back as soon as it answers.
    """

    attempts: int | None = 3
    """Tries in all, the first included; None tries until stopped (the event stream)."""
    first_delay: float = 0.25
    """Upper bound of the first wait, in seconds."""
    max_delay: float = 5.0
    """Upper bound of every wait, in seconds."""
    fast_for: float = 0.0
    """Seconds since the server was last seen during which the waits stay short."""
    fast_delay: tuple[float, float] = (0.2, 0.5)
    """Bounds of a short wait, in seconds; the jitter between them spreads a crowd."""

    def delay(self, retry: int, first_delay: float | None = None, rng: random.Random | None = None) -> float:
        """The wait before retry number `retry` (0 for the first retry)."""
        first = self.first_delay if first_delay is None else first_delay
        ceiling = min(self.max_delay, first * 2 ** min(retry, 30))
        return (rng or random).uniform(0.0, ceiling)

    def wait(
        self,
        retry: int,
        outage_s: float,
        first_delay: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """The wait before retry number `retry`, `outage_s` seconds after the server was last seen."""
        if outage_s < self.fast_for:
            low, high = self.fast_delay
            return (rng or random).uniform(low, high)
        return self.delay(retry, first_delay, rng)

    def allows(self, tries_done: int) -> bool:
        """Whether another try may follow `tries_done` failed ones."""
        return self.attempts is None or tries_done < self.attempts


NO_RETRY = Backoff(attempts=1)

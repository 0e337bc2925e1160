"""Retry waits: quick while a server was seen a moment ago, backing off later, always jittered."""

from __future__ import annotations

import random

from spaces_desktop.signaling.backoff import Backoff
from spaces_desktop.signaling.events import DEFAULT_RECONNECT


def test_an_outage_starts_with_quick_jittered_retries_then_backs_off() -> None:
    policy = Backoff(attempts=None, first_delay=1.0, max_delay=10.0, fast_for=30.0)
    rng = random.Random(7)
    quick = [policy.wait(retry, outage_s=retry * 0.35, rng=rng) for retry in range(80)]
    assert all(0.2 <= w <= 0.5 for w in quick)
    assert len({round(w, 3) for w in quick}) > 40  # spread, so a crowd does not retry in step
    later = [policy.wait(retry, outage_s=31.0 + retry, rng=rng) for retry in range(20)]
    assert all(0.0 <= w <= 10.0 for w in later)
    assert max(later) > 2.0


def test_the_event_stream_retries_quickly_for_the_first_thirty_seconds() -> None:
    rng = random.Random(3)
    assert all(0.2 <= DEFAULT_RECONNECT.wait(n, outage_s=n * 0.3, rng=rng) <= 0.5 for n in range(90))
    assert DEFAULT_RECONNECT.wait(100, outage_s=40.0, first_delay=1.0, rng=rng) <= 10.0


def test_without_a_quick_window_it_is_plain_exponential_backoff() -> None:
    policy = Backoff(attempts=None, first_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    for retry, ceiling in enumerate((0.5, 1.0, 2.0, 4.0, 4.0)):
        assert all(0.0 <= policy.wait(retry, outage_s=0.0, rng=rng) <= ceiling for _ in range(50))

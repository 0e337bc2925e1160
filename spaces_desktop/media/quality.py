"""Network quality per remote participant, from the receiver's RTP statistics.

Every few seconds the engine samples each receiver's cumulative packet counts;
the loss over that interval (and whether packets arrive at all) gives a
three-step verdict a tile can show as signal bars. Pure: no I/O, no clocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Quality(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


FAIR_LOSS = 0.02  # 2 % of packets lost: artefacts start to show
POOR_LOSS = 0.08  # 8 %: frozen pictures, robotic voice


@dataclass(frozen=True)
class ReceiverSample:
    """Cumulative counters of one receiver (one stream of one participant)."""

    participant_id: str
    stream: str
    received: int
    lost: int


def classify(received: int, lost: int) -> Quality:
    """The verdict for packets received and lost over one interval."""
    expected = received + max(lost, 0)
    if received == 0:
        return Quality.POOR
    loss = max(lost, 0) / expected
    if loss >= POOR_LOSS:
        return Quality.POOR
    if loss >= FAIR_LOSS:
        return Quality.FAIR
    return Quality.GOOD


class QualityMeter:
    """Turns successive samples into a verdict per participant (the worst of their streams)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[int, int]] = {}

    def update(self, samples: Iterable[ReceiverSample]) -> dict[str, Quality]:
        verdicts: dict[str, Quality] = {}
        seen: dict[tuple[str, str], tuple[int, int]] = {}
        order = list(Quality)
        for sample in samples:
            key = (sample.participant_id, sample.stream)
            seen[key] = (sample.received, sample.lost)
            previous = self._last.get(key)
            if previous is None:
                continue  # the first sample only sets the baseline
            verdict = classify(sample.received - previous[0], sample.lost - previous[1])
            current = verdicts.get(sample.participant_id, Quality.GOOD)
            verdicts[sample.participant_id] = max(current, verdict, key=order.index)
        self._last = seen
        return verdicts

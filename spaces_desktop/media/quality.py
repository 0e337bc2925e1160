"""Network quality per remote participant, from the receiver's RTP statistics.

Every few seconds the engine samples each receiver's cumulative packet and byte
counts; the loss over that interval (and whether packets arrive at all) gives a
three-step verdict a tile can show as signal bars, and the numbers behind it
(loss, bitrate, our round trip) for its tooltip. Pure: no I/O, no clocks (the
caller says how long the interval was).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from spaces_desktop.domain.state import NetworkStats


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
    bytes_received: int = 0
    """RTP bytes received so far (0 when the transport does not count them)."""


@dataclass(frozen=True)
class Measurement:
    """One participant over one interval: the verdict and its numbers."""

    quality: Quality
    network: NetworkStats


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


@dataclass
class _Interval:
    quality: Quality = Quality.GOOD
    received: int = 0
    lost: int = 0
    bytes: int = 0


class QualityMeter:
    """Turns successive samples into a verdict per participant (the worst of their streams)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[int, int, int]] = {}

    def update(self, samples: Iterable[ReceiverSample]) -> dict[str, Quality]:
        return {pid: m.quality for pid, m in self.measure(samples, 0.0).items()}

    def measure(
        self, samples: Iterable[ReceiverSample], seconds: float, round_trip_ms: int | None = None
    ) -> dict[str, Measurement]:
        """Each participant's verdict and numbers since the last call, ``seconds`` ago.

        Loss is over all their streams together; the bitrate is None when no bytes
        were counted or the interval is unknown (``seconds`` <= 0).
        """
        order = list(Quality)
        intervals: dict[str, _Interval] = {}
        seen: dict[tuple[str, str], tuple[int, int, int]] = {}
        for sample in samples:
            key = (sample.participant_id, sample.stream)
            seen[key] = (sample.received, sample.lost, sample.bytes_received)
            previous = self._last.get(key)
            if previous is None:
                continue  # the first sample only sets the baseline
            received, lost = sample.received - previous[0], sample.lost - previous[1]
            interval = intervals.setdefault(sample.participant_id, _Interval())
            interval.quality = max(interval.quality, classify(received, lost), key=order.index)
            interval.received += max(received, 0)
            interval.lost += max(lost, 0)
            interval.bytes += max(sample.bytes_received - previous[2], 0)
        self._last = seen
        return {
            pid: Measurement(
                i.quality,
                NetworkStats(
                    loss_percent=round(100 * i.lost / max(i.received + i.lost, 1), 1),
                    kbps=round(i.bytes * 8 / seconds / 1000) if i.bytes and seconds > 0 else None,
                    round_trip_ms=round_trip_ms,
                ),
            )
            for pid, i in intervals.items()
        }

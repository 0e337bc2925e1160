"""What a peer connection's receivers report, as a typed snapshot the session can read.

The session rates each remote participant's network from these counters
(media/quality.py) and never touches the RTCPeerConnection itself: the
transport owns it, and a fake transport hands out snapshots of its own.
Runs on the engine loop (aiortc's `getStats` is a coroutine of that loop).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from aiortc.stats import RTCInboundRtpStreamStats, RTCStatsReport


@dataclass(frozen=True)
class InboundSample:
    """Cumulative counters of one received stream, by its mid in the connection."""

    mid: str
    kind: Literal["audio", "video"]
    packets_received: int
    packets_lost: int
    jitter: float
    """Interarrival jitter as aiortc reports it (RTP timestamp units), for diagnostics."""


@dataclass(frozen=True)
class TransportStats:
    """One snapshot of a connection's receivers (empty before it is connected)."""

    inbound: tuple[InboundSample, ...] = ()

    def by_mid(self) -> dict[str, InboundSample]:
        return {sample.mid: sample for sample in self.inbound}


class _Receiver(Protocol):
    async def getStats(self) -> RTCStatsReport: ...


class _Transceiver(Protocol):
    @property
    def mid(self) -> str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def receiver(self) -> _Receiver: ...


def inbound_samples(mid: str, kind: str, report: RTCStatsReport) -> list[InboundSample]:
    """The inbound-rtp entries of one receiver's report (aiortc also lists remote-outbound ones)."""
    stream_kind: Literal["audio", "video"] = "audio" if kind == "audio" else "video"
    return [
        InboundSample(mid, stream_kind, stats.packetsReceived, stats.packetsLost, float(stats.jitter))
        for stats in report.values()
        if isinstance(stats, RTCInboundRtpStreamStats)
    ]


async def receiver_stats(transceivers: Iterable[_Transceiver]) -> TransportStats:
    """Asks every receiver with a mid for its counters, one after another."""
    samples: list[InboundSample] = []
    for transceiver in transceivers:
        if transceiver.mid is None:
            continue  # not negotiated yet: nothing to count
        report = await transceiver.receiver.getStats()
        samples.extend(inbound_samples(transceiver.mid, transceiver.kind, report))
    return TransportStats(tuple(samples))


__all__ = ["InboundSample", "TransportStats", "inbound_samples", "receiver_stats"]

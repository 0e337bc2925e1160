"""What a peer connection's receivers report, as a typed snapshot the session can read.

The session rates each remote participant's network from these counters
(media/quality.py) and never touches the RTCPeerConnection itself: the
transport owns it, and a fake transport hands out snapshots of its own.
Runs on the engine loop (aiortc's `getStats` is a coroutine of that loop).

aiortc's inbound-rtp stats carry no byte count, so a `ByteCounter` on each
receiver adds up the RTP packets it is handed (payload plus the fixed header);
the round trip comes from what the SFU reports back about our own sending
(remote-inbound-rtp `roundTripTime`, from its receiver reports).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from aiortc.rtp import RtpPacket
from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats, RTCStatsReport


@dataclass(frozen=True)
class InboundSample:
    """Cumulative counters of one received stream, by its mid in the connection."""

    mid: str
    kind: Literal["audio", "video"]
    packets_received: int
    packets_lost: int
    jitter: float
    """Interarrival jitter as aiortc reports it (RTP timestamp units), for diagnostics."""
    bytes_received: int = 0
    """RTP bytes received so far (0 where they are not counted)."""


@dataclass(frozen=True)
class TransportStats:
    """One snapshot of a connection's receivers (empty before it is connected)."""

    inbound: tuple[InboundSample, ...] = ()
    round_trip_s: float | None = None
    """Our round trip to the SFU, from a publisher's report (None for a subscriber, or not reported yet)."""

    def by_mid(self) -> dict[str, InboundSample]:
        return {sample.mid: sample for sample in self.inbound}


class _Receiver(Protocol):
    async def getStats(self) -> RTCStatsReport: ...


class _Sender(Protocol):
    async def getStats(self) -> RTCStatsReport: ...


RTP_HEADER_BYTES = 12


class ByteCounter:
    """Counts the RTP bytes one aiortc receiver is handed (engine loop).

    It wraps the receiver's packet handler, whatever is installed there already
    (the receive guard's, or aiortc's own), so install it last.
    """

    def __init__(self, receiver: object) -> None:
        self.bytes = 0
        self._handle: Callable[[RtpPacket, int], Awaitable[None]] = receiver._handle_rtp_packet  # type: ignore[attr-defined]
        receiver._handle_rtp_packet = self._count  # type: ignore[attr-defined]

    async def _count(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.bytes += RTP_HEADER_BYTES + len(packet.payload)
        await self._handle(packet, arrival_time_ms)


class _Transceiver(Protocol):
    @property
    def mid(self) -> str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def receiver(self) -> _Receiver: ...


def inbound_samples(
    mid: str, kind: str, report: RTCStatsReport, bytes_received: int = 0
) -> list[InboundSample]:
    """The inbound-rtp entries of one receiver's report (aiortc also lists remote-outbound ones)."""
    stream_kind: Literal["audio", "video"] = "audio" if kind == "audio" else "video"
    return [
        InboundSample(
            mid, stream_kind, stats.packetsReceived, stats.packetsLost, float(stats.jitter), bytes_received
        )
        for stats in report.values()
        if isinstance(stats, RTCInboundRtpStreamStats)
    ]


def round_trip(reports: Iterable[RTCStatsReport]) -> float | None:
    """The worst round trip (seconds) the far end reported about our streams; None before any report."""
    times = [
        float(stats.roundTripTime)
        for report in reports
        for stats in report.values()
        if isinstance(stats, RTCRemoteInboundRtpStreamStats) and stats.roundTripTime is not None
    ]
    return max(times) if times else None


async def sender_stats(senders: Iterable[_Sender]) -> TransportStats:
    """A publisher's snapshot: the round trip its senders' receiver reports give."""
    return TransportStats(round_trip_s=round_trip([await sender.getStats() for sender in senders]))


async def receiver_stats(
    transceivers: Iterable[_Transceiver], counters: Mapping[str, ByteCounter] | None = None
) -> TransportStats:
    """Asks every receiver with a mid for its counters, one after another (bytes from ``counters``)."""
    samples: list[InboundSample] = []
    counters = counters or {}
    for transceiver in transceivers:
        if transceiver.mid is None:
            continue  # not negotiated yet: nothing to count
        report = await transceiver.receiver.getStats()
        counter = counters.get(transceiver.mid)
        samples.extend(
            inbound_samples(transceiver.mid, transceiver.kind, report, counter.bytes if counter else 0)
        )
    return TransportStats(tuple(samples))


__all__ = [
    "ByteCounter",
    "InboundSample",
    "TransportStats",
    "inbound_samples",
    "receiver_stats",
    "round_trip",
    "sender_stats",
]

"""The transport's stats snapshot: inbound counters per mid, from aiortc's reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiortc.rtp import RtpPacket
from aiortc.stats import (
    RTCInboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
    RTCRemoteOutboundRtpStreamStats,
    RTCStatsReport,
)

from spaces_desktop.transport.stats import (
    ByteCounter,
    InboundSample,
    TransportStats,
    inbound_samples,
    receiver_stats,
    round_trip,
    sender_stats,
)
from spaces_desktop.transport.subscriber import Subscriber

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _report(received: int, lost: int) -> RTCStatsReport:
    report = RTCStatsReport()
    report.add(
        RTCInboundRtpStreamStats(
            timestamp=AT, type="inbound-rtp", id="in", ssrc=1, kind="audio", transportId="t",
            packetsReceived=received, packetsLost=lost, jitter=3,
        )
    )  # fmt: skip
    report.add(  # what the sender said about itself: not a receiver's counter
        RTCRemoteOutboundRtpStreamStats(
            timestamp=AT, type="remote-outbound-rtp", id="out", ssrc=1, kind="audio", transportId="t",
            packetsSent=999, bytesSent=1,
        )
    )  # fmt: skip
    return report


@dataclass
class _Receiver:
    report: RTCStatsReport

    async def getStats(self) -> RTCStatsReport:
        return self.report


@dataclass
class _Transceiver:
    mid: str | None
    kind: str
    receiver: _Receiver


def test_only_inbound_counters_are_taken() -> None:
    assert inbound_samples("0", "audio", _report(100, 4)) == [InboundSample("0", "audio", 100, 4, 3.0)]


async def test_a_snapshot_covers_every_negotiated_receiver_by_mid() -> None:
    stats = await receiver_stats(
        [
            _Transceiver("0", "audio", _Receiver(_report(10, 1))),
            _Transceiver("1", "video", _Receiver(_report(20, 0))),
            _Transceiver(None, "video", _Receiver(_report(99, 99))),  # not negotiated yet
        ]
    )
    assert stats.by_mid() == {
        "0": InboundSample("0", "audio", 10, 1, 3.0),
        "1": InboundSample("1", "video", 20, 0, 3.0),
    }


async def test_a_subscriber_not_yet_connected_reports_nothing() -> None:
    subscriber = Subscriber(lambda stream, track: None)
    try:
        assert await subscriber.stats() == TransportStats()
    finally:
        await subscriber.close()


class _PacketReceiver:
    """Stands in for aiortc's receiver: its packet handler is what the counter wraps."""

    def __init__(self) -> None:
        self.handled: list[int] = []

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.handled.append(packet.sequence_number)


async def test_a_byte_counter_counts_each_packet_and_passes_it_on() -> None:
    receiver = _PacketReceiver()
    counter = ByteCounter(receiver)
    for seq in (1, 2):
        await receiver._handle_rtp_packet(RtpPacket(sequence_number=seq, payload=b"x" * 100), 0)
    assert receiver.handled == [1, 2]
    assert counter.bytes == 2 * (12 + 100)
    stats = await receiver_stats([_Transceiver("0", "audio", _Receiver(_report(10, 1)))], {"0": counter})
    assert stats.by_mid()["0"].bytes_received == 224


def _remote_inbound(rtt: float | None) -> RTCStatsReport:
    report = RTCStatsReport()
    report.add(
        RTCRemoteInboundRtpStreamStats(
            timestamp=AT, type="remote-inbound-rtp", id=f"rin{rtt}", ssrc=1, kind="audio", transportId="t",
            packetsReceived=10, packetsLost=0, jitter=0, roundTripTime=rtt, fractionLost=0,  # type: ignore[arg-type]
        )
    )  # fmt: skip
    return report


async def test_the_round_trip_is_the_worst_the_sfu_reported_about_our_streams() -> None:
    assert round_trip([_report(1, 0)]) is None  # receivers' reports say nothing about it
    assert round_trip([_remote_inbound(None)]) is None  # no receiver report yet
    assert round_trip([_remote_inbound(0.04), _remote_inbound(0.09)]) == 0.09
    stats = await sender_stats([_Receiver(_remote_inbound(0.085))])
    assert stats == TransportStats(round_trip_s=0.085)

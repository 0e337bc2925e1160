"""The transport's stats snapshot: inbound counters per mid, from aiortc's reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteOutboundRtpStreamStats, RTCStatsReport

from spaces_desktop.transport.stats import InboundSample, TransportStats, inbound_samples, receiver_stats
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

"""What the server says about our publishing connection: round trip, loss, and how fast we send.

From the publisher's RTCStatsReport: `outbound-rtp` (bytes sent) and the
`remote-inbound-rtp` the SFU reports back in RTCP receiver reports (round trip,
fraction lost). The rate is measured between two calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UplinkSample:
    rtt_ms: float | None
    loss: float | None
    uplink_kbps: float | None


class UplinkMeter:
    def __init__(self) -> None:
        self._last: tuple[float, int] | None = None

    async def measure(self, pc: Any) -> UplinkSample:
        """`pc` an aiortc RTCPeerConnection that publishes."""
        report = await pc.getStats()
        sent = 0
        rtts: list[float] = []
        losses: list[float] = []
        for stats in report.values():
            kind = getattr(stats, "type", "")
            if kind == "outbound-rtp":
                sent += int(getattr(stats, "bytesSent", 0) or 0)
            elif kind == "remote-inbound-rtp":
                rtt = getattr(stats, "roundTripTime", None)
                if rtt is not None:
                    rtts.append(float(rtt) * 1000.0)
                lost = getattr(stats, "fractionLost", None)
                if lost is not None:
                    losses.append(float(lost))
        now = time.monotonic()
        rate = None
        if self._last is not None and now > self._last[0] and sent >= self._last[1]:
            rate = (sent - self._last[1]) * 8 / 1000.0 / (now - self._last[0])
        self._last = (now, sent)
        return UplinkSample(max(rtts) if rtts else None, max(losses) if losses else None, rate)

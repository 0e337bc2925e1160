"""Network quality verdicts from receiver counters."""

from __future__ import annotations

from spaces_desktop.domain.state import NetworkStats
from spaces_desktop.media.quality import Quality, QualityMeter, ReceiverSample, classify


def test_classify_by_loss_and_silence() -> None:
    assert classify(received=300, lost=0) is Quality.GOOD
    assert classify(received=300, lost=9) is Quality.FAIR
    assert classify(received=300, lost=40) is Quality.POOR
    assert classify(received=0, lost=0) is Quality.POOR


def test_meter_uses_intervals_and_the_worst_stream() -> None:
    meter = QualityMeter()
    assert meter.update([ReceiverSample("a", "0", 100, 0), ReceiverSample("a", "1", 60, 0)]) == {}
    verdicts = meter.update([ReceiverSample("a", "0", 200, 0), ReceiverSample("a", "1", 120, 10)])
    assert verdicts == {"a": Quality.POOR}  # the video lost 10 of 70 packets in this interval
    # Losses long past do not count again.
    assert meter.update([ReceiverSample("a", "0", 300, 0), ReceiverSample("a", "1", 200, 10)]) == {
        "a": Quality.GOOD
    }


def test_measure_gives_the_numbers_behind_the_verdict() -> None:
    meter = QualityMeter()
    assert (
        meter.measure(
            [ReceiverSample("a", "0", 100, 0, 10_000), ReceiverSample("a", "1", 50, 0, 40_000)], 2.0
        )
        == {}
    )
    measured = meter.measure(
        [ReceiverSample("a", "0", 200, 0, 26_000), ReceiverSample("a", "1", 147, 3, 184_000)], 2.0, 85
    )
    a = measured["a"]
    assert a.quality is Quality.FAIR  # the video lost 3 of 100
    assert a.network == NetworkStats(loss_percent=1.5, kbps=640, round_trip_ms=85)  # 3 of 200; 160 kB in 2 s


def test_measure_without_byte_counts_or_interval_has_no_bitrate() -> None:
    meter = QualityMeter()
    meter.measure([ReceiverSample("a", "0", 100, 0)], 2.0)
    assert meter.measure([ReceiverSample("a", "0", 200, 0)], 2.0)["a"].network == NetworkStats(
        0.0, None, None
    )
    meter.measure([ReceiverSample("b", "0", 0, 0, 0)], 0.0)
    assert meter.measure([ReceiverSample("b", "0", 10, 0, 5_000)], 0.0)["b"].network.kbps is None

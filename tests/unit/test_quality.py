"""Network quality verdicts from receiver counters."""

from __future__ import annotations

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

"""Low-latency jitter buffers: frames leave as soon as they are complete."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from spaces_desktop.transport.jitter import ImmediateJitterBuffer, MarkerJitterBuffer


def packet(seq: int, ts: int, marker: bool = False, data: bytes = b"x") -> RtpPacket:
    p = RtpPacket(sequence_number=seq, timestamp=ts, marker=int(marker))
    p._data = data  # type: ignore[attr-defined]
    return p


def test_video_frame_leaves_on_its_marker() -> None:
    buffer = MarkerJitterBuffer(capacity=64, is_video=True)
    assert buffer.add(packet(100, 3000, data=b"a"))[1] is None
    assert buffer.add(packet(101, 3000, data=b"b"))[1] is None
    frame = buffer.add(packet(102, 3000, marker=True, data=b"c"))[1]
    assert frame is not None and frame.data == b"abc" and frame.timestamp == 3000
    # The next picture, in one packet, leaves at once too.
    nxt = buffer.add(packet(103, 6000, marker=True, data=b"d"))[1]
    assert nxt is not None and nxt.data == b"d"


def test_video_waits_for_a_missing_middle_packet() -> None:
    buffer = MarkerJitterBuffer(capacity=64, is_video=True)
    buffer.add(packet(10, 100, data=b"a"))
    assert buffer.add(packet(12, 100, marker=True, data=b"c"))[1] is None
    frame = buffer.add(packet(11, 100, data=b"b"))[1]
    assert frame is not None and frame.data == b"abc"


def test_video_without_marker_falls_back_to_next_frame_rule() -> None:
    buffer = MarkerJitterBuffer(capacity=64, is_video=True)
    buffer.add(packet(1, 100, data=b"a"))
    frame = buffer.add(packet(2, 200, data=b"b"))[1]
    assert frame is not None and frame.data == b"a"


def test_audio_packets_leave_immediately_and_gaps_are_skipped() -> None:
    buffer = ImmediateJitterBuffer(capacity=16)
    first = buffer.add(packet(1, 960))[1]
    assert first is not None and first.timestamp == 960
    assert buffer.add(packet(3, 2880))[1] is None  # 2 is late: wait a little
    late = buffer.add(packet(2, 1920))[1]
    assert late is not None and late.timestamp == 1920
    # One frame leaves per packet: 3 follows with the next arrival.
    after = buffer.add(packet(4, 3840))[1]
    assert after is not None and after.timestamp == 2880
    # A packet that never comes holds the voice up by at most a few packets.
    buffer = ImmediateJitterBuffer(capacity=16)
    buffer.add(packet(1, 960))
    assert buffer.add(packet(3, 2880))[1] is None
    assert buffer.add(packet(4, 3840))[1] is None
    released = buffer.add(packet(5, 4800))[1]
    assert released is not None and released.timestamp == 2880

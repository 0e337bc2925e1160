"""Jitter buffers: frames leave as soon as they are complete, and loss never freezes the picture."""

from __future__ import annotations

import random
import time

from aiortc.rtp import RtpPacket

from spaces_desktop.transport.jitter import (
    GAP_WAIT_S,
    KEYFRAME_RETRY_S,
    PLI_BEFORE_FIR,
    ImmediateJitterBuffer,
    MarkerJitterBuffer,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def packet(
    seq: int, ts: int, marker: bool = False, data: bytes = b"x", start: bool | None = None
) -> RtpPacket:
    """A VP8 packet: one descriptor byte (S bit on the first packet of a picture), then `data`."""
    descriptor = bytes([0x10 if start else 0x00]) if start is not None else b""
    p = RtpPacket(sequence_number=seq % 65536, timestamp=ts, marker=int(marker), payload=descriptor + data)
    p._data = data  # type: ignore[attr-defined]
    return p


def frame(seq: int, index: int, size: int = 3, key: bool = False) -> list[RtpPacket]:
    """Picture `index` in `size` packets from `seq`; VP8 marks keyframes with bit 0 clear."""
    head = b"\x00" if key else b"\x01"
    body = bytes([index % 256])
    return [
        packet(seq + i, index * 3000, i == size - 1, (head if i == 0 else b"") + body, start=i == 0)
        for i in range(size)
    ]


def feed(buffer: MarkerJitterBuffer, packets: list[RtpPacket]) -> tuple[list[int], int]:
    """Adds packets; returns the picture indexes released (in order) and how many PLIs were asked for."""
    released, plis = [], 0
    for p in packets:
        pli, out = buffer.add(p)
        plis += pli
        while out is not None:
            released.append(out.timestamp // 3000)
            out = buffer.pop_ready()
    return released, plis


def test_video_frame_leaves_on_its_marker() -> None:
    buffer = MarkerJitterBuffer(capacity=64, clock=Clock())
    first = frame(100, 1, key=True)
    assert buffer.add(first[0])[1] is None
    assert buffer.add(first[1])[1] is None
    out = buffer.add(first[2])[1]
    assert out is not None and out.data == b"\x00\x01\x01\x01" and out.timestamp == 3000
    # The next picture, in one packet, leaves at once too: no waiting for the one after it.
    assert feed(buffer, frame(103, 2, size=1))[0] == [2]


def test_video_waits_for_a_reordered_middle_packet() -> None:
    buffer = MarkerJitterBuffer(capacity=64, clock=Clock())
    a, b, c = frame(10, 1, key=True)
    buffer.add(a)
    assert buffer.add(c)[1] is None
    out = buffer.add(b)[1]
    assert out is not None and out.timestamp == 3000


def test_lost_packet_that_is_never_resent_does_not_hold_newer_frames() -> None:
    # The real clock, and the buffer as the receiver builds it: no test seams.
    buffer = MarkerJitterBuffer(capacity=512, is_video=True)
    released, _ = feed(buffer, frame(0, 0, key=True) + frame(3, 1))
    assert released == [0, 1]
    lost = frame(6, 2)
    feed(buffer, [lost[0], lost[2]])  # the middle packet never comes
    time.sleep(GAP_WAIT_S + 0.05)
    released, plis = feed(buffer, frame(9, 3) + frame(12, 4))
    assert released == []  # deltas after the loss cannot decode: dropped, not held
    assert plis >= 1  # and a keyframe is asked for
    released, _ = feed(buffer, frame(15, 5, key=True) + frame(18, 6))
    assert released == [5, 6]


def test_a_hole_waits_for_its_retransmission_then_everything_leaves_in_order() -> None:
    clock = Clock()
    buffer = MarkerJitterBuffer(capacity=512, clock=clock)
    feed(buffer, frame(0, 0, key=True))
    second = frame(3, 1)
    released, plis = feed(buffer, [second[0], second[2], *frame(6, 2), *frame(9, 3)])
    assert released == [] and plis == 0  # within the NACK window
    clock.now += GAP_WAIT_S / 2
    released, _ = feed(buffer, [second[1]])  # the retransmission
    assert released == [1, 2, 3]  # one packet completed three frames: all leave
    assert buffer.stats.dropped == 0


def test_a_newer_keyframe_releases_at_once() -> None:
    clock = Clock()
    buffer = MarkerJitterBuffer(capacity=512, clock=clock)
    feed(buffer, frame(0, 0, key=True))
    broken = frame(3, 1)
    released, _ = feed(buffer, [broken[0], *frame(6, 2, key=True), *frame(9, 3)])
    assert released == [2, 3]
    assert not buffer.needs_keyframe
    # The late packet of the frame given up is ignored.
    assert feed(buffer, [broken[1], broken[2]])[0] == []
    assert buffer.given_up(broken[1].sequence_number)


def test_keyframe_requests_repeat_then_become_a_fir() -> None:
    clock = Clock()
    buffer = MarkerJitterBuffer(capacity=512, clock=clock)
    feed(buffer, frame(0, 0, key=True))
    lost = frame(3, 1)
    feed(buffer, [lost[0]])
    clock.now += GAP_WAIT_S + 0.01
    seq, index, plis, firs = 6, 2, 0, 0
    for _ in range(int(4 * KEYFRAME_RETRY_S * 30)):  # 4 retry intervals of deltas at 30 fps
        plis += feed(buffer, frame(seq, index))[1]
        firs += buffer.take_fir()
        seq, index = seq + 3, index + 1
        clock.now += 1 / 30
    assert 3 <= plis <= 5  # repeated, but not once per packet
    assert firs == plis - PLI_BEFORE_FIR
    released, plis = feed(buffer, frame(seq, index, key=True))
    assert released == [index] and plis == 0 and not buffer.needs_keyframe


def test_first_keyframe_gates_the_start_and_sequence_numbers_wrap() -> None:
    clock = Clock()
    buffer = MarkerJitterBuffer(capacity=512, clock=clock)
    # Joining mid-stream: a delta first cannot decode.
    assert feed(buffer, frame(65530, 0))[0] == []
    released, _ = feed(buffer, frame(65533, 1, key=True) + frame(65536, 2) + frame(65539, 3))
    assert released == [1, 2, 3]


def test_an_outage_longer_than_the_buffer_starts_over_at_a_keyframe() -> None:
    clock = Clock()
    buffer = MarkerJitterBuffer(capacity=64, clock=clock)
    feed(buffer, frame(0, 0, key=True))
    feed(buffer, frame(3, 1)[:2])  # cut mid-frame
    clock.now += 10
    released, plis = feed(buffer, frame(5000, 200) + frame(5003, 201, key=True) + frame(5006, 202))
    assert released == [201, 202] and plis >= 1


def test_h264_keyframes_are_recognised_without_start_bits() -> None:
    clock = Clock()
    buffer = MarkerJitterBuffer(capacity=64, clock=clock, codec_name=lambda pt: "H264")
    idr, delta = b"\x00\x00\x00\x01\x65", b"\x00\x00\x00\x01\x41"
    assert feed(buffer, [packet(1, 3000, True, delta)])[0] == []
    assert feed(buffer, [packet(2, 6000, True, idr), packet(3, 9000, True, delta)])[0] == [2, 3]
    # A lost single-packet frame: the next timestamp starts a new picture; deltas wait for an IDR.
    clock.now += 1
    feed(buffer, [packet(5, 15000, True, delta)])
    clock.now += GAP_WAIT_S + 0.01
    released, plis = feed(buffer, [packet(6, 18000, True, delta), packet(7, 21000, True, idr)])
    assert released == [7] and plis >= 1


def test_random_loss_never_freezes_and_never_decodes_a_broken_reference() -> None:
    """5 % loss for 60 s at 30 fps, most losses repaired by a NACK, keyframes on request."""
    rng = random.Random(7)
    clock = Clock()
    buffer = MarkerJitterBuffer(capacity=512, clock=clock)
    seq, last_release, longest, decoded_upto = 0, clock.now, 0.0, -1
    keyframe_at: float | None = 0.0
    pending: list[tuple[float, RtpPacket]] = []  # retransmissions in flight
    for index in range(60 * 30):
        clock.now += 1 / 30
        key = keyframe_at is not None and clock.now >= keyframe_at
        if key:
            keyframe_at = None
        packets = frame(seq, index, size=12 if key else 4, key=key)
        seq += len(packets)
        arriving = [p for t, p in pending if t <= clock.now]
        pending = [(t, p) for t, p in pending if t > clock.now]
        for p in packets:
            if rng.random() < 0.05:
                if rng.random() < 0.9:
                    pending.append((clock.now + 0.03, p))  # a NACK's round trip
            else:
                arriving.append(p)
        for p in arriving:
            pli, out = buffer.add(p)
            if pli and keyframe_at is None:
                keyframe_at = clock.now + 0.1  # the sender encodes one
            while out is not None:
                picture = out.timestamp // 3000
                assert picture > decoded_upto
                # A delta decodes only on top of the picture just before it.
                assert out.data[0] & 1 == 0 or picture == decoded_upto + 1, (picture, decoded_upto)
                decoded_upto = picture
                longest = max(longest, clock.now - last_release)
                last_release = clock.now
                out = buffer.pop_ready()
    assert buffer.stats.frames > 60 * 30 * 0.75, buffer.stats
    assert longest < 1.0, longest  # two unrepaired losses in a row cost about 0.6 s


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

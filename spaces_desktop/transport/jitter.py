"""Jitter buffers that hand frames to the decoder as soon as they are complete, and never stall.

aiortc's video buffer releases a frame only when the first packet of the *next*
frame arrives (it ignores the RTP marker bit), and when its oldest packet is lost
for good every newer frame waits until its 512 slots wrap: seconds of frozen
picture per lost packet. Its audio buffer holds four packets (80 ms) although our
mixer has a jitter buffer of its own. These subclasses replace both rules:

- video (`MarkerJitterBuffer`): a frame leaves when it is complete, contiguous
  from its first packet up to the one with the marker bit (RFC 7741), all with one
  timestamp. A hole holds newer frames back only while a retransmission can still
  fill it (`GAP_WAIT_S`); then the broken frame is dropped, and so is every delta
  frame after it (they reference the lost picture), until a keyframe arrives. A
  complete keyframe newer than a hole releases at once. While a keyframe is
  needed the buffer asks for one (PLI), again if unanswered, then with a FIR.
- audio (`ImmediateJitterBuffer`): every packet in order, at once (each Opus
  packet is a whole frame). aiortc decodes at most one frame per arriving packet,
  so after a reordered packet the voice runs one packet late until the next gap;
  the mixer's playout buffer trims that standing delay.

Pure: no I/O; the clock is injectable. `receive_guard` hooks them into aiortc.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

from spaces_desktop.media.keyframes import h264_keyframe, vp8_keyframe

VIDEO_CAPACITY = 512
AUDIO_CAPACITY = 16
AUDIO_GAP_WAIT = 3  # packets (60 ms) a missing audio packet may hold up the ones behind it
GAP_WAIT_S = 0.3  # a hole may hold newer frames this long: NACK round trips, through the SFU to the sender
KEYFRAME_RETRY_S = 0.3  # a keyframe request unanswered this long is sent again
PLI_BEFORE_FIR = 2  # unanswered PLIs before the request becomes a FIR as well

Clock = Callable[[], float]
CodecName = Callable[[int], str]
"""The codec ("VP8", "H264", ...) of an RTP payload type."""


class AssembledFrame(JitterFrame):
    """A complete encoded picture, with what the receiver needs to decode it."""

    def __init__(self, data: bytes, timestamp: int, payload_type: int, keyframe: bool) -> None:
        super().__init__(data=data, timestamp=timestamp)
        self.payload_type = payload_type
        self.keyframe = keyframe


@dataclass
class VideoReceiveStats:
    frames: int = 0
    keyframes: int = 0
    dropped: int = 0
    """Frames given up: incomplete, or deltas after a loss that only a keyframe repairs."""
    keyframe_requests: int = 0
    firs: int = 0
    repaired: int = 0
    """Holes filled (by a retransmission or reordering) before their frame was given up."""
    late: int = 0
    """Packets that arrived after their frame left or was given up (duplicates included)."""


@dataclass
class _Slot:
    packet: RtpPacket
    start: bool | None
    """Whether the packet begins a picture; None when the codec does not say."""


def _vp8_start(packet: RtpPacket) -> bool | None:
    # VP8 payload descriptor (RFC 7741 §4.2): S bit set and partition index 0 begins a picture.
    payload = packet.payload
    if not payload:
        return None
    return bool(payload[0] & 0x10) and (payload[0] & 0x0F) == 0


class MarkerJitterBuffer(JitterBuffer):
    """Releases complete frames in order; gives up what cannot complete in time (see the module)."""

    def __init__(
        self,
        capacity: int = VIDEO_CAPACITY,
        is_video: bool = True,
        *,
        clock: Clock = time.monotonic,
        codec_name: CodecName = lambda payload_type: "VP8",
    ) -> None:
        super().__init__(capacity=capacity, is_video=True)
        self._clock = clock
        self._codec_name = codec_name
        self._slots: dict[int, _Slot] = {}  # by extended (never wrapping) sequence number
        self._highest: int | None = None
        self._head: int | None = None  # where the next frame to release starts
        self._head_is_start = True
        self._blocked_since: float | None = None
        self._needs_keyframe = True  # nothing decodes before the first keyframe
        self.last_keyframe_timestamp: int | None = None  # RTP timestamp of the newest keyframe
        self._requested_at: float | None = None
        self._requests = 0
        self._fir_wanted = False
        self._ready: deque[AssembledFrame] = deque()
        self.stats = VideoReceiveStats()

    # --- what aiortc calls ---

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        now = self._clock()
        seq = self._extend(packet.sequence_number)
        if self._head is None:
            self._head = seq
            # The SFU asks for a keyframe when a subscription starts; if what comes first is
            # not one, that keyframe went by (or was lost): ask at once.
            starts = self._starts(packet)
            opening = starts is None or (starts and vp8_keyframe(packet._data))  # type: ignore[attr-defined]
            self._requested_at = now if opening else None
        if seq >= self._head:
            if seq - self._head >= self._capacity:
                # Far ahead of what we hold (a long outage): nothing held is worth waiting for.
                self._skip_to(seq, broken=bool(self._slots))
            if self._blocked_since is not None and seq < max(self._slots, default=seq):
                self.stats.repaired += 1
            self._slots[seq] = _Slot(packet, self._starts(packet))
            self._release(now)
        else:  # a retransmission of something already released or given up
            self.stats.late += 1
        pli = self._keyframe_due(now)
        return pli, self._ready.popleft() if self._ready else None

    # --- what the receive guard asks ---

    def pop_ready(self) -> AssembledFrame | None:
        """Another frame completed by the last packet (one packet can complete several)."""
        return self._ready.popleft() if self._ready else None

    def take_fir(self) -> bool:
        wanted, self._fir_wanted = self._fir_wanted, False
        return wanted

    def request_keyframe(self) -> None:
        """From outside (the picture froze): drop deltas until a keyframe, and ask for one now."""
        self._needs_keyframe = True
        self._requested_at = None

    def given_up(self, sequence_number: int) -> bool:
        """True if this packet can no longer help: its frame left or was dropped."""
        if self._head is None or self._highest is None:
            return False
        return self._nearest(sequence_number) < self._head

    @property
    def needs_keyframe(self) -> bool:
        return self._needs_keyframe

    # --- sequence numbers ---

    def _nearest(self, sequence_number: int) -> int:
        assert self._highest is not None
        delta = uint16_add(sequence_number, -(self._highest & 0xFFFF))
        if delta >= 0x8000:
            delta -= 0x10000
        return self._highest + delta

    def _extend(self, sequence_number: int) -> int:
        if self._highest is None:
            self._highest = 0x10000 + sequence_number  # room below for reordered packets
            return self._highest
        seq = self._nearest(sequence_number)
        self._highest = max(self._highest, seq)
        return seq

    # --- frames ---

    def _starts(self, packet: RtpPacket) -> bool | None:
        if self._codec_name(packet.payload_type).upper() == "VP8":
            return _vp8_start(packet)
        return None

    def _is_keyframe(self, payload_type: int, data: bytes) -> bool:
        name = self._codec_name(payload_type).upper()
        if name == "VP8":
            return vp8_keyframe(data)
        if name == "H264":
            return h264_keyframe(data)
        return True  # unknown codec: let the decoder judge

    def _frame_end(self, first: int, known_start: bool) -> int | None:
        """The marker packet's number if a complete frame begins at `first`."""
        slot = self._slots.get(first)
        if slot is None or not (slot.start if slot.start is not None else known_start):
            return None
        timestamp = slot.packet.timestamp
        seq = first
        while (slot := self._slots.get(seq)) is not None and slot.packet.timestamp == timestamp:
            if slot.packet.marker:
                return seq
            seq += 1
        return None

    def _release(self, now: float) -> None:
        assert self._head is not None
        while self._slots:
            end = self._frame_end(self._head, self._head_is_start)
            if end is not None:
                self._emit(self._head, end)
                continue
            keyframe = self._newer_keyframe()
            if keyframe is not None:
                self._skip_to(keyframe, broken=True)
                self._head_is_start = True
                continue
            if self._blocked_since is None:
                self._blocked_since = now
            if now - self._blocked_since < GAP_WAIT_S:
                return
            following = self._next_start()
            if following is None:
                return  # only the broken frame is here: nothing newer is held up
            self._skip_to(following, broken=True)
            self._head_is_start = True
            self._blocked_since = now

    def _emit(self, first: int, end: int) -> None:
        packets = [self._slots.pop(seq).packet for seq in range(first, end + 1)]
        self._head = end + 1
        self._head_is_start = True
        self._blocked_since = None
        data = b"".join(p._data for p in packets)  # type: ignore[attr-defined]
        keyframe = self._is_keyframe(packets[0].payload_type, data)
        if self._needs_keyframe and not keyframe:
            self.stats.dropped += 1  # references a picture we never decoded
            return
        if keyframe:
            self._needs_keyframe = False
            self._requests = 0
            self.stats.keyframes += 1
            self.last_keyframe_timestamp = packets[0].timestamp
        self.stats.frames += 1
        self._ready.append(AssembledFrame(data, packets[0].timestamp, packets[0].payload_type, keyframe))

    def _skip_to(self, seq: int, *, broken: bool) -> None:
        """Forgets everything before `seq`; a broken frame means deltas are useless until a keyframe."""
        assert self._head is not None
        stale = [self._slots.pop(s) for s in sorted(self._slots) if s < seq]
        if broken:
            self.stats.dropped += 1
            lost_keyframe = any(
                slot.start and vp8_keyframe(slot.packet._data)  # type: ignore[attr-defined]
                for slot in stale
            )
            if not self._needs_keyframe or lost_keyframe:
                self._needs_keyframe = True
                self._requested_at = None  # a fresh loss, or the answer itself broke: ask at once
        self._head = seq
        self._head_is_start = False
        self._blocked_since = None

    def _newer_keyframe(self) -> int | None:
        """The first packet of a complete keyframe beyond the head, if one is here."""
        assert self._head is not None
        for seq in sorted(self._slots):
            slot = self._slots[seq]
            if seq <= self._head or slot.start is False:
                continue
            if slot.start and not vp8_keyframe(slot.packet._data):  # type: ignore[attr-defined]
                continue  # VP8 says so in the first packet: no need to assemble
            end = self._frame_end(seq, self._begins_after_predecessor(seq))
            if end is None:
                continue
            data = b"".join(self._slots[s].packet._data for s in range(seq, end + 1))  # type: ignore[attr-defined]
            if self._is_keyframe(slot.packet.payload_type, data):
                return seq
        return None

    def _next_start(self) -> int | None:
        """Where the picture after the broken head begins, if any of it is here."""
        assert self._head is not None
        later = sorted(s for s in self._slots if s > self._head)
        for seq in later:
            slot = self._slots[seq]
            if slot.start is not None:
                if slot.start:
                    return seq
                continue
            if self._begins_after_predecessor(seq):
                return seq
        return None

    def _begins_after_predecessor(self, seq: int) -> bool:
        # Without a start bit: the packet before ended a picture, or carries another timestamp.
        slot = self._slots[seq]
        if slot.start is not None:
            return slot.start
        before = self._slots.get(seq - 1)
        if before is not None:
            return bool(before.packet.marker) or before.packet.timestamp != slot.packet.timestamp
        earlier = [s for s in self._slots if s < seq]
        return not earlier or self._slots[max(earlier)].packet.timestamp != slot.packet.timestamp

    # --- keyframe requests ---

    def _keyframe_due(self, now: float) -> bool:
        if not self._needs_keyframe:
            return False
        if self._requested_at is not None and now - self._requested_at < KEYFRAME_RETRY_S:
            return False
        self._requested_at = now
        self._requests += 1
        self.stats.keyframe_requests += 1
        if self._requests > PLI_BEFORE_FIR:
            self._fir_wanted = True
            self.stats.firs += 1
        return True


class ImmediateJitterBuffer(JitterBuffer):
    """Releases every packet as its own frame, in sequence order."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        assert self._origin is not None
        packet = self._packets[self._origin % self._capacity]
        if packet is None:
            # A gap: wait for a late packet briefly, then give it up rather than stall the voice.
            if uint16_add(sequence_number, -self._origin) < AUDIO_GAP_WAIT:
                return None
            while self._packets[self._origin % self._capacity] is None:
                self.remove(1)
            packet = self._packets[self._origin % self._capacity]
            assert packet is not None
        self.remove(1)
        return JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]

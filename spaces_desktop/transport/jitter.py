"""Jitter buffers that hand frames to the decoder as soon as they are complete.

aiortc's buffer releases a video frame only when the first packet of the *next*
frame arrives (it ignores the RTP marker bit), so every picture waits one frame
interval (33 ms at 30 fps) before decoding; its audio buffer holds four packets
(80 ms) although our mixer has a jitter buffer of its own. These subclasses keep
aiortc's loss and reordering handling and only release earlier:

- video: the contiguous packets from the oldest one up to a packet with the
  marker bit (the last packet of a picture, RFC 7741), all with one timestamp;
- audio: every packet in order, at once (each Opus packet is a whole frame).
  aiortc decodes at most one frame per arriving packet, so after a reordered
  packet the voice runs one packet late until the next gap; the mixer's
  playout buffer trims that standing delay.

`install(receiver)` swaps the buffer of an RTCRtpReceiver before media flows.
"""

from __future__ import annotations

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.utils import uint16_add

VIDEO_CAPACITY = 512
AUDIO_CAPACITY = 16
AUDIO_GAP_WAIT = 3  # packets (60 ms) a missing audio packet may hold up the ones behind it
_BUFFER_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"


class MarkerJitterBuffer(JitterBuffer):
    """Releases a frame when it is complete: contiguous from the oldest packet up to its marker."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        assert self._origin is not None
        first = self._packets[self._origin % self._capacity]
        if first is not None:
            parts: list[bytes] = []
            for count in range(self._capacity):
                packet = self._packets[(self._origin + count) % self._capacity]
                if packet is None or packet.timestamp != first.timestamp:
                    break
                parts.append(packet._data)  # type: ignore[attr-defined]
                if packet.marker:
                    self.remove(count + 1)
                    return JitterFrame(data=b"".join(parts), timestamp=first.timestamp)
        # Marker lost or not yet here: fall back to aiortc's rule (the next frame has started).
        return super()._remove_frame(sequence_number)


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


def install(receiver: RTCRtpReceiver, kind: str) -> bool:
    """Gives `receiver` the low-latency buffer for its kind; False if aiortc changed underneath."""
    if not hasattr(receiver, _BUFFER_ATTRIBUTE):
        return False
    buffer: JitterBuffer
    if kind == "video":
        buffer = MarkerJitterBuffer(capacity=VIDEO_CAPACITY, is_video=True)
    else:
        buffer = ImmediateJitterBuffer(capacity=AUDIO_CAPACITY)
    setattr(receiver, _BUFFER_ATTRIBUTE, buffer)
    return True

"""Whether encoded video data starts a picture a decoder can begin with (a keyframe)."""

from __future__ import annotations


def vp8_keyframe(data: bytes) -> bool:
    """A VP8 frame's first byte: bit 0 is the inverse keyframe flag (RFC 6386 §9.1)."""
    return bool(data) and not data[0] & 0x01


def h264_keyframe(data: bytes) -> bool:
    """Annex-B H.264 (as depayloaded) holding an IDR slice (NAL type 5) or a sequence parameter set (7)."""
    index = data.find(b"\x00\x00\x01")
    while index != -1 and index + 3 < len(data):
        if data[index + 3] & 0x1F in (5, 7):
            return True
        index = data.find(b"\x00\x00\x01", index + 3)
    return False


__all__ = ["h264_keyframe", "vp8_keyframe"]

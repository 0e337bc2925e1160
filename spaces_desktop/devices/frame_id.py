"""A frame number drawn into the picture so it survives encoding, for glass-to-glass latency.

Layout, top-left corner, in blocks of ``b = frame_id_block(width)`` pixels
(16 from 576 to 2559 wide, 8 below): a black quiet zone of 36 x 3 blocks with one row
of 34 black/white blocks in the middle: a ``1 0`` sync pair, 24 bits of the
frame number (MSB first, so it wraps after 2^24 frames: 6 days at 30 fps) and
a CRC-8 of those bits. Blocks sit on a multiple of ``b`` so they line up with
the codec's macroblock grid, and the reader samples only each block's centre,
so VP8 ringing at the edges does not matter. The CRC turns a misread into
``None`` rather than a wrong number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FRAME_ID_BITS = 24
_SYNC = (1, 0)
_CRC_BITS = 8
_BLOCKS = len(_SYNC) + FRAME_ID_BITS + _CRC_BITS
_ZONE_BLOCKS_X = _BLOCKS + 2
_ZONE_BLOCKS_Y = 3
_WHITE = 235  # video-range white/black: what a YUV encoder carries anyway
_BLACK = 16
_THRESHOLD = 128
FRAME_ID_MODULUS = 1 << FRAME_ID_BITS
_EIGHT_BIT_LUMA_FIRST = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)


def frame_id_block(width: int) -> int:
    """Block size in pixels for a picture ``width`` wide.

    A whole 16x16 macroblock per bit wherever the strip fits (from 576 wide):
    with 8-pixel blocks VP8's realtime mode sometimes leaves a changed quarter
    of a macroblock stale, which the CRC then rejects.
    """
    if width < _ZONE_BLOCKS_X * 16:
        return 8
    return 16 * max(1, width // 1280)


def frame_id_region(width: int) -> tuple[int, int]:
    """(width, height) in pixels of the corner the frame id occupies."""
    block = frame_id_block(width)
    return _ZONE_BLOCKS_X * block, _ZONE_BLOCKS_Y * block


def _crc8(value: int) -> int:
    crc = 0
    for byte in value.to_bytes(3, "big"):
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _bits(frame_id: int) -> list[int]:
    value = frame_id % FRAME_ID_MODULUS
    payload = [(value >> (FRAME_ID_BITS - 1 - i)) & 1 for i in range(FRAME_ID_BITS)]
    crc = _crc8(value)
    check = [(crc >> (_CRC_BITS - 1 - i)) & 1 for i in range(_CRC_BITS)]
    return [*_SYNC, *payload, *check]


def embed_frame_id(image: np.ndarray, frame_id: int) -> None:
    """Draw ``frame_id`` (mod 2^24) into the top-left corner of a BGR (or grey) image, in place."""
    height, width = image.shape[:2]
    block = frame_id_block(width)
    zone_w, zone_h = frame_id_region(width)
    if zone_w > width or zone_h > height:
        raise ValueError(f"a {width}x{height} picture is too small for a frame id")
    image[:zone_h, :zone_w] = _BLACK
    top = block
    for i, bit in enumerate(_bits(frame_id)):
        if bit:
            left = (1 + i) * block
            image[top : top + block, left : left + block] = _WHITE


def read_frame_id(picture: Any) -> int | None:
    """The frame id drawn by :func:`embed_frame_id`, or None when there is none (or it is damaged).

    Accepts an ``av.VideoFrame`` (any format; YUV formats are read from the luma
    plane without conversion), a BGR/BGRA ``ndarray`` (H, W, 3|4), or a 2-D
    ``ndarray`` holding grey, a Y plane or a whole I420 picture (its top rows
    are luma).
    """
    found = _luma_corner(picture)
    if found is None:
        return None
    luma, width = found
    block = frame_id_block(width)
    zone_w, zone_h = frame_id_region(width)
    if luma.shape[0] < zone_h or luma.shape[1] < zone_w:
        return None
    row = luma[block : 2 * block].astype(np.float32)
    lo, hi = block // 4, block - block // 4
    bits = []
    for i in range(_BLOCKS):
        left = (1 + i) * block
        level = float(row[lo:hi, left + lo : left + hi].mean())
        bits.append(1 if level >= _THRESHOLD else 0)
    if tuple(bits[: len(_SYNC)]) != _SYNC:
        return None
    value = 0
    for bit in bits[len(_SYNC) : len(_SYNC) + FRAME_ID_BITS]:
        value = (value << 1) | bit
    crc = 0
    for bit in bits[len(_SYNC) + FRAME_ID_BITS :]:
        crc = (crc << 1) | bit
    return value if crc == _crc8(value) else None


def _luma_corner(picture: Any) -> tuple[np.ndarray, int] | None:
    """(2-D uint8 array holding the frame id zone at its top-left, picture width), converting little."""
    if isinstance(picture, np.ndarray):
        if picture.ndim == 2:
            return picture, int(picture.shape[1])
        if picture.ndim == 3 and picture.shape[2] in (3, 4):
            width = int(picture.shape[1])
            zone_w, zone_h = frame_id_region(width)
            corner = picture[:zone_h, :zone_w, :3].astype(np.uint16)
            # Black and white are all we look for, so an unweighted mean is enough.
            return (corner.sum(axis=2) // 3).astype(np.uint8), width
        return None
    planes = getattr(picture, "planes", None)
    fmt = getattr(getattr(picture, "format", None), "name", "")
    if planes is None:
        return None
    if fmt in _EIGHT_BIT_LUMA_FIRST:
        plane = planes[0]
        width, height = int(picture.width), int(picture.height)
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
        return rows[:height, :width], width
    array: np.ndarray = picture.to_ndarray(format="gray")
    return array, int(array.shape[1])

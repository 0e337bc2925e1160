"""A frame number drawn into the picture so it survives encoding, for glass-to-glass latency.

34 black/white blocks carry a ``1 0`` sync pair, 24 bits of the frame number
(MSB first, so it wraps after 2^24 frames: 6 days at 30 fps) and a CRC-8 of
those bits, inside a black quiet zone one block wide, in the top-left corner.
A block is a whole 16x16 VP8 macroblock (32 from 2560 wide): with 8-pixel
blocks VP8's realtime mode sometimes leaves a changed quarter of a macroblock
stale. The blocks sit on the macroblock grid in one row from 576 pixels wide
(a 576x48 corner at 720p and 360p), wrapped over several rows below that (two
rows, a 320x64 corner, at 320x180). The reader samples each block's centre
only, so ringing at the edges does not matter, and the CRC turns a misread
into ``None`` rather than a wrong number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FRAME_ID_BITS = 24
_SYNC = (1, 0)
_CRC_BITS = 8
_BLOCKS = len(_SYNC) + FRAME_ID_BITS + _CRC_BITS
_WHITE = 235  # video-range white/black: what a YUV encoder carries anyway
_BLACK = 16
_THRESHOLD = 128
FRAME_ID_MODULUS = 1 << FRAME_ID_BITS
_EIGHT_BIT_LUMA_FIRST = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)


def frame_id_block(width: int) -> int:
    """Block size in pixels for a picture ``width`` wide."""
    return 16 * max(1, width // 2560 * 2)


def _layout(width: int) -> tuple[int, int, int]:
    """(block, blocks per row, rows) for a picture ``width`` wide."""
    block = frame_id_block(width)
    per_row = max(1, min(_BLOCKS, width // block - 2))
    rows = -(-_BLOCKS // per_row)
    return block, per_row, rows


def frame_id_region(width: int) -> tuple[int, int]:
    """(width, height) in pixels of the corner the frame id occupies."""
    block, per_row, rows = _layout(width)
    return (per_row + 2) * block, (rows + 2) * block


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
    block, per_row, _rows = _layout(width)
    zone_w, zone_h = frame_id_region(width)
    if zone_w > width or zone_h > height:
        raise ValueError(f"a {width}x{height} picture is too small for a frame id")
    image[:zone_h, :zone_w] = _BLACK
    for i, bit in enumerate(_bits(frame_id)):
        if bit:
            top, left = (1 + i // per_row) * block, (1 + i % per_row) * block
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
    corner, width = found
    block, per_row, rows = _layout(width)
    zone_w, zone_h = frame_id_region(width)
    if corner.shape[0] < zone_h or corner.shape[1] < zone_w:
        return None
    # Centre half of every block, averaged: one level per block, grid (rows, per_row).
    lo, hi = block // 4, block - block // 4
    grid = corner[block : (rows + 1) * block, block : (per_row + 1) * block]
    grid = grid.reshape(rows, block, per_row, block, *grid.shape[2:])[:, lo:hi, :, lo:hi]
    levels = grid.reshape(rows, hi - lo, per_row, hi - lo, -1).mean(axis=(1, 3, 4)).reshape(-1)
    bits = [1 if level >= _THRESHOLD else 0 for level in levels[:_BLOCKS]]
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
    """(array holding the frame id zone at its top-left, picture width), converting little.

    The array is 2-D luma, or 3-D BGR whose channels the reader averages.
    """
    if isinstance(picture, np.ndarray):
        if picture.ndim == 2:
            return picture, int(picture.shape[1])
        if picture.ndim == 3 and picture.shape[2] in (3, 4):
            # Colour channels are averaged with the block: black and white are all we look
            # for, so an unweighted mean is as good as luma.
            return picture[:, :, :3], int(picture.shape[1])
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

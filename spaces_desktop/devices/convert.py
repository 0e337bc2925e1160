"""Picture conversions that need OpenCV (kept here so cv2 stays inside the devices package)."""

from __future__ import annotations

import cv2
import numpy as np


def bgr_to_yuv420p(image: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """BGR picture → I420 planes stacked as one (height * 3 / 2, width) array (BT.601, video range).

    ``size`` (width, height) scales first. Odd sizes lose their last row/column
    (4:2:0 needs even ones). About 0.5 ms at 720p here, four times faster than
    letting FFmpeg's swscale do the same inside the encoder.
    """
    if size is not None and (image.shape[1], image.shape[0]) != size:
        shrinking = size[0] < image.shape[1]
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    height, width = image.shape[0] & ~1, image.shape[1] & ~1
    if (height, width) != image.shape[:2]:
        image = image[:height, :width]
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    planes: np.ndarray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2YUV_I420)
    return planes

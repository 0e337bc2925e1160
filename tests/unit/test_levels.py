"""Per-frame level and flatness helpers."""

from __future__ import annotations

import numpy as np
import pytest

from spaces_desktop.media.levels import LEVEL_FLOOR_DBOV, level_dbov, spectral_flatness

RATE = 48000
FRAME = 960  # 20 ms


def _sine(freq: float, amplitude: float, n: int = FRAME, rate: int = RATE) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(n) / rate)


def _voiced(f0: float = 150.0, amplitude: float = 0.3, rate: int = RATE, n: int = FRAME) -> np.ndarray:
    """A harmonic tone with falling overtones, like a sustained vowel."""
    t = np.arange(n) / rate
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 20))
    return amplitude * x / np.max(np.abs(x))


def test_silence_is_the_floor() -> None:
    assert level_dbov(np.zeros(FRAME, dtype=np.int16)) == LEVEL_FLOOR_DBOV
    assert level_dbov(np.zeros(0, dtype=np.int16)) == LEVEL_FLOOR_DBOV


def test_full_scale_square_is_zero_and_sine_minus_three() -> None:
    square = np.where(np.arange(FRAME) % 96 < 48, 1.0, -1.0)
    assert level_dbov(square) == pytest.approx(0.0, abs=1e-6)
    assert level_dbov(_sine(1000, 1.0)) == pytest.approx(-3.01, abs=0.01)


def test_int16_and_float_agree() -> None:
    x = _sine(440, 0.1)
    pcm = np.round(x * 32767).astype(np.int16)
    assert level_dbov(pcm) == pytest.approx(level_dbov(x), abs=0.01)
    assert level_dbov(pcm) == pytest.approx(-23.01, abs=0.05)


def test_level_tracks_gain() -> None:
    x = _voiced()
    assert level_dbov(x * 0.5) - level_dbov(x) == pytest.approx(-6.02, abs=0.01)


def test_lowest_nonzero_int16_is_above_the_floor() -> None:
    one_lsb = np.zeros(FRAME, dtype=np.int16)
    one_lsb[0] = 1
    assert LEVEL_FLOOR_DBOV < level_dbov(one_lsb) < -100


def test_voiced_sound_is_not_flat() -> None:
    assert spectral_flatness(_voiced()) < 0.05
    assert spectral_flatness(_sine(300, 0.5)) < 0.05


def test_noise_and_clicks_are_flat() -> None:
    rng = np.random.default_rng(3)
    noise = (rng.standard_normal(FRAME) * 0.3 * 32767).astype(np.int16)
    assert spectral_flatness(noise) > 0.45
    click = np.zeros(FRAME, dtype=np.int16)
    click[FRAME // 2] = 20000
    assert spectral_flatness(click) > 0.9


def test_flatness_other_rates_and_tiny_frames() -> None:
    assert spectral_flatness(_voiced(rate=16000, n=320), sample_rate=16000) < 0.1
    assert spectral_flatness(np.zeros(4)) == 1.0

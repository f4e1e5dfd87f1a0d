"""The reference's fast float32 -> float16 rounding (``_sampling._float32_to_float16``)
must be numpy's cast, bit for bit: float16 fills are defined by a single
round-to-nearest-even of the float32 sample (SPEC §2, laws for other dtypes).

The whole float32 space (2^32 patterns) was checked once each time it was rewritten
(0 mismatches); here: every special class and a fixed random sample of patterns.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference.common import _sampling


def _round(src: np.ndarray) -> np.ndarray:
    out = np.empty(src.size, np.float16)
    scratch = np.empty((2, src.size), np.uint32)
    _sampling._float32_to_float16(src, out, scratch[0], scratch[1])
    return out


def _numpy_cast(src: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return src.astype(np.float16)


EDGES = np.array(
    [
        0.0, -0.0, 1.0, -1.0, 65504.0, 65519.996, 65520.0, -65520.0, 1e9, np.inf, -np.inf,
        2.0**-14, 2.0**-14 * (1 - 2.0**-11), 2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001,
        3 * 2.0**-26, 1e-30, -1e-30, 1.5 * 2.0**-24, 2.5 * 2.0**-24,
        1 + 2.0**-11, 1 + 3 * 2.0**-11, 1 + 2.0**-11 + 2.0**-20,  # ties to even, and just above
    ],
    dtype=np.float32,
)


def test_special_values_and_ties_round_as_numpy_does():
    assert _round(EDGES).view(np.uint16).tolist() == _numpy_cast(EDGES).view(np.uint16).tolist()


def test_random_bit_patterns_round_as_numpy_does():
    # Finite patterns only: a block holding a NaN takes numpy's own cast (next test).
    bits = np.random.default_rng(20261129).integers(0, 2**32, 1 << 20, dtype=np.uint64).astype(np.uint32)
    src = bits.view(np.float32)
    src = src[np.isfinite(src)]
    mismatched = np.flatnonzero(_round(src).view(np.uint16) != _numpy_cast(src).view(np.uint16))
    assert mismatched.size == 0, f"first mismatch: {src[mismatched[0]]!r}"


def test_a_nan_keeps_numpy_payload():
    src = np.array([1.0, np.nan, -2.0], np.float32)
    src.view(np.uint32)[1] |= 0x1234  # a NaN with a payload
    assert _round(src).view(np.uint16).tolist() == _numpy_cast(src).view(np.uint16).tolist()


@pytest.mark.parametrize("kernel", [_sampling.normal_kernel(0.0, 0.01), _sampling.uniform_kernel(-0.07, 0.07)])
def test_float16_fill_is_the_float32_fill_rounded_once(kernel):
    n = _sampling.CHUNK + 1001  # two chunks, a partial block
    half = np.empty(n, np.float16)
    single = np.empty(n, np.float32)
    _sampling.fill(half, kernel, np.random.SeedSequence(7))
    _sampling.fill(single, kernel, np.random.SeedSequence(7))
    assert np.array_equal(half.view(np.uint16), _numpy_cast(single).view(np.uint16))

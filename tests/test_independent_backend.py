"""The independent backends' own pieces that the battery does not reach.

The battery (tests/test_meta_correct.py) judges the two backends as a whole. These
tests cover what its parameter settings never exercise: the exact bfloat16 rounding,
the rejection-sampling proposals for truncation intervals in a tail, and purity.

Calibration: each KS assertion uses the DKWM threshold at alpha = 1e-6 on 20,000
values (CDF off by >= 0.022 detected); 8 of them, so the file's false-failure rate is
< 1e-5, and the seeds are fixed.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest
from scipy import stats

from independent_backend import NumpyBackend, PhiloxBackend, round_to_bfloat16
from initcheck.spec import Spec
from initcheck.statistics import ks_test

ALPHA = 1e-6


def nearest_bfloat16_by_search(x: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even by comparing with both bfloat16 neighbours of x."""
    down = x.astype(np.float32).astype(ml_dtypes.bfloat16).astype(np.float64)
    # the two bfloat16 values around x: `down` and its neighbour on x's side
    step = np.where(x >= down, np.inf, -np.inf)
    other = np.nextafter(down.astype(ml_dtypes.bfloat16), step.astype(ml_dtypes.bfloat16))
    other = other.astype(np.float64)
    d_down, d_other = np.abs(x - down), np.abs(x - other)
    even_down = (down.astype(ml_dtypes.bfloat16).view(np.uint16) & 1) == 0
    pick_down = (d_down < d_other) | ((d_down == d_other) & even_down)
    return np.where(pick_down, down, other)


def test_bfloat16_rounding_is_exact_round_to_nearest_even():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(200_000) * 10.0 ** rng.integers(-30, 30, 200_000)
    # values just above and below bfloat16 midpoints, where a cast via float32 rounds twice
    mid = 1.0 + 2.0**-8
    x = np.concatenate([x, [mid + 2.0**-40, mid - 2.0**-40, mid, -mid - 2.0**-40,
                            1.0 + 3 * 2.0**-8, 0.0, -0.0]])
    got = round_to_bfloat16(x).astype(np.float64)
    assert np.array_equal(got, nearest_bfloat16_by_search(x))
    # and the double-rounding case really differs from ml_dtypes' own cast
    assert round_to_bfloat16(np.array([mid + 2.0**-40])).astype(np.float64)[0] == 1.0 + 2.0**-7
    assert np.array([mid + 2.0**-40]).astype(ml_dtypes.bfloat16).astype(np.float64)[0] == 1.0


def test_bfloat16_rounding_of_specials():
    x = np.array([np.inf, -np.inf, np.nan, 1e39, -1e39, 1e-50])
    got = round_to_bfloat16(x).astype(np.float64)
    assert got[0] == np.inf and got[1] == -np.inf and np.isnan(got[2])
    assert got[3] == np.inf and got[4] == -np.inf and got[5] == 0.0


@pytest.mark.parametrize("backend_cls", [NumpyBackend, PhiloxBackend])
@pytest.mark.parametrize(
    "a, b",
    [
        (3.0, 30.0),     # one tail, long interval: Robert's exponential proposal
        (-30.0, -5.0),   # the same, mirrored
        (5.0, 6.5),      # short interval far in a tail: uniform proposal
        (-0.2, 0.1),     # short interval holding little mass around 0: uniform proposal
    ],
)
def test_truncated_normal_in_the_tails(backend_cls, a, b):
    spec = Spec.make("TruncatedNormal", sigma=1.0, mean=0.0, a=a, b=b)
    values = backend_cls().fill(spec, (200, 100), "float64", 11)
    assert a <= values.min() and values.max() <= b
    result = ks_test(values.ravel(), stats.truncnorm(a, b).cdf, ALPHA)
    assert result.passed, result.message


@pytest.mark.parametrize("backend_cls", [NumpyBackend, PhiloxBackend])
def test_fill_is_pure(backend_cls):
    backend = backend_cls()
    spec = Spec.make("Normal", sigma=1.0)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = backend.fill(spec, (64, 32), "float32", 5)
    assert np.array_equal(np.random.get_state()[1], before), "global numpy state was used"
    np.random.seed(999)  # global state must not matter either
    again = backend.fill(spec, (64, 32), "float32", 5)
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != backend.fill(spec, (64, 32), "float32", 6).tobytes()


@pytest.mark.parametrize("backend_cls", [NumpyBackend, PhiloxBackend])
def test_layer_defaults_and_overrides(backend_cls):
    backend = backend_cls()
    conv = backend.layer("Conv2d", {"in_channels": 4, "out_channels": 8, "kernel_size": 3,
                                    "group": 2, "has_bias": True}, 0)
    assert conv["weight"].shape == (8, 2, 3, 3) and conv["bias"].shape == (8,)
    assert np.abs(conv["weight"]).max() <= 1 / math.sqrt(2 * 9)
    dense = backend.layer("Dense", {"in_channels": 100, "out_channels": 8,
                                    "bias_init": "zeros"}, 0)
    assert np.abs(dense["weight"]).max() <= 0.1 and not dense["bias"].any()
    with pytest.raises(ValueError):
        backend.layer("Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3,
                                 "group": 2}, 0)

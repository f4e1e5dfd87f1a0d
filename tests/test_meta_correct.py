"""Meta-test: correct backends pass every check of the quick battery, over 20 run seeds.

Three correct backends: the project's ``reference``, and the two written here from
SPEC §2 alone (`independent_backend`: PCG64 with rejection sampling and QR; Philox with
inverse CDFs and the polar factor). Each runs the whole quick battery (every
initializer, every check kind) at 20 run seeds; zero failures and zero errors allowed.

Cost and coverage: each run fills one dtype, rotating through all four, so every
dtype is covered by 5 seeds per backend (a full four-dtype battery costs ~1.4x a
one-dtype one, and 60 of them would take minutes on 2 cores).

Calibration: the runs use a per-check alpha of 1e-7, so that the family-wise chance
that a correct backend fails anywhere in these 60 runs (the union bound: alpha times
the number of statistical checks, computed in `test_familywise_false_failure_rate`)
stays below 1e-2; at the battery's default 1e-6 it would be about 1.6e-2. The runs are
deterministic (fixed seeds), so the tests never flake: that rate is the chance these
seeds could have been unlucky for a correct backend.
"""

from __future__ import annotations

import functools

import pytest

from independent_backend import NumpyBackend, PhiloxBackend
from initcheck import load_backend
from initcheck.battery import plan
from initcheck.results import CHECK_KINDS
from initcheck.runner import STATISTICAL_CHECKS, run_battery

ALPHA = 1e-7
BUDGET = "quick"
SEEDS = tuple(range(20))
DTYPE_ROTATION = ("float32", "float16", "bfloat16", "float64")
FAMILYWISE_LIMIT = 1e-2

BACKENDS = {
    "reference": lambda: load_backend("reference"),
    "numpy-independent": NumpyBackend,
    "numpy-philox": PhiloxBackend,
}


@functools.cache
def backend(name):
    return BACKENDS[name]()


def dtype_for(seed: int) -> str:
    return DTYPE_ROTATION[seed % len(DTYPE_ROTATION)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", BACKENDS)
def test_correct_backend_passes_every_check(name, seed):
    report = run_battery(backend(name), budget=BUDGET, seed=seed, dtypes=[dtype_for(seed)],
                         alpha=ALPHA)
    bad = [r for r in report.results if r.outcome in ("failed", "error")]
    assert not bad, "\n".join(
        f"{r.outcome}: {r.id}: {r.message}\n    repro: {r.repro}" for r in bad[:20]
    )
    skipped = [r.id for r in report.results if r.outcome == "skipped"]
    assert not skipped, f"a correct backend implements everything; skipped: {skipped[:10]}"
    # precision asks whether float32/float64 were computed at a lower precision; it
    # has nothing to ask of a 16-bit fill.
    expected = set(CHECK_KINDS) - ({"precision"} if dtype_for(seed).endswith("16") else set())
    exercised = {r.check for r in report.results}
    assert exercised == expected, f"kinds never run: {expected - exercised}"


def test_every_dtype_is_covered_by_five_seeds_per_backend():
    for dtype in DTYPE_ROTATION:
        assert sum(dtype_for(s) == dtype for s in SEEDS) >= 5
    assert set(DTYPE_ROTATION) == set(NumpyBackend.dtypes)


def test_familywise_false_failure_rate():
    # Union bound over every statistical check of every run above.
    total = 0.0
    for name in BACKENDS:
        for seed in SEEDS:
            cases = plan(backend(name), budget=BUDGET, seed=seed, dtypes=[dtype_for(seed)],
                         alpha=ALPHA)
            total += sum(c.alpha for c in cases if c.check in STATISTICAL_CHECKS)
    assert 0 < total < FAMILYWISE_LIMIT, total

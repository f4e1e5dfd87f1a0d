"""The runner never crashes on a misbehaving backend, and fills once per fill key."""

from collections import Counter

import numpy as np
import pytest
from independent_backend import NumpyBackend

from initcheck.battery import plan
from initcheck.runner import STATISTICAL_CHECKS, FillCache, run_battery, run_case

GOOD = NumpyBackend()


class Wrapped:
    name, version = "wrapped", "1"
    dtypes = ("float32", "float16")

    def __init__(self, fill):
        self._fill = fill
        self.calls = Counter()

    def fill(self, spec, shape, dtype, seed):
        self.calls[(spec, tuple(shape), dtype, seed)] += 1
        return self._fill(spec, shape, dtype, seed)


def test_backend_exception_is_error_and_run_goes_on():
    def fill(spec, shape, dtype, seed):
        if spec.name == "Normal":
            raise RuntimeError("CUDA out of memory")
        return GOOD.fill(spec, shape, dtype, seed)

    report = run_battery(Wrapped(fill), only="Normal,Uniform")
    normal = [r for r in report.results if r.initializer == "Normal" and r.check != "rejects"]
    assert normal and {r.outcome for r in normal} == {"error"}
    assert "RuntimeError: CUDA out of memory" in normal[0].message
    uniform = [r for r in report.results if r.initializer == "Uniform"]
    assert {r.outcome for r in uniform} == {"passed"}
    assert not report.ok and report.summary["errors"] == len(normal)


def test_not_implemented_is_skipped_with_reason():
    def fill(spec, shape, dtype, seed):
        if spec.name == "Orthogonal":
            raise NotImplementedError("mylib has no orthogonal initializer")
        return GOOD.fill(spec, shape, dtype, seed)

    report = run_battery(Wrapped(fill), only="Orthogonal")
    assert {r.outcome for r in report.results} == {"skipped"}
    assert "mylib has no orthogonal initializer" in report.results[0].message
    assert report.ok


@pytest.mark.parametrize(
    "bug, failing",
    [
        (lambda a: a.astype(np.float64), {"dtype"}),
        (lambda a: a.reshape(-1), {"shape", "finite", "support", "ks", "mean", "variance", "tails",
                                   "seed", "independence", "precision"}),
        (lambda a: np.full(a.shape, "x"), {"dtype", "finite", "support", "ks", "mean", "variance",
                                           "tails", "seed", "independence", "precision"}),
        (lambda a: None, set()),
    ],
)
def test_wrong_output_is_a_failed_check_not_a_crash(bug, failing):
    backend = Wrapped(lambda spec, shape, dtype, seed: bug(GOOD.fill(spec, shape, dtype, seed)))
    cases = [c for c in plan(backend, only="Uniform", dtypes=["float32"]) if c.check != "rejects"]
    results = [run_case(backend, c) for c in cases]
    assert all(r.outcome in ("passed", "failed") for r in results), [r.message for r in results
                                                                     if r.outcome == "error"][:2]
    assert {r.check for r in results if r.outcome == "failed"} >= failing


def test_fill_once_per_fill_key():
    backend = Wrapped(GOOD.fill)
    cases = plan(backend, only="HeNormal", dtypes=["float32"])
    run_battery(backend, cases=cases)
    own = {c.fill_key for c in cases if c.check not in ("rejects",)}
    for key in own:
        # the fill itself, plus one refill with the same seed for `determinism`
        expected = 2 if any(c.fill_key == key and c.check == "determinism" for c in cases) else 1
        assert backend.calls[key] == expected, key


def test_fill_cache_is_bounded():
    cache = FillCache(maxsize=2)
    for i in range(5):
        cache[i] = i
    assert list(cache) == [3, 4]
    assert cache.get(3) == 3 and list(cache) == [4, 3]


def test_progress_settings_and_familywise_rate():
    seen = []
    report = run_battery(GOOD, only="Uniform", dtypes=["float32"],
                         progress=lambda done, total, r: seen.append((done, total, r.id)))
    assert [d for d, _, _ in seen] == list(range(1, len(report.results) + 1))
    assert all(t == len(report.results) for _, t, _ in seen)
    s = report.settings
    assert (s["budget"], s["seed"], s["alpha"]) == ("quick", 0, 1e-6)
    m = sum(r.check in STATISTICAL_CHECKS for r in report.results)
    assert s["familywise_rate"] == pytest.approx(1 - (1 - 1e-6) ** m, rel=1e-6)
    for r in report.results:
        assert r.seed is not None and r.repro and r.message
        if r.check in ("ks", "mean", "variance", "tails"):
            assert r.n == np.prod(r.shape) and r.statistic is not None and r.threshold and r.detectable


def test_keyboard_interrupt_propagates():
    def fill(spec, shape, dtype, seed):
        raise KeyboardInterrupt

    case = plan(GOOD, only="Normal", checks=["ks"])[0]
    with pytest.raises(KeyboardInterrupt):
        run_case(Wrapped(fill), case)


def test_reproducible_results():
    a = run_battery(GOOD, only="Sparse", dtypes=["float32"], seed=3)
    b = run_battery(GOOD, only="Sparse", dtypes=["float32"], seed=3)
    assert [r.to_json() for r in a.results] == [r.to_json() for r in b.results]

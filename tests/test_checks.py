"""Each check kind passes a correct fill and fails a crafted bad one.

Statistical checks run at the default alpha=1e-6 per check, at the quick budget
(1e5 samples); each crafted bug is far beyond the stated detectable effect (e.g.
std off by 5% where the variance check detects >= 1.6%), so the failures are
deterministic for the fixed seeds used here, and the passes fail with
probability <= 1e-6 each.
"""

import math

import numpy as np
import pytest
from independent_backend import NumpyBackend

from initcheck import laws
from initcheck.battery import plan
from initcheck.checks import CHECKS
from initcheck.results import CHECK_KINDS
from initcheck.runner import FillCache, run_case
from initcheck.spec import Spec

GOOD = NumpyBackend()


class Crafted:
    """NumpyBackend with one bug: `bug(array, spec, shape, dtype, seed)` changes a fill."""

    name = "crafted"
    version = "0"
    dtypes = ("float16", "bfloat16", "float32", "float64")

    def __init__(self, bug=None, **methods):
        self.bug = bug
        for key, fn in methods.items():
            setattr(self, key, fn)

    def fill(self, spec, shape, dtype, seed):
        out = GOOD.fill(spec, shape, dtype, seed)
        return self.bug(out, spec, shape, dtype, seed) if self.bug else out


def outcomes(backend, only, check, dtypes=("float32",), budget="quick"):
    cases = plan(backend, only=only, checks=[check], dtypes=list(dtypes), budget=budget)
    assert cases, (only, check)
    cache = FillCache()
    return [run_case(backend, c, cache=cache) for c in cases]


def assert_all(results, outcome):
    bad = [r for r in results if r.outcome != outcome]
    assert not bad, "\n".join(f"{r.outcome}: {r.message}" for r in bad[:3])


def assert_any_failed(results):
    assert any(r.outcome == "failed" for r in results), [r.message for r in results][:3]


def test_one_function_per_check_kind():
    assert set(CHECKS) == set(CHECK_KINDS)


@pytest.mark.parametrize(
    "only, check, bug",
    [
        ("Normal", "shape", lambda a, *_: a.T),
        ("Normal", "dtype", lambda a, *_: a.astype(np.float64)),
        ("Normal", "dtype", lambda a, *_: a.tolist()),
        ("HeNormal", "finite", lambda a, *_: np.where(np.arange(a.size).reshape(a.shape) == 7, np.nan, a).astype(a.dtype)),
        ("Uniform", "support", lambda a, *_: a * np.float32(1.01)),
        ("TruncatedNormal", "support", lambda a, *_: a + a.dtype.type(0.5)),
        ("One", "exact", lambda a, *_: a * a.dtype.type(0.99)),
    ],
)
def test_structural_checks(only, check, bug):
    assert_all(outcomes(GOOD, only, check), "passed")
    assert_any_failed(outcomes(Crafted(bug), only, check))


def _dirac_off_by_one(a, spec, shape, dtype, seed):
    if spec.name != "Dirac" or any(k % 2 for k in shape[2:]):
        return a
    return np.roll(a, -1, axis=-1)  # centre k//2 - 1 instead of k//2 on even kernels


def test_exact_catches_dirac_centre_off_by_one_on_even_kernels():
    assert_all(outcomes(GOOD, "Dirac", "exact"), "passed")
    assert_any_failed(outcomes(Crafted(_dirac_off_by_one), "Dirac", "exact"))


def _scaled(factor, name):
    def bug(a, spec, *_):
        return (a.astype(np.float64) * factor).astype(a.dtype) if spec.name == name else a
    return bug


def _shifted(sigmas):
    def bug(a, spec, shape, dtype, seed):
        law = laws.law_for(spec, shape, dtype)
        return (a.astype(np.float64) + sigmas * law.std).astype(a.dtype)
    return bug


def _vs_uniform_instead_of_truncated(a, spec, shape, dtype, seed):
    law = laws.law_for(spec, shape, dtype)
    bound = math.sqrt(3) * law.std  # same variance, wrong shape
    rng = np.random.default_rng(seed)
    return rng.uniform(-bound, bound, size=shape).astype(a.dtype)


def _clamped_not_truncated(a, spec, shape, dtype, seed):
    p = spec.params
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(p["mean"], p["sigma"], size=shape), p["a"], p["b"]).astype(a.dtype)


@pytest.mark.parametrize(
    "only, check, bug",
    [
        ("XavierNormal", "variance", _scaled(1.05, "XavierNormal")),  # detects >= 1.6%
        ("Normal", "mean", _shifted(0.05)),  # detects >= 0.023 sigma
        ("VarianceScaling", "ks", _vs_uniform_instead_of_truncated),  # KS distance ~0.03
        ("TruncatedNormal", "tails", _clamped_not_truncated),  # atoms at the bounds
        ("HeUniform", "ks", _scaled(math.sqrt(2), "HeUniform")),  # fans swapped at ratio 2
    ],
)
def test_statistical_checks(only, check, bug):
    assert_all(outcomes(GOOD, only, check, dtypes=("float32", "float16")), "passed")
    assert_any_failed(outcomes(Crafted(bug), only, check))


def _wrong_flattening(a, spec, shape, dtype, seed):
    if spec.name != "Orthogonal" or len(shape) < 3:
        return a
    # orthonormal columns of the (prod(shape[:-1]), shape[-1]) flattening
    rows, cols = math.prod(shape[:-1]), shape[-1]
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(rows, cols)))
    return (q * np.sign(np.diag(r)) * spec.params["gain"]).reshape(shape).astype(a.dtype)


def test_orthogonal_catches_wrong_flattening():
    assert_all(outcomes(GOOD, "Orthogonal", "orthogonal", dtypes=("float32", "float16", "bfloat16")), "passed")
    assert_any_failed(outcomes(Crafted(_wrong_flattening), "Orthogonal", "orthogonal"))


def _no_sign_correction(a, spec, shape, dtype, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=shape))
    return (q * spec.params["gain"]).astype(a.dtype)


def test_haar_catches_missing_sign_correction():
    good = outcomes(GOOD, "Orthogonal", "haar")
    assert len(good) == 2
    assert_all(good, "passed")
    assert_all(outcomes(Crafted(_no_sign_correction), "Orthogonal", "haar"), "failed")


def _sparse_floor(a, spec, shape, dtype, seed):
    rows, cols = shape
    zeros = math.floor(spec.params["sparsity"] * rows)
    rng = np.random.default_rng(seed)
    out = rng.normal(0, spec.params["sigma"], size=shape)
    for j in range(cols):
        out[rng.permutation(rows)[:zeros], j] = 0
    return out.astype(a.dtype)


def _same_zero_rows(a, spec, shape, dtype, seed):
    zero_rows = a[:, 0] == 0
    out = np.random.default_rng(seed).normal(0, spec.params["sigma"], size=shape)
    out[zero_rows, :] = 0
    return out.astype(a.dtype)


def _zeros_in_top_rows(a, spec, shape, dtype, seed):
    rows, cols = shape
    zeros = math.ceil(spec.params["sparsity"] * rows)
    rng = np.random.default_rng(seed)
    out = rng.normal(0, spec.params["sigma"], size=shape)
    for j in range(cols):  # zero rows drawn from the first 3/4 only
        out[rng.permutation(3 * rows // 4)[:zeros], j] = 0
    return out.astype(a.dtype)


@pytest.mark.parametrize("bug", [_sparse_floor, _same_zero_rows, _zeros_in_top_rows])
def test_sparsity(bug):
    assert_all(outcomes(GOOD, "Sparse", "sparsity", dtypes=("float32", "float16")), "passed")
    assert_any_failed(outcomes(Crafted(bug), "Sparse", "sparsity"))


_global = np.random.default_rng(1)


def test_determinism_catches_global_state():
    assert_all(outcomes(GOOD, "HeNormal", "determinism"), "passed")
    bug = Crafted(lambda a, spec, shape, dtype, seed: GOOD.fill(spec, shape, dtype, int(_global.integers(2**31))))
    assert_all(outcomes(bug, "HeNormal", "determinism"), "failed")


def test_seed_catches_ignored_and_shifted_seeds():
    assert_all(outcomes(GOOD, "Uniform", "seed"), "passed")
    ignored = Crafted(lambda a, spec, shape, dtype, seed: GOOD.fill(spec, shape, dtype, 0))
    assert_all(outcomes(ignored, "Uniform", "seed"), "failed")

    def correlated(a, spec, shape, dtype, seed):  # half of every fill shared by all seeds
        common = GOOD.fill(spec, shape, dtype, 0).reshape(-1)
        out = a.reshape(-1).copy()
        out[: out.size // 2] = common[: out.size // 2]
        return out.reshape(shape)

    assert_all(outcomes(Crafted(correlated), "Uniform", "seed"), "failed")

    def stream_offset(a, spec, shape, dtype, seed):  # seed picks an offset into one stream
        stream = np.random.default_rng(0).uniform(-1, 1, size=a.size + 1024)
        return stream[seed % 1024: seed % 1024 + a.size].reshape(shape).astype(a.dtype)

    results = outcomes(Crafted(stream_offset), "Uniform", "seed")
    assert_all(results, "failed")
    assert "shifted copies" in results[0].message


def _repeated_block(a, *_):
    flat = a.reshape(-1)
    block = flat[: 1000]
    return np.resize(block, flat.size).reshape(a.shape)


def test_independence_catches_a_repeated_block():
    assert_all(outcomes(GOOD, "XavierUniform", "independence"), "passed")
    assert_all(outcomes(Crafted(_repeated_block), "XavierUniform", "independence"), "failed")


def _computed_in(lower):
    def bug(a, *_):
        return a.astype(lower).astype(a.dtype)
    return bug


def test_precision():
    assert_all(outcomes(GOOD, "Normal", "precision", dtypes=("float32", "float64")), "passed")
    assert_all(outcomes(Crafted(_computed_in(np.float16)), "Normal", "precision"), "failed")
    assert_all(outcomes(Crafted(_computed_in(np.float32)), "Normal", "precision", dtypes=("float64",)), "failed")


def test_fans_and_gain():
    assert_all(outcomes(GOOD, "fans", "fans"), "passed")
    assert_all(outcomes(GOOD, "gain", "gain"), "passed")
    swapped = Crafted(fans=lambda shape: laws.fan_in_and_fan_out(shape)[::-1])
    assert_all(outcomes(swapped, "fans", "fans"), "failed")
    lenient = Crafted(fans=lambda shape: (1, 1) if len(shape) < 2 else laws.fan_in_and_fan_out(shape))
    assert_all(outcomes(lenient, "fans", "fans"), "failed")
    tanh = Crafted(gain=lambda nl, p=None: 1.0 if nl == "tanh" else laws.gain(nl, p))
    assert_all(outcomes(tanh, "gain", "gain"), "failed")
    selu = Crafted(gain=lambda nl, p=None: 0.75 if nl == "selu" else laws.gain(nl, p))
    assert_all(outcomes(selu, "gain", "gain"), "failed")


def test_rejects():
    assert_all(outcomes(GOOD, "*", "rejects"), "passed")

    def silent(spec, shape, dtype, seed):
        return np.zeros(shape, dtype=dtype)

    silent_backend = Crafted()
    silent_backend.fill = silent
    results = outcomes(silent_backend, "*", "rejects")
    assert len(results) == len(laws.invalid_cases())
    assert_all(results, "failed")

    def not_implemented(spec, shape, dtype, seed):
        raise NotImplementedError(f"no {spec.name}")

    none_backend = Crafted()
    none_backend.fill = not_implemented
    results = outcomes(none_backend, "*", "rejects")
    # "no equivalent" is a rejection only for names outside the catalog
    assert {r.outcome for r in results if r.initializer in ("xavier_unifrom", "kaiming")} == {"passed"}
    assert {r.outcome for r in results if r.initializer == "Sparse"} == {"skipped"}


def test_layer_default():
    assert_all(outcomes(GOOD, "Dense", "layer-default") + outcomes(GOOD, "Conv2d", "layer-default"), "passed")

    def wrong_bound(kind, config, seed):  # HeUniform(sqrt(5)) bound computed from fan_out
        params = GOOD.layer(kind, config, seed)
        params["weight"] = params["weight"] * 2.0
        return params

    results = outcomes(Crafted(layer=wrong_bound), "Dense", "layer-default")
    assert [r.outcome for r in results] == ["failed", "passed"]  # weight, bias


def test_sparse_low_precision_underflow_is_not_a_missing_zero():
    # a N(0, sigma^2) value can round to 0 in float16: the sparsity check allows
    # it (binomially bounded), but not a missing structural zero
    spec = Spec.make("Sparse", sparsity=0.1, sigma=1e-5)
    case = [c for c in plan(GOOD, only="Sparse", checks=["sparsity"], dtypes=["float16"])][0]
    case = type(case)(**{**case.__dict__, "spec": spec})
    result = run_case(GOOD, case)
    assert result.outcome == "passed", result.message


def test_failure_message_says_observed_and_expected():
    result = outcomes(Crafted(_scaled(1.2, "XavierNormal")), "XavierNormal", "variance")[0]
    assert result.outcome == "failed"
    assert "std=" in result.message and "but should be" in result.message
    assert "[crafted XavierNormal(gain=1)" in result.message and "seed=" in result.message
    assert result.repro == ("initcheck run --backend crafted --budget quick --seed 0 --dtypes float32 "
                            f"--case '{result.id}'")
    assert result.n == math.prod(result.shape) and result.detectable.startswith("std off by")

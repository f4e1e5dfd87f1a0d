"""The jax.nn.initializers adapter against the real library (jax 0.10 CPU)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from adapter_contract import (
    RANDOM_SPECS,
    VALID_SPECS,
    assert_fills_or_not_provided,
    assert_no_error_outcomes,
    assert_seeds_honoured,
    failed_ids,
    library_imported_by_adapter_module,
    one_case_per_spec_and_check,
)
from initcheck import BackendLoadError, Spec, load_backend

jax = pytest.importorskip("jax")


@pytest.fixture(scope="module")
def backend():
    return load_backend("jax")


class _OneDtype:
    """`backend` restricted to one of its dtypes."""

    def __init__(self, backend, dtype):
        self.fill, self.dtypes = backend.fill, (dtype,)


def _provided(spec, dtype) -> bool:
    if spec.name in ("Uniform", "Identity", "Dirac", "Sparse"):
        return False
    if spec.name in ("Normal", "TruncatedNormal") and spec.params["mean"] != 0:
        return False
    # JAX's QR (used by orthogonal) has no half-precision kernel.
    return not (spec.name == "Orthogonal" and dtype in ("float16", "bfloat16"))


def test_identity(backend):
    assert backend.name == "jax"
    assert backend.version == jax.__version__
    assert backend.dtypes == ("float16", "bfloat16", "float32", "float64")
    assert not hasattr(backend, "layer")  # jax.nn has no layers


# One test per dtype rather than per spec: XLA compiles per dtype, so under
# pytest-xdist each worker then compiles only the dtypes it runs.
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_every_spec_fills_or_is_not_provided(backend, dtype):
    only_this = _OneDtype(backend, dtype)
    for spec in VALID_SPECS:
        assert_fills_or_not_provided(only_this, spec, lambda d: _provided(spec, d))


def test_seeds_honoured(backend):
    for spec in RANDOM_SPECS:
        if _provided(spec, "float32"):
            assert_seeds_honoured(backend, spec)


def test_seeds_above_32_bits_stay_distinct(backend):
    # jax.random.key keeps only the low 32 bits with x64 off; the adapter hashes
    # large seeds so that 5 and 2**32 + 5 do not collide.
    spec = Spec.make("Normal")
    assert not np.array_equal(
        backend.fill(spec, (16,), "float32", 5), backend.fill(spec, (16,), "float32", 2**32 + 5)
    )


def test_truncated_normal_bounds_are_translated_to_multiples_of_sigma(backend):
    spec = Spec.make("TruncatedNormal", sigma=2.0, a=-0.5, b=0.25)
    values = backend.fill(spec, (4000,), "float64", 3)
    # Absolute bounds [-0.5, 0.25]. Had they been passed as multiples of sigma the
    # support would be [-1, 0.5]: P(no value above 0.25) = (1 - 0.25/1.5)^4000 ~ 0.
    assert values.min() >= -0.5 and values.max() <= 0.25
    expected = jax.nn.initializers.truncated_normal(2.0, lower=-0.25, upper=0.125)
    with jax.enable_x64(True):
        np.testing.assert_array_equal(
            values, np.asarray(expected(jax.random.key(3), (4000,), jax.numpy.float64))
        )


@pytest.mark.parametrize("mode, fan", [("fan_in", 8 * 9), ("fan_out", 64 * 9)])
def test_layout_is_out_in_kernel(backend, mode, fan):
    # HeUniform on (out=64, in=8, 3, 3): bound sqrt(6 / fan). The other mode's
    # bound is 2.8x larger or smaller, so a channels-last reading of the shape
    # would put max|w| far from this bound. P(max|w| < 0.99 B) = 0.99^4608 < 1e-20.
    values = backend.fill(Spec.make("HeUniform", mode=mode), (64, 8, 3, 3), "float64", 1)
    bound = (6 / fan) ** 0.5
    assert 0.99 * bound < np.abs(values).max() <= bound


def test_orthogonal_rows_of_out_by_rest(backend):
    values = backend.fill(Spec.make("Orthogonal", gain=2.0), (4, 3, 2, 2), "float64", 0)
    flat = values.reshape(4, -1)
    np.testing.assert_allclose(flat @ flat.T, 4 * np.eye(4), atol=1e-12)


def test_xavier_and_he_normal_are_untruncated(backend):
    # glorot_normal/he_normal in JAX are truncated at 2 sigma; the adapter must use
    # variance_scaling(..., 'normal'). Among 20000 N(0, s^2) draws, |x| > 2.5 s has
    # probability 1 - (1 - 0.0124)^20000 ~ 1 - 1e-108; a truncated law never does.
    fan_in, fan_out = 50, 400
    values = backend.fill(Spec.make("XavierNormal"), (fan_out, fan_in), "float64", 2)
    std = (2 / (fan_in + fan_out)) ** 0.5
    assert np.abs(values).max() > 2.5 * std
    values = backend.fill(Spec.make("HeNormal"), (fan_out, fan_in), "float64", 2)
    assert np.abs(values).max() > 2.5 * (2 / fan_in) ** 0.5


def test_float64_does_not_switch_x64_on_globally(backend):
    backend.fill(Spec.make("Normal"), (4,), "float64", 0)
    assert not jax.config.jax_enable_x64


def test_unknown_nonlinearity_is_not_provided_not_rejected(backend):
    with pytest.raises(NotImplementedError, match="softplus"):
        backend.fill(Spec.make("HeUniform", nonlinearity="softplus"), (8, 4), "float32", 0)


def test_jax_rejects_what_it_does_not_know(backend):
    with pytest.raises(ValueError, match="mode"):
        backend.fill(Spec.make("VarianceScaling", mode="fan_sum"), (8, 4), "float32", 0)
    with pytest.raises(ValueError, match="distribution"):
        backend.fill(Spec.make("VarianceScaling", distribution="laplace"), (8, 4), "float32", 0)


def test_import_is_lazy_and_a_missing_jax_is_a_load_error(monkeypatch):
    assert not library_imported_by_adapter_module("initcheck.backends.jax", "jax")
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(BackendLoadError, match="jax"):
        load_backend("jax")


def test_quick_battery_runs_without_errors(backend):
    from initcheck.runner import run_battery

    # XLA compiles one program per shape, dtype and law, so the whole quick battery
    # costs ~100 s of CPU on JAX; here every spec and every check kind runs once
    # (float32). All four dtypes are run by `initcheck compare` for
    # reports/conformance.md.
    cases = one_case_per_spec_and_check(backend)
    report = run_battery(backend, cases=cases)
    assert_no_error_outcomes(report)
    assert {r.spec for r in report.results} >= {str(s) for s in VALID_SPECS}
    skipped = {r.initializer for r in report.results if r.outcome == "skipped"}
    assert skipped >= {"Uniform", "Identity", "Dirac", "Sparse"}
    # JAX validates no parameter values: negative sigma is filled, not rejected.
    assert "Normal(sigma=-0.1)|rejects|16x8|float32" in failed_ids(report)

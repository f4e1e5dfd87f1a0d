"""The mindspore.common.initializer adapter against the real library (MindSpore 2.10 CPU)."""

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
)
from initcheck import BackendLoadError, Spec, load_backend

mindspore = pytest.importorskip("mindspore")


@pytest.fixture(scope="module")
def backend():
    return load_backend("mindspore")


def test_identity(backend):
    assert backend.name == "mindspore"
    assert backend.version == mindspore.__version__
    assert backend.dtypes == ("float16", "float32", "float64")


def test_bfloat16_really_cannot_be_read_back():
    # Why bfloat16 is not declared: under numpy 2, MindSpore 2.10 cannot make the
    # numpy bfloat16 array that init_data fills.
    from mindspore.common.initializer import Normal, initializer

    with pytest.raises(TypeError, match="bfloat16"):
        initializer(Normal(), (4,), mindspore.bfloat16).init_data()


@pytest.mark.parametrize("spec", VALID_SPECS, ids=str)
def test_every_spec_fills(backend, spec):
    assert_fills_or_not_provided(backend, spec, lambda dtype: True)


@pytest.mark.parametrize("spec", RANDOM_SPECS, ids=str)
def test_seeds_honoured(backend, spec):
    assert_seeds_honoured(backend, spec)


def test_fill_is_mindspores_initializer_with_numpy_seeded(backend):
    from mindspore.common.initializer import TruncatedNormal, initializer

    mindspore.set_seed(4)
    np.random.seed(4)
    expected = initializer(TruncatedNormal(0.5, 0.5, -0.5, 2.0), (7, 5)).init_data().asnumpy()
    spec = Spec.make("TruncatedNormal", sigma=0.5, mean=0.5, a=-0.5, b=2.0)
    np.testing.assert_array_equal(backend.fill(spec, (7, 5), "float32", 4), expected)


def test_fill_restores_numpys_global_state(backend):
    np.random.seed(2024)
    expected = np.random.random_sample(3)
    np.random.seed(2024)
    backend.fill(Spec.make("Sparse", sparsity=0.5), (10, 4), "float32", 1)
    np.testing.assert_array_equal(np.random.random_sample(3), expected)


def test_unknown_alias_is_rejected_by_mindspore(backend):
    with pytest.raises(ValueError, match="xavier_unifrom"):
        backend.fill(Spec("xavier_unifrom", ()), (4, 4), "float32", 0)


def test_fans_and_gain_are_mindspores(backend):
    assert backend.fans((16, 4, 3, 3)) == (36, 144)
    with pytest.raises(ValueError):
        backend.fans((5,))
    assert backend.gain("leaky_relu", 0.2) == pytest.approx((2 / 1.04) ** 0.5)
    with pytest.raises(ValueError):
        backend.gain("softplus")


def test_layers_are_mindspores_defaults(backend):
    dense = backend.layer("Dense", {"in_channels": 64, "out_channels": 16}, 0)
    assert {k: v.shape for k, v in dense.items()} == {"weight": (16, 64), "bias": (16,)}
    # HeUniform(sqrt(5)) bound: sqrt(3) * sqrt(2 / 6) / sqrt(fan_in) = 1 / sqrt(64)
    assert np.abs(dense["weight"]).max() <= 1 / 8
    conv = backend.layer(
        "Conv2d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "group": 2}, 0
    )
    assert {k: v.shape for k, v in conv.items()} == {"weight": (6, 2, 3, 3)}
    again = backend.layer("Dense", {"in_channels": 64, "out_channels": 16}, 0)
    np.testing.assert_array_equal(dense["weight"], again["weight"])
    other = backend.layer("Dense", {"in_channels": 64, "out_channels": 16}, 1)
    assert not np.array_equal(dense["weight"], other["weight"])


def test_import_is_lazy_and_a_missing_mindspore_is_a_load_error(monkeypatch):
    assert not library_imported_by_adapter_module("initcheck.backends.mindspore", "mindspore")
    monkeypatch.setitem(sys.modules, "mindspore", None)
    with pytest.raises(BackendLoadError, match="mindspore"):
        load_backend("mindspore")


@pytest.fixture(scope="module")
def float32_battery(backend):
    from initcheck.runner import run_battery

    # The whole quick battery on float32 (~640 checks, every spec and check kind);
    # all three dtypes are run by `initcheck compare` for reports/conformance.md.
    return run_battery(backend, budget="quick", seed=0, dtypes=["float32"])


def test_quick_battery_runs_without_errors(float32_battery):
    assert_no_error_outcomes(float32_battery)
    assert not [r for r in float32_battery.results if r.outcome == "skipped"]


def test_quick_battery_reports_the_variance_scaling_typo(float32_battery):
    # MindSpore 2.10 compares distribution against 'truncated_norm', so
    # distribution='truncated_normal' falls through to its uniform branch: same
    # variance, wrong law -- KS and tail checks fail, the variance check does not.
    failed = failed_ids(float32_battery)
    assert "VarianceScaling|ks|160x640|float32" in failed
    assert "VarianceScaling|tails|160x640|float32" in failed
    assert "VarianceScaling|variance|160x640|float32" not in failed
    untruncated = [
        r for r in float32_battery.results
        if r.initializer == "VarianceScaling"
        and r.params["distribution"] != "truncated_normal"
        and r.outcome != "passed"
    ]
    assert not untruncated

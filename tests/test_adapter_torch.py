"""The torch.nn.init adapter against the real library (torch 2.13 CPU)."""

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

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def backend():
    return load_backend("torch")


def _provided(spec, dtype) -> bool:
    if spec.name == "VarianceScaling":
        return False
    # torch's CPU QR (geqrf) has no half-precision kernel.
    return not (spec.name == "Orthogonal" and dtype in ("float16", "bfloat16"))


def test_identity(backend):
    assert backend.name == "torch"
    assert backend.version == torch.__version__
    assert backend.dtypes == ("float16", "bfloat16", "float32", "float64")


@pytest.mark.parametrize("spec", VALID_SPECS, ids=str)
def test_every_spec_fills_or_is_not_provided(backend, spec):
    assert_fills_or_not_provided(backend, spec, lambda dtype: _provided(spec, dtype))


# torch's sparse_ draws its zero rows from the global RNG (tested below).
@pytest.mark.parametrize(
    "spec", [s for s in RANDOM_SPECS if _provided(s, "float32") and s.name != "Sparse"], ids=str
)
def test_seeds_honoured(backend, spec):
    assert_seeds_honoured(backend, spec)


def test_sparse_zero_rows_ignore_the_generator(backend):
    # A torch 2.13 bug the adapter deliberately leaves visible: sparse_ passes
    # `generator` to normal_ but not to randperm, so the zero rows follow torch's
    # global RNG. Pinning the global RNG makes two fills identical again.
    spec = Spec.make("Sparse", sparsity=0.5)
    torch.manual_seed(0)
    first = backend.fill(spec, (40, 30), "float32", 5)
    second = backend.fill(spec, (40, 30), "float32", 5)
    # 30 columns of 20 zero rows out of 40: equal by chance with probability ~1e-330.
    assert not np.array_equal(first == 0, second == 0)
    torch.manual_seed(0)
    first = backend.fill(spec, (40, 30), "float32", 5)
    torch.manual_seed(0)
    assert np.array_equal(first, backend.fill(spec, (40, 30), "float32", 5))


def test_fill_is_torch_nn_init_with_a_seeded_generator(backend):
    spec = Spec.make("TruncatedNormal", sigma=0.5, mean=0.5, a=-0.5, b=2.0)
    expected = torch.empty(7, 5, dtype=torch.float64)
    torch.nn.init.trunc_normal_(
        expected, 0.5, 0.5, -0.5, 2.0, generator=torch.Generator().manual_seed(9)
    )
    values = backend.fill(spec, (7, 5), "float64", 9)
    np.testing.assert_array_equal(values, expected.numpy())
    # bounds are absolute in torch, as in the catalog
    assert values.min() >= -0.5 and values.max() <= 2.0


def test_bfloat16_is_exact_through_float32(backend):
    spec = Spec.make("Normal", sigma=1.0)
    values = backend.fill(spec, (64,), "bfloat16", 3)
    expected = torch.empty(64, dtype=torch.bfloat16)
    torch.nn.init.normal_(expected, 0.0, 1.0, generator=torch.Generator().manual_seed(3))
    np.testing.assert_array_equal(values.astype(np.float32), expected.float().numpy())


def test_fill_leaves_the_global_rng_alone(backend):
    torch.manual_seed(123)
    state = torch.get_rng_state()
    backend.fill(Spec.make("HeNormal"), (8, 4), "float32", 1)
    assert torch.equal(torch.get_rng_state(), state)


def test_fans_and_gain_are_torchs(backend):
    assert backend.fans((16, 4, 3, 3)) == (36, 144)
    assert backend.fans((5, 7)) == (7, 5)
    with pytest.raises(ValueError):
        backend.fans((5,))
    assert backend.gain("leaky_relu", 0.2) == pytest.approx((2 / 1.04) ** 0.5)
    assert backend.gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError):
        backend.gain("softplus")


def test_layers_translate_mindspore_config(backend):
    dense = backend.layer("Dense", {"in_channels": 64, "out_channels": 16}, 0)
    assert {k: v.shape for k, v in dense.items()} == {"weight": (16, 64), "bias": (16,)}
    # HeUniform(sqrt(5)) bound: sqrt(3) * sqrt(2 / 6) / sqrt(fan_in) = 1 / sqrt(64)
    assert np.abs(dense["weight"]).max() <= 1 / 8
    conv = backend.layer(
        "Conv2d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "group": 2}, 0
    )
    assert {k: v.shape for k, v in conv.items()} == {"weight": (6, 2, 3, 3)}  # has_bias=False
    with_bias = backend.layer(
        "Conv2d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "has_bias": True}, 0
    )
    assert set(with_bias) == {"weight", "bias"}
    again = backend.layer("Dense", {"in_channels": 64, "out_channels": 16}, 0)
    np.testing.assert_array_equal(dense["weight"], again["weight"])
    other = backend.layer("Dense", {"in_channels": 64, "out_channels": 16}, 1)
    assert not np.array_equal(dense["weight"], other["weight"])
    with pytest.raises(NotImplementedError, match="weight_init"):
        backend.layer("Dense", {"in_channels": 4, "out_channels": 4, "weight_init": "zeros"}, 0)


def test_import_is_lazy_and_a_missing_torch_is_a_load_error(monkeypatch):
    assert not library_imported_by_adapter_module("initcheck.backends.torch", "torch")
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(BackendLoadError, match="torch"):
        load_backend("torch")


@pytest.fixture(scope="module")
def float32_battery(backend):
    from initcheck.runner import run_battery

    # The whole quick battery on float32 (~640 checks, every spec and check kind);
    # all four dtypes are run by `initcheck compare` for reports/conformance.md.
    return run_battery(backend, budget="quick", seed=0, dtypes=["float32"])


# torch's own warning for the rejects case TruncatedNormal(a=1, b=1), which it fills
@pytest.mark.filterwarnings("ignore:mean is more than 2 std from")
def test_quick_battery_runs_without_errors(float32_battery):
    assert_no_error_outcomes(float32_battery)
    skipped = {r.initializer for r in float32_battery.results if r.outcome == "skipped"}
    assert skipped == {"VarianceScaling"}  # the only spec torch has no equivalent for


def test_quick_battery_sees_the_sparse_generator_bug(float32_battery):
    assert "Sparse(sparsity=0.1)|determinism|333x300|float32" in failed_ids(float32_battery)

"""initcheck.strategies: public Hypothesis strategies (SPEC §7)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initcheck import strategies as ist
from initcheck.spec import CATALOG, Spec

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fans(shape):
    # SPEC §2, written out again here so the test does not trust the code under test
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def test_all_is_sorted_and_public():
    assert ist.__all__ == sorted(ist.__all__)
    for name in ist.__all__:
        obj = getattr(ist, name)
        assert obj.__doc__ and ">>>" in obj.__doc__ or name == "InvalidSpec", name


@FAST
@given(st.data(), st.integers(0, 5), st.integers(0, 3))
def test_weight_shapes_respect_rank_and_sides(data, lo, extra):
    shape = data.draw(ist.weight_shapes(lo, lo + extra, min_side=2, max_side=5))
    assert lo <= len(shape) <= lo + extra
    assert all(2 <= s <= 5 for s in shape)


@FAST
@given(st.data(), st.sampled_from([2, 3, 0.5, 1.5, 1, 0.25]))
def test_weight_shapes_have_the_exact_fan_ratio(data, ratio):
    shape = data.draw(ist.weight_shapes(2, 5, fan_ratio=ratio, max_side=12))
    fan_in, fan_out = fans(shape)
    assert fan_out == ratio * fan_in, shape


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"min_rank": 5, "max_rank": 3}, ValueError, "min_rank must be <= max_rank, got 5 > 3"),
        ({"min_rank": -1}, ValueError, "min_rank must be >= 0, got -1"),
        ({"max_rank": 2.5}, TypeError, "max_rank must be an int, got 2.5"),
        ({"min_side": 0}, ValueError, "min_side must be >= 1, got 0"),
        ({"min_side": 9, "max_side": 3}, ValueError, "min_side must be <= max_side, got 9 > 3"),
        ({"min_rank": 1, "fan_ratio": 2}, ValueError, "fan_ratio needs shapes of rank >= 2"),
        ({"fan_ratio": 0}, ValueError, "fan_ratio must be a finite number > 0, got 0"),
        ({"fan_ratio": "2"}, TypeError, "fan_ratio must be a positive number or None"),
        ({"fan_ratio": 20}, ValueError, "more than max_side=8"),
        ({"fan_ratio": math.pi}, ValueError, "is not p/q with q <= max_side=8"),
        ({"fan_ratio": 3, "min_side": 5, "max_side": 8}, ValueError, "no channel counts"),
    ],
)
def test_weight_shapes_validate_arguments_by_name(kwargs, error, match):
    with pytest.raises(error, match=match.replace("(", r"\(").replace(")", r"\)")):
        ist.weight_shapes(**kwargs)


@FAST
@given(st.data())
def test_dtypes_draw_only_what_was_asked(data):
    assert data.draw(ist.dtypes()) in ("float16", "bfloat16", "float32", "float64")
    assert data.draw(ist.dtypes(["bfloat16", "float64"])) in ("bfloat16", "float64")


@pytest.mark.parametrize(
    "names, error, match",
    [("float32", TypeError, "got the str 'float32'"), (["float8"], ValueError, "unknown dtypes"),
     ([], ValueError, "at least one dtype")],
)
def test_dtypes_validate_names(names, error, match):
    with pytest.raises(error, match=match):
        ist.dtypes(names)


def assert_valid(spec: Spec) -> None:
    """The parameter rules of SPEC §2, restated independently."""
    p = spec.params
    if "sigma" in p:
        assert p["sigma"] >= 0
    if spec.name == "TruncatedNormal":
        assert p["a"] < p["b"]
    if spec.name in ("HeUniform", "HeNormal"):
        assert p["mode"] in ("fan_in", "fan_out")
        assert not isinstance(p["negative_slope"], bool)
    if spec.name == "VarianceScaling":
        assert p["scale"] > 0 and p["mode"] in ("fan_in", "fan_out", "fan_avg")
        assert p["distribution"] in ("truncated_normal", "untruncated_normal", "uniform")
    if spec.name == "Sparse":
        assert 0 <= p["sparsity"] < 1
    if spec.name == "Dirac":
        assert isinstance(p["groups"], int) and p["groups"] >= 1
    for value in p.values():
        assert not (isinstance(value, float) and not math.isfinite(value))


@FAST
@given(ist.specs())
def test_specs_have_valid_parameters(spec):
    assert spec.name in CATALOG
    assert_valid(spec)
    assert Spec.parse(str(spec)) == spec


@FAST
@given(ist.specs(["he_normal", "Sparse"]))
def test_specs_accept_aliases_and_stay_within_names(spec):
    assert spec.name in ("HeNormal", "Sparse")


def test_specs_cover_the_whole_catalog():
    seen = set()

    @settings(max_examples=300, deadline=None)
    @given(ist.specs())
    def collect(spec):
        seen.add(spec.name)

    collect()
    assert seen == set(CATALOG)


@pytest.mark.parametrize(
    "names, error, match",
    [("Normal", TypeError, "got the str 'Normal'"), (["Gaussian"], ValueError,
     "names: unknown initializer 'Gaussian'"), ([], ValueError, "at least one initializer")],
)
def test_specs_validate_names(names, error, match):
    with pytest.raises(error, match=match):
        ist.specs(names)


def violates_spec(spec: Spec, shape: tuple[int, ...]) -> bool:
    """SPEC §2's error list, restated independently of initcheck.strategies."""
    p, rank = spec.params, len(shape)
    if spec.name in ("XavierUniform", "XavierNormal", "HeUniform", "HeNormal",
                     "VarianceScaling", "Orthogonal") and rank < 2:
        return True
    if spec.name in ("Identity", "Sparse") and rank != 2:
        return True
    if spec.name == "Dirac" and (rank not in (3, 4, 5) or shape[0] % p["groups"]):
        return True
    if spec.name in ("HeUniform", "HeNormal"):
        if p["mode"] not in ("fan_in", "fan_out"):
            return True
        if p["nonlinearity"] not in (
            "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
            "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu"):
            return True
    if spec.name == "VarianceScaling" and (
        p["mode"] not in ("fan_in", "fan_out", "fan_avg")
        or p["distribution"] not in ("uniform", "truncated_normal", "untruncated_normal")
        or p["scale"] <= 0
    ):
        return True
    if "sigma" in p and p["sigma"] < 0:
        return True
    if spec.name == "TruncatedNormal" and p["a"] >= p["b"]:
        return True
    if spec.name == "Sparse" and not 0 <= p["sparsity"] < 1:
        return True
    return False


@settings(max_examples=200, deadline=None)
@given(ist.invalid_specs())
def test_invalid_specs_break_a_rule_of_the_spec(case):
    assert isinstance(case, ist.InvalidSpec)
    assert violates_spec(case.spec, case.shape), case
    assert case.reason


def test_invalid_specs_cover_every_kind_of_error():
    reasons = set()

    @settings(max_examples=400, deadline=None)
    @given(ist.invalid_specs())
    def collect(case):
        reasons.add(case.reason.split(" needs ")[-1] if "needs" in case.reason else case.reason)

    collect()
    expected = {
        "rank >= 2", "Identity is 2-D only", "Sparse is 2-D only", "Dirac is 3-, 4- or 5-D only",
        "shape[0] divisible by groups", "unknown mode", "unknown nonlinearity",
        "unknown distribution", "scale > 0", "sigma >= 0", "a < b", "sparsity in [0, 1)",
    }
    assert expected <= reasons, expected - reasons


@settings(max_examples=100, deadline=None)
@given(ist.invalid_specs())
def test_the_reference_rejects_every_invalid_spec(case):
    # the strategy and the reference were written separately from SPEC §2's error list
    from initcheck.backends.reference import ReferenceBackend

    with pytest.raises((ValueError, TypeError)):
        ReferenceBackend().fill(case.spec, case.shape, "float32", 0)


@settings(max_examples=100, deadline=None)
@given(ist.specs(), ist.weight_shapes(2, 2, max_side=6))
def test_the_reference_accepts_valid_specs_on_two_dimensional_shapes(spec, shape):
    from initcheck.backends.reference import ReferenceBackend

    if spec.name == "Dirac":  # Dirac is 3-5-D only: checked on a kernel shape
        shape = (spec.params["groups"] * shape[0], shape[1], 3)
    out = ReferenceBackend().fill(spec, shape, "float32", 0)
    assert out.shape == shape and out.dtype == "float32"

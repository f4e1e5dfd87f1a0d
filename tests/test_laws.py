"""initcheck.laws against hand-computed values from SPEC §2."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from initcheck.laws import (
    NONLINEARITIES,
    TRUNCATED_NORMAL_STD_FACTOR,
    fan_in_and_fan_out,
    gain,
    invalid_cases,
    law_for,
    round_to_dtype,
)
from initcheck.spec import CATALOG, Spec

S = Spec.make


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((3, 5), (5, 3)),
        ((64, 32, 3, 3), (288, 576)),
        ((6, 4, 5), (20, 30)),
        ((2, 3, 4, 5, 6), (360, 240)),
        ((1, 1), (1, 1)),
    ],
)
def test_fan_in_and_fan_out(shape, fans):
    assert fan_in_and_fan_out(shape) == fans


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_reject_rank_below_two(shape):
    with pytest.raises(ValueError, match="rank >= 2"):
        fan_in_and_fan_out(shape)


@pytest.mark.parametrize("shape, error", [((0, 3), ValueError), ((2.0, 3), TypeError), ((True, 3), TypeError)])
def test_fans_reject_bad_shape_elements(shape, error):
    with pytest.raises(error):
        fan_in_and_fan_out(shape)


@pytest.mark.parametrize(
    "nonlinearity, param, value",
    [
        ("linear", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / 1.0001)),
        ("leaky_relu", 0, math.sqrt(2)),
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
    ],
)
def test_gain_values(nonlinearity, param, value):
    assert gain(nonlinearity, param) == pytest.approx(value, rel=1e-15)


def test_every_listed_nonlinearity_has_a_gain():
    assert len(NONLINEARITIES) == 11
    assert all(gain(nl) > 0 for nl in NONLINEARITIES)


@pytest.mark.parametrize(
    "nonlinearity, param, error",
    [("selu", None, ValueError), ("softplus", None, ValueError), (None, None, ValueError),
     ("leaky_relu", True, TypeError), ("leaky_relu", "0.1", TypeError)],
)
def test_gain_rejects(nonlinearity, param, error):
    with pytest.raises(error):
        gain(nonlinearity, param)


# (spec, shape, expected std) computed by hand from SPEC §2
STDS = [
    (S("Normal", sigma=0.2, mean=1.0), (4, 4), 0.2),
    (S("Uniform", scale=3.0), (4, 4), 3.0 / math.sqrt(3)),
    (S("XavierUniform", gain=2.0), (256, 128), 2 * math.sqrt(6 / 384) / math.sqrt(3)),
    (S("XavierNormal", gain=2.0), (256, 128), 2 * math.sqrt(2 / 384)),
    (S("HeUniform"), (64, 32, 3, 3), math.sqrt(2) / math.sqrt(288)),
    (S("HeNormal", mode="fan_out", nonlinearity="relu"), (64, 32, 3, 3), math.sqrt(2 / 576)),
    (S("HeNormal", nonlinearity="tanh"), (10, 40), 5 / 3 / math.sqrt(40)),
    (S("HeUniform", negative_slope=math.sqrt(5)), (10, 40), 1 / math.sqrt(40) / math.sqrt(3)),
    (S("VarianceScaling"), (64, 32, 3, 3), math.sqrt(1 / 288)),
    (S("VarianceScaling", scale=2.0, mode="fan_out", distribution="uniform"), (10, 40), math.sqrt(2 / 10)),
    (S("VarianceScaling", scale=0.5, mode="fan_avg", distribution="untruncated_normal"), (10, 40),
     math.sqrt(0.5 / 25)),
    # n < 1 is clamped to 1
    (S("VarianceScaling", scale=0.5, distribution="untruncated_normal"), (1, 1), math.sqrt(0.5)),
]


@pytest.mark.parametrize("spec, shape, std", STDS, ids=[str(s[0]) for s in STDS])
def test_law_std(spec, shape, std):
    law = law_for(spec, shape, "float32")
    assert law.std == pytest.approx(std, rel=1e-12)
    assert math.sqrt(law.dist.var()) == pytest.approx(std, rel=1e-9)


def test_truncated_normal_constant_makes_std_after_truncation_one():
    # SPEC's constant is the std of N(0, 1) conditioned on [-2, 2]
    assert stats.truncnorm(-2, 2).std() == pytest.approx(TRUNCATED_NORMAL_STD_FACTOR, rel=1e-15)
    law = law_for(S("VarianceScaling", scale=3.0), (7, 11), "float64")
    sigma = math.sqrt(3 / 11) / TRUNCATED_NORMAL_STD_FACTOR
    assert law.support == pytest.approx((-2 * sigma, 2 * sigma), rel=1e-15)
    assert law.kurtosis == pytest.approx(stats.truncnorm(-2, 2).stats(moments="k") + 3)


def test_truncated_normal_bounds_are_absolute():
    law = law_for(S("TruncatedNormal", sigma=0.5, mean=0.5, a=-0.5, b=2.0), (4, 4), "float32")
    assert law.support == (-0.5, 2.0)
    assert law.cdf(np.array([-0.5, 2.0])) == pytest.approx([0.0, 1.0], abs=1e-15)


@pytest.mark.parametrize(
    "spec",
    [S("TruncatedNormal", sigma=1.0, a=-0.5, b=0.25), S("TruncatedNormal", sigma=0.1, mean=0.0, a=0.3, b=0.5),
     S("TruncatedNormal", sigma=0.1, a=-0.5, b=-0.3), S("VarianceScaling")],
)
def test_fast_truncated_cdf_matches_scipy(spec):
    law = law_for(spec, (8, 8), "float32")
    lo, hi = law.support
    x = np.linspace(lo - 0.1, hi + 0.1, 101)
    np.testing.assert_allclose(law.cdf(x), law.dist.cdf(x), rtol=1e-9, atol=1e-13)


def test_uniform_kurtosis_and_normal_kurtosis():
    assert law_for(S("Uniform"), (3, 3), "float32").kurtosis == 1.8
    assert law_for(S("Normal"), (3, 3), "float32").kurtosis == 3.0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_exact_laws(dtype):
    assert np.all(law_for(S("Zero"), (3, 4), dtype).exact.astype(float) == 0)
    one = law_for(S("One"), (3, 4), dtype).exact
    assert one.dtype.name == dtype and np.all(one.astype(float) == 1)
    const = law_for(S("Constant", value=0.1), (2, 2), dtype).exact
    assert np.all(const.astype(float) == round_to_dtype(0.1, dtype))
    eye = law_for(S("Identity"), (2, 3), dtype).exact.astype(float)
    np.testing.assert_array_equal(eye, [[1, 0, 0], [0, 1, 0]])


def test_dirac_centre_and_groups():
    w = law_for(S("Dirac", groups=2), (4, 3, 4, 3), "float32").exact
    expected = np.zeros((4, 3, 4, 3))
    # opg = 2: out g*2+d takes in d at the centre (4//2, 3//2) = (2, 1)
    for out, inp in ((0, 0), (1, 1), (2, 0), (3, 1)):
        expected[out, inp, 2, 1] = 1
    np.testing.assert_array_equal(w, expected)
    w = law_for(S("Dirac"), (2, 5, 3), "float32").exact  # d < min(opg=2, in=5)
    assert w.sum() == 2 and w[0, 0, 1] == 1 and w[1, 1, 1] == 1


def test_orthogonal_and_sparse_laws():
    law = law_for(S("Orthogonal", gain=2.0), (8, 4, 3, 3), "float32")
    assert (law.kind, law.rows, law.cols, law.gain) == ("orthogonal", 8, 36, 2.0)
    assert law.var == pytest.approx(4 / 36)
    law = law_for(S("Sparse", sparsity=0.1, sigma=0.5), (333, 7), "float32")
    assert (law.kind, law.zeros_per_column) == ("sparse", 34)  # ceil(33.3), not 33
    assert law.std == 0.5


def test_rounded_support_never_excludes_a_rounded_sample():
    law = law_for(S("Uniform", scale=0.07), (4, 4), "bfloat16")
    lo, hi = law.support_in_dtype()
    assert hi >= round_to_dtype(0.07 * (1 - 1e-12), "bfloat16")
    assert lo == -hi


def test_invalid_cases_cover_the_error_list_and_all_raise():
    cases = invalid_cases()
    reasons = " ".join(r for _, _, r in cases)
    for needle in ("rank-1", "Identity", "Sparse on a rank-3", "Dirac on a rank-2", "not divisible",
                   "unknown mode", "unknown nonlinearity", "unknown distribution", "scale=0",
                   "scale<0", "negative sigma", "a == b", "a > b", "sparsity=1", "sparsity<0",
                   "unknown alias"):
        assert needle in reasons, needle
    for spec, shape, reason in cases:
        with pytest.raises((ValueError, TypeError)):
            law_for(spec, shape, "float32")
    names = {spec.name for spec, _, _ in cases}
    assert {"xavier_unifrom"} <= names  # an alias that is not in the catalog
    assert not names & {"Zero", "One", "Constant", "Uniform"}  # those have no invalid inputs


def test_invalid_type_is_type_error():
    with pytest.raises(TypeError):
        law_for(S("Normal", sigma="0.1"), (3, 3), "float32")
    with pytest.raises(ValueError):
        law_for(S("Normal"), (3, 3), "int8")


def test_every_catalog_initializer_has_a_law():
    shape = (6, 4, 3, 3)
    for name in CATALOG:
        spec = S(name, sparsity=0.5) if name == "Sparse" else S(name, value=1.0) if name == "Constant" else S(name)
        law = law_for(spec, (6, 4) if name in ("Identity", "Sparse") else shape, "float32")
        assert law.kind in ("exact", "continuous", "orthogonal", "sparse")


def test_continuous_law_mean_and_variance_by_integration():
    law = law_for(S("TruncatedNormal", sigma=1.0, mean=0.0, a=-0.5, b=0.25), (2, 2), "float64")
    pdf = law.dist.pdf
    mean = integrate.quad(lambda x: x * pdf(x), -0.5, 0.25)[0]
    var = integrate.quad(lambda x: (x - mean) ** 2 * pdf(x), -0.5, 0.25)[0]
    assert law.mean == pytest.approx(mean, rel=1e-8)
    assert law.var == pytest.approx(var, rel=1e-8)

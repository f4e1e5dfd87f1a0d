"""reference's API surface (SPEC §4): dtypes, Tensor, Parameter, seeds, initializer(),
the alias registry, fans and gains, and rejection of every invalid input of SPEC §2.

Fans and gains are checked against formulas written here from SPEC §2, not read
from reference.
"""

from __future__ import annotations

import math
import pickle

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
import reference as ms
from reference.common import initializer as init_mod
from reference.common.initializer import (
    Constant,
    Dirac,
    HeNormal,
    HeUniform,
    Identity,
    Initializer,
    Normal,
    One,
    Orthogonal,
    Sparse,
    TruncatedNormal,
    Uniform,
    VarianceScaling,
    XavierNormal,
    XavierUniform,
    Zero,
    initializer,
)

FLOAT_DTYPES = [ms.float16, ms.bfloat16, ms.float32, ms.float64]
NUMPY_OF = {ms.float16: np.float16, ms.bfloat16: ml_dtypes.bfloat16, ms.float32: np.float32, ms.float64: np.float64}


# -- dtypes ----------------------------------------------------------------------------


def test_dtypes_print_like_mindspore_and_map_to_numpy():
    assert [str(d) for d in FLOAT_DTYPES] == ["Float16", "BFloat16", "Float32", "Float64"]
    assert repr(ms.float32) == "reference.float32"
    assert (str(ms.int32), str(ms.int64)) == ("Int32", "Int64")
    for d, np_type in NUMPY_OF.items():
        assert ms.dtype.dtype_to_nptype(d) == np.dtype(np_type)
        assert ms.dtype.pytype_to_dtype(np_type) is d
    assert reference.dtype.float32 is reference.common.dtype.float32 is ms.float32


def test_dtypes_compare_equal_only_to_themselves_and_survive_pickle():
    assert ms.float32 == ms.float32 and ms.float32 != ms.float64 and ms.float16 != ms.bfloat16
    assert pickle.loads(pickle.dumps(ms.bfloat16)) is ms.bfloat16
    with pytest.raises(TypeError, match="complex64"):
        ms.dtype.pytype_to_dtype(np.complex64)


# -- Tensor ----------------------------------------------------------------------------


def test_tensor_from_array_copies_and_keeps_dtype():
    data = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = ms.Tensor(data)
    data[0, 0] = 99
    assert t.shape == (2, 3) and t.dtype == ms.float64 and t.ndim == 2 and t.size == 6
    assert t.asnumpy()[0, 0] == 0
    assert np.asarray(t).dtype == np.float64


def test_tensor_python_values_get_mindspore_defaults():
    assert ms.Tensor(1.5).dtype == ms.float32
    assert ms.Tensor([1.0, 2.0]).dtype == ms.float32
    assert ms.Tensor([1, 2]).dtype == ms.int64
    assert ms.Tensor([1, 2], ms.float16).asnumpy().dtype == np.float16


def test_tensor_astype_and_repr():
    t = ms.Tensor(np.ones((2, 2), np.float32))
    b = t.astype(ms.bfloat16)
    assert b.dtype == ms.bfloat16 and b.asnumpy().dtype == ml_dtypes.bfloat16
    assert repr(t).startswith("Tensor(shape=[2, 2], dtype=Float32, value=")


def test_tensor_rejects_bad_input():
    with pytest.raises(TypeError, match="input_data"):
        ms.Tensor(object())
    with pytest.raises(TypeError, match="'dtype' and 'shape' are required"):
        ms.Tensor(init=One())
    with pytest.raises(ValueError, match=r"\(2, 0\)"):
        ms.Tensor(dtype=ms.float32, shape=(2, 0), init=One())


def test_initializer_tensor_is_lazy_until_used():
    t = initializer(Normal(), (3, 4), ms.float32)
    assert t.has_init and t.shape == (3, 4) and t.dtype == ms.float32
    assert "uninitialized" in repr(t)
    assert t.init_data() is t
    assert not t.has_init
    first = t.asnumpy().copy()
    t.init_data()  # a second call keeps the values
    np.testing.assert_array_equal(t.asnumpy(), first)
    u = initializer(One(), (2,), ms.float64)
    assert np.asarray(u).tolist() == [1.0, 1.0]  # first use materialises


def test_from_array_wraps_without_copy():
    arr = np.zeros(3, np.float32)
    t = ms.Tensor._from_array(arr)
    assert t._array is arr
    arr[0] = 5
    assert t.asnumpy()[0] == 5


# -- Parameter ---------------------------------------------------------------------------


def test_parameter_from_lazy_tensor_materialises_it():
    p = ms.Parameter(initializer("ones", (2, 3), ms.float32), name="w")
    assert isinstance(p, ms.Tensor) and not p.has_init
    assert (p.name, p.shape, p.dtype, p.requires_grad) == ("w", (2, 3), ms.float32, True)
    assert p.asnumpy().sum() == 6
    assert repr(p) == "Parameter (name=w, shape=(2, 3), dtype=Float32, requires_grad=True)"
    p.name = "layer.weight"
    assert p.name == "layer.weight"


def test_set_data_is_in_place_and_returns_the_parameter():
    p = ms.Parameter(ms.Tensor(np.zeros((2, 2), np.float32)), name="w")
    held = p.asnumpy()
    assert p.set_data(initializer(Normal(), (2, 2), ms.float32)) is p
    assert np.shares_memory(held, p.asnumpy()) and np.all(held != 0)
    p.set_data(3)  # a number fills every element, cast
    assert held.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_set_data_casts_lower_types_and_refuses_higher_ones():
    p = ms.Parameter(ms.Tensor(np.zeros(3, np.float32)), name="w")
    p.set_data(ms.Tensor(np.array([0.1, 0.2, 0.3], np.float16)))
    np.testing.assert_array_equal(p.asnumpy(), np.array([0.1, 0.2, 0.3], np.float16).astype(np.float32))
    p.set_data(ms.Tensor(np.array([1, 2, 3], np.int32)))
    assert p.asnumpy().tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(TypeError, match="Current dtype is Float32, and incoming is Float64"):
        p.set_data(ms.Tensor(np.zeros(3, np.float64)))
    half = ms.Parameter(ms.Tensor(np.zeros(3, np.float16)), name="h")
    with pytest.raises(TypeError, match="BFloat16"):
        half.set_data(ms.Tensor(np.zeros(3, ml_dtypes.bfloat16)))
    ints = ms.Parameter(ms.Tensor(np.zeros(3, np.int32)), name="i")
    with pytest.raises(TypeError, match="Int32"):
        ints.set_data(1.5)


def test_set_data_rejects_another_shape_naming_both():
    p = ms.Parameter(ms.Tensor(np.zeros((2, 3), np.float32)), name="w")
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        p.set_data(ms.Tensor(np.zeros((3, 2), np.float32)))
    with pytest.raises(TypeError, match="ndarray"):
        p.set_data(np.zeros((2, 3), np.float32))


# -- seeds -----------------------------------------------------------------------------------


def _draws(seed):
    ms.set_seed(seed)
    return [initializer(Normal(1.0), (64,), ms.float32).asnumpy().copy() for _ in range(3)]


def test_set_seed_makes_the_sequence_reproducible_and_get_seed_reports_it():
    a, b = _draws(123), _draws(123)
    assert ms.get_seed() == 123
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()
    assert a[0].tobytes() != a[1].tobytes()  # successive initializations differ
    assert _draws(124)[0].tobytes() != a[0].tobytes()


def test_successive_initializations_are_uncorrelated():
    # alpha = 1e-6 per assertion: |r| of independent samples is ~ N(0, 1/n), z = 4.89.
    ms.set_seed(7)
    n = 200_000
    x = initializer(Normal(1.0), (n,), ms.float32).asnumpy().astype(np.float64)
    y = initializer(Normal(1.0), (n,), ms.float32).asnumpy().astype(np.float64)
    assert abs(np.corrcoef(x, y)[0, 1]) < 4.89 / math.sqrt(n)


def test_builtins_never_touch_numpys_global_state_but_set_seed_seeds_it():
    ms.set_seed(5)
    state = np.random.get_state()[1].copy()
    initializer(Normal(), (100,), ms.float32).init_data()
    initializer(Sparse(0.5), (10, 10), ms.float32).init_data()
    assert np.array_equal(np.random.get_state()[1], state)
    ms.set_seed(5)
    a = np.random.normal(size=3)
    np.random.seed(5)
    assert np.array_equal(a, np.random.normal(size=3))  # MindSpore's set_seed seeds np.random


def test_set_seed_rejects_bad_seeds():
    with pytest.raises(TypeError, match="1.5"):
        ms.set_seed(1.5)
    with pytest.raises(TypeError, match="True"):
        ms.set_seed(True)
    with pytest.raises(ValueError, match="-1"):
        ms.set_seed(-1)
    ms.set_seed(2**70)  # large seeds work (SeedSequence takes any size)
    assert ms.get_seed() == 2**70


# -- initializer() and the alias registry -----------------------------------------------------------


ALIASES = {
    "zeros": Zero, "zero": Zero, "ones": One, "one": One, "normal": Normal, "uniform": Uniform,
    "truncatednormal": TruncatedNormal, "xavier_uniform": XavierUniform, "xavieruniform": XavierUniform,
    "xavier_normal": XavierNormal, "xaviernormal": XavierNormal, "he_uniform": HeUniform, "heuniform": HeUniform,
    "he_normal": HeNormal, "henormal": HeNormal, "variancescaling": VarianceScaling, "orthogonal": Orthogonal,
    "identity": Identity, "dirac": Dirac,
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_case_insensitive(alias):
    assert init_mod._INITIALIZER_ALIAS[alias] is ALIASES[alias]
    shape = (4, 4, 3) if alias == "dirac" else (4, 4)
    t = initializer(alias.upper(), shape, ms.float32)
    assert isinstance(t.init, ALIASES[alias]) and t.init_data().shape == shape


def test_initializer_accepts_numbers_tensors_lists_and_scalars():
    assert initializer(2.5, [2, 2], ms.float64).asnumpy().tolist() == [[2.5, 2.5], [2.5, 2.5]]
    assert initializer(One(), 3).asnumpy().tolist() == [1.0, 1.0, 1.0]
    scalar = initializer(Normal(), (), ms.float32).asnumpy()
    assert scalar.shape == () and np.isfinite(scalar)
    t = ms.Tensor(np.zeros((2, 3), np.float32))
    assert initializer(t, (2, 3)) is t
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        initializer(t, (3, 2))
    assert initializer(Zero(), (5,), np.float16).dtype == ms.float16  # numpy dtypes are understood


def test_a_users_subclass_can_be_registered_and_called_by_alias():
    @init_mod._register("sevens")
    class Sevens(Initializer):
        def _initialize(self, arr):
            init_mod._assignment(arr, np.full(arr.shape, 7.0))

    try:
        out = initializer("SEVENS", (2, 2), ms.float16).asnumpy()
        assert out.dtype == np.float16 and out.tolist() == [[7.0, 7.0], [7.0, 7.0]]
        assert init_mod._INITIALIZER_ALIAS["sevens"] is Sevens
    finally:
        del init_mod._INITIALIZER_ALIAS["sevens"]


def test_a_users_subclass_drawing_from_np_random_is_reproducible_after_set_seed():
    class NpNormal(Initializer):
        def _initialize(self, arr):
            init_mod._assignment(arr, np.random.normal(0, 1, arr.shape))

    ms.set_seed(11)
    a = initializer(NpNormal(), (8,), ms.float32).asnumpy().copy()
    ms.set_seed(11)
    b = initializer(NpNormal(), (8,), ms.float32).asnumpy()
    assert a.tobytes() == b.tobytes()


def test_assignment_writes_in_place_including_scalars():
    arr = np.zeros((2, 2), np.float32)
    assert init_mod._assignment(arr, np.ones((2, 2))) is arr and arr.sum() == 4
    scalar = np.zeros((), np.float32)
    init_mod._assignment(scalar, 3.0)
    assert scalar == 3.0


def test_initializer_objects_fill_arrays_directly():
    arr = np.empty((3, 5), np.float32)
    Identity()(arr)
    np.testing.assert_array_equal(arr, np.eye(3, 5))
    assert "Normal(sigma=0.5, mean=0.0)" == repr(Normal(0.5))


# -- fans and gains against SPEC §2 (independent formulas) ------------------------------------------


def _spec_fans(shape):
    receptive = 1
    for k in shape[2:]:
        receptive *= k
    return shape[1] * receptive, shape[0] * receptive


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=2, max_size=5).map(tuple))
def test_fans_match_spec(shape):
    assert init_mod._calculate_fan_in_and_fan_out(shape) == _spec_fans(shape)
    assert init_mod._calculate_correct_fan(shape, "fan_in") == _spec_fans(shape)[0]
    assert init_mod._calculate_correct_fan(shape, "FAN_OUT") == _spec_fans(shape)[1]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 7), max_size=1).map(tuple))
def test_fans_reject_rank_below_two(shape):
    with pytest.raises(ValueError, match=f"dimensions {len(shape)}"):
        init_mod._calculate_fan_in_and_fan_out(shape)


GAINS = {
    **{name: 1.0 for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                              "conv_transpose3d", "sigmoid")},
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "leaky_relu": math.sqrt(2.0 / (1.0 + 0.01**2)),
}


@pytest.mark.parametrize("name", sorted(GAINS))
def test_gain_matches_spec(name):
    assert init_mod._calculate_gain(name) == pytest.approx(GAINS[name], rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats(-100, 100), st.integers(-100, 100)))
def test_leaky_relu_gain_uses_the_slope(slope):
    assert init_mod._calculate_gain("leaky_relu", slope) == pytest.approx(math.sqrt(2.0 / (1 + slope**2)), rel=1e-14)


@pytest.mark.parametrize("param", [True, "0.1", [0.1]])
def test_leaky_relu_gain_rejects_non_numbers(param):
    with pytest.raises(ValueError, match="negative_slope"):
        init_mod._calculate_gain("leaky_relu", param)


def test_gain_rejects_unknown_nonlinearity():
    with pytest.raises(ValueError, match="'swish'"):
        init_mod._calculate_gain("swish")


# -- every invalid input of SPEC §2 is rejected, naming the argument and the value ---------------------

RANK_RULES = {
    # name: (make an instance, ranks it accepts)
    "XavierUniform": (XavierUniform, range(2, 6)),
    "XavierNormal": (XavierNormal, range(2, 6)),
    "HeUniform": (HeUniform, range(2, 6)),
    "HeNormal": (HeNormal, range(2, 6)),
    "VarianceScaling": (VarianceScaling, range(2, 6)),
    "Orthogonal": (Orthogonal, range(2, 6)),
    "Identity": (Identity, (2,)),
    "Sparse": (lambda: Sparse(0.3), (2,)),
    "Dirac": (Dirac, (3, 4, 5)),
    "Zero": (Zero, range(0, 6)),
    "One": (One, range(0, 6)),
    "Constant": (lambda: Constant(0.25), range(0, 6)),
    "Normal": (Normal, range(0, 6)),
    "Uniform": (Uniform, range(0, 6)),
    "TruncatedNormal": (TruncatedNormal, range(0, 6)),
}


@settings(max_examples=120, deadline=None)
@given(
    name=st.sampled_from(sorted(RANK_RULES)),
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=5).map(tuple),
    dtype=st.sampled_from(FLOAT_DTYPES),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_initializer_fills_every_rank_and_dtype_or_rejects_the_rank(name, shape, dtype, seed):
    make, ranks = RANK_RULES[name]
    ms.set_seed(seed)
    if len(shape) not in ranks:
        with pytest.raises(ValueError, match=rf"{len(shape)}"):
            initializer(make(), shape, dtype)
        with pytest.raises(ValueError):  # calling the initializer on an array directly, too
            make()(np.empty(shape, NUMPY_OF[dtype]))
        return
    out = initializer(make(), shape, dtype).init_data().asnumpy()
    assert out.shape == shape and out.dtype == NUMPY_OF[dtype]
    assert np.all(np.isfinite(out.astype(np.float64)))


INVALID = [
    # (call, exception type, words the message must contain)
    (lambda: Normal(sigma=-0.5), ValueError, ["sigma", "-0.5"]),
    (lambda: TruncatedNormal(sigma=-1.0), ValueError, ["sigma", "-1.0"]),
    (lambda: Sparse(0.1, sigma=-2.0), ValueError, ["sigma", "-2.0"]),
    (lambda: TruncatedNormal(a=1.0, b=1.0), ValueError, ["'a'", "'b'", "a=1.0", "b=1.0"]),
    (lambda: TruncatedNormal(a=3.0, b=-3.0), ValueError, ["a=3.0", "b=-3.0"]),
    (lambda: Sparse(sparsity=1.0), ValueError, ["sparsity", "1.0"]),
    (lambda: Sparse(sparsity=1.5), ValueError, ["sparsity", "1.5"]),
    (lambda: Sparse(sparsity=-0.1), ValueError, ["sparsity", "-0.1"]),
    (lambda: VarianceScaling(scale=0.0), ValueError, ["scale", "0.0"]),
    (lambda: VarianceScaling(scale=-2), ValueError, ["scale", "-2"]),
    (lambda: VarianceScaling(mode="fan_sum"), ValueError, ["mode", "fan_sum"]),
    (lambda: VarianceScaling(distribution="normal"), ValueError, ["distribution", "'normal'"]),
    (lambda: HeUniform(mode="fan_avg"), ValueError, ["mode", "fan_avg"]),
    (lambda: HeNormal(nonlinearity="gelu"), ValueError, ["nonlinearity", "gelu", "HeNormal"]),
    (lambda: HeUniform(negative_slope=True), ValueError, ["negative_slope", "True"]),
    (lambda: HeUniform(negative_slope="a"), ValueError, ["negative_slope", "'a'"]),
    (lambda: Normal(sigma="big"), TypeError, ["sigma", "'big'"]),
    (lambda: Normal(sigma=float("nan")), ValueError, ["sigma", "nan"]),
    (lambda: Uniform(scale=float("inf")), ValueError, ["scale", "inf"]),
    (lambda: Dirac(groups=0), ValueError, ["groups", "0"]),
    (lambda: Dirac(groups=1.5), TypeError, ["groups", "1.5"]),
    (lambda: initializer("gaussian", (2, 2)), ValueError, ["gaussian"]),
    (lambda: initializer(Normal(), (2, 0)), ValueError, ["shape", "(2, 0)"]),
    (lambda: initializer(Normal(), (3, -1)), ValueError, ["shape", "(3, -1)"]),
    (lambda: initializer(Normal(), (2.0, 3)), ValueError, ["shape", "(2.0, 3)"]),
    (lambda: initializer(Normal(), "2,3"), TypeError, ["shape", "'2,3'"]),
    (lambda: initializer(Normal()), TypeError, ["shape"]),
    (lambda: initializer([1.0], (1,)), TypeError, ["init", "list"]),
    (lambda: initializer(Dirac(groups=3), (4, 2, 3)), ValueError, ["groups 3", "first dimension 4"]),
    (lambda: initializer(Identity(), (2, 2, 2)), ValueError, ["Identity", "3"]),
    (lambda: initializer(Sparse(0.2), (4,)), ValueError, ["Sparse", "1"]),
    (lambda: initializer(Orthogonal(), (4,)), ValueError, ["Orthogonal", "1"]),
    (lambda: initializer(XavierUniform(), (4,)), ValueError, ["fan_in", "1"]),
    (lambda: initializer(Normal(), (2,), "float8"), TypeError, ["float8"]),
]


@pytest.mark.parametrize("call,exc,words", INVALID, ids=[f"invalid{i}" for i in range(len(INVALID))])
def test_invalid_inputs_raise_naming_argument_and_value(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        st.builds(lambda s: ("Normal", {"sigma": s}), st.floats(-1e6, -1e-9)),
        st.builds(lambda s: ("TruncatedNormal", {"sigma": s}), st.floats(-1e6, -1e-9)),
        st.builds(lambda a, d: ("TruncatedNormal", {"a": a, "b": a - d}), st.floats(-10, 10), st.floats(0, 10)),
        st.builds(lambda p: ("Sparse", {"sparsity": p}), st.floats(1, 100) | st.floats(-100, -1e-9)),
        st.builds(lambda s: ("VarianceScaling", {"scale": s}), st.floats(-1e6, 0)),
        st.builds(lambda m: ("HeUniform", {"mode": m}), st.text(min_size=1).filter(lambda m: m.lower() not in ("fan_in", "fan_out"))),
    )
)
def test_generated_invalid_parameters_raise_value_error(case):
    name, params = case
    cls = getattr(init_mod, name)
    kwargs = {"sparsity": 0.5} if name == "Sparse" else {}
    kwargs.update(params)
    with pytest.raises(ValueError) as info:
        cls(**kwargs)
    assert any(key in str(info.value) for key in params)

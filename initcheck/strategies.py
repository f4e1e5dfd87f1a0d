"""Public Hypothesis strategies for testing initializer implementations.

Use them in your own property tests::

    from hypothesis import given
    from initcheck import strategies as ist

    @given(ist.specs(["HeUniform", "HeNormal"]), ist.weight_shapes(fan_ratio=2))
    def test_my_init_accepts(spec, shape):
        my_library.fill(spec, shape)

Hypothesis seeds numpy's global random state to 0 inside every example, so a library
drawing from global state looks deterministic under ``@given``: pass explicit seeds.

Every strategy validates its arguments at once and names the bad one.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable, NamedTuple

from hypothesis import strategies as st

from initcheck.spec import CATALOG, Spec, canonical_name

__all__ = ["InvalidSpec", "dtypes", "invalid_specs", "specs", "weight_shapes"]

#: The dtypes a backend may declare (SPEC §5), narrowest first.
DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64")

_NONLINEARITIES = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu",
)
_FAN_MODES = ("fan_in", "fan_out")
_VS_MODES = ("fan_in", "fan_out", "fan_avg")
_VS_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")
#: Initializers whose law needs fan_in/fan_out (and so rank >= 2).
_FAN_BASED = ("XavierUniform", "XavierNormal", "HeUniform", "HeNormal", "VarianceScaling")


class InvalidSpec(NamedTuple):
    """An input a conforming backend must reject (SPEC §2, "Errors")."""

    spec: Spec
    shape: tuple[int, ...]
    reason: str


def _positive_int(name: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _ratio(fan_ratio: Any, max_side: int) -> Fraction:
    if isinstance(fan_ratio, bool) or not isinstance(fan_ratio, (int, float, Fraction)):
        raise TypeError(f"fan_ratio must be a positive number or None, got {fan_ratio!r}")
    if not (math.isfinite(fan_ratio) and fan_ratio > 0):
        raise ValueError(f"fan_ratio must be a finite number > 0, got {fan_ratio!r}")
    ratio = Fraction(fan_ratio).limit_denominator(max_side)
    if float(ratio) != float(fan_ratio):
        raise ValueError(
            f"fan_ratio={fan_ratio!r} is not p/q with q <= max_side={max_side}"
        )
    if max(ratio.numerator, ratio.denominator) > max_side:
        raise ValueError(
            f"fan_ratio={fan_ratio!r} needs channels up to "
            f"{max(ratio.numerator, ratio.denominator)}, more than max_side={max_side}"
        )
    return ratio


def weight_shapes(
    min_rank: int = 2,
    max_rank: int = 4,
    fan_ratio: float | None = None,
    *,
    min_side: int = 1,
    max_side: int = 8,
) -> st.SearchStrategy[tuple[int, ...]]:
    """Weight shapes in the reference layout ``(out_channels, in_channels, *kernel)``.

    With `fan_ratio`, every shape has ``fan_out / fan_in == fan_ratio`` exactly
    (``shape[0] / shape[1]``), so a swapped fan_in/fan_out is visible; ``fan_ratio=2``
    gives ``(2k, k, ...)``, ``fan_ratio=0.5`` gives ``(k, 2k, ...)``.

    >>> from hypothesis import find
    >>> find(weight_shapes(3, 3, fan_ratio=2), lambda s: True)
    (2, 1, 1)
    """
    min_rank = _positive_int("min_rank", min_rank)
    max_rank = _positive_int("max_rank", max_rank)
    min_side = _positive_int("min_side", min_side, 1)
    max_side = _positive_int("max_side", max_side, 1)
    if min_rank > max_rank:
        raise ValueError(f"min_rank must be <= max_rank, got {min_rank} > {max_rank}")
    if min_side > max_side:
        raise ValueError(f"min_side must be <= max_side, got {min_side} > {max_side}")
    side = st.integers(min_side, max_side)
    if fan_ratio is None:
        return st.integers(min_rank, max_rank).flatmap(
            lambda rank: st.tuples(*[side] * rank)
        )
    if min_rank < 2:
        raise ValueError(
            f"fan_ratio needs shapes of rank >= 2 (fans are undefined below), "
            f"got min_rank={min_rank}"
        )
    ratio = _ratio(fan_ratio, max_side)
    p, q = ratio.numerator, ratio.denominator
    # channels (p*k, q*k) keep fan_out/fan_in == p/q whatever the kernel is
    k_min = max(1, -(-min_side // min(p, q)))
    k_max = max_side // max(p, q)
    if k_min > k_max:
        raise ValueError(
            f"no channel counts in [{min_side}, {max_side}] have ratio {p}/{q} "
            f"(fan_ratio={fan_ratio!r}); widen min_side..max_side"
        )
    channels = st.integers(k_min, k_max).map(lambda k: (p * k, q * k))

    def shaped(rank: int):
        return st.tuples(channels, st.tuples(*[side] * (rank - 2))).map(
            lambda parts: parts[0] + parts[1]
        )

    return st.integers(min_rank, max_rank).flatmap(shaped)


def dtypes(names: Iterable[str] | None = None) -> st.SearchStrategy[str]:
    """Dtype names of the backend protocol: float16, bfloat16, float32, float64.

    Pass `names` (e.g. a backend's ``dtypes``) to draw from a subset.

    >>> from hypothesis import find
    >>> find(dtypes(["float32", "float64"]), lambda d: True)
    'float32'
    """
    if names is None:
        return st.sampled_from(DTYPE_NAMES)
    if isinstance(names, str):
        raise TypeError(f"names must be a collection of dtype names, got the str {names!r}")
    chosen = list(names)
    unknown = [n for n in chosen if n not in DTYPE_NAMES]
    if unknown:
        raise ValueError(f"names has unknown dtypes {unknown}; known: {', '.join(DTYPE_NAMES)}")
    if not chosen:
        raise ValueError("names must name at least one dtype, got none")
    return st.sampled_from(sorted(set(chosen), key=DTYPE_NAMES.index))


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _truncated_normal_params() -> st.SearchStrategy[dict[str, Any]]:
    # keep at least ~30% of the normal's mass inside [a, b] so that fills stay cheap
    # for rejection samplers; a and b are absolute values (SPEC §2)
    def build(sigma, mean, lo_z, width_z):
        a = mean + lo_z * sigma
        return {"sigma": sigma, "mean": mean, "a": a, "b": a + width_z * sigma}

    return st.builds(build, _floats(1e-3, 10.0), _floats(-5.0, 5.0),
                     _floats(-3.0, 0.0), _floats(1.0, 6.0))


#: Valid parameter strategies per initializer: sane ranges, not the whole domain.
_VALID_PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "Zero": st.just({}),
    "One": st.just({}),
    "Constant": st.fixed_dictionaries({"value": _floats(-100.0, 100.0)}),
    "Normal": st.fixed_dictionaries({"sigma": _floats(0.0, 10.0), "mean": _floats(-10.0, 10.0)}),
    "Uniform": st.fixed_dictionaries({"scale": _floats(1e-3, 10.0)}),
    "TruncatedNormal": _truncated_normal_params(),
    "XavierUniform": st.fixed_dictionaries({"gain": _floats(0.1, 5.0)}),
    "XavierNormal": st.fixed_dictionaries({"gain": _floats(0.1, 5.0)}),
    "HeUniform": st.fixed_dictionaries({
        "negative_slope": _floats(0.0, 1.0),
        "mode": st.sampled_from(_FAN_MODES),
        "nonlinearity": st.sampled_from(_NONLINEARITIES),
    }),
    "VarianceScaling": st.fixed_dictionaries({
        "scale": _floats(0.01, 10.0),
        "mode": st.sampled_from(_VS_MODES),
        "distribution": st.sampled_from(_VS_DISTRIBUTIONS),
    }),
    "Orthogonal": st.fixed_dictionaries({"gain": _floats(0.1, 5.0)}),
    "Identity": st.just({}),
    "Dirac": st.fixed_dictionaries({"groups": st.integers(1, 4)}),
    "Sparse": st.fixed_dictionaries({
        "sparsity": _floats(0.0, 0.95), "sigma": _floats(0.0, 1.0),
    }),
}
_VALID_PARAMS["HeNormal"] = _VALID_PARAMS["HeUniform"]
assert set(_VALID_PARAMS) == set(CATALOG), "every catalog entry needs valid parameters"


def _names(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return list(CATALOG)
    if isinstance(names, str):
        raise TypeError(f"names must be a collection of initializer names, got the str {names!r}")
    chosen = []
    for name in names:
        try:
            chosen.append(canonical_name(name))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"names: {exc}") from None
    if not chosen:
        raise ValueError("names must name at least one initializer, got none")
    return list(dict.fromkeys(chosen))


def specs(names: Iterable[str] | None = None) -> st.SearchStrategy[Spec]:
    """Specs with valid parameters, from the whole catalog or the initializers in `names`
    (catalog names or aliases).

    Parameters stay in sane ranges (e.g. TruncatedNormal keeps a fair share of the mass
    inside ``[a, b]``); shape constraints (Identity is 2-D, Dirac needs ``shape[0]``
    divisible by ``groups``) are the caller's to respect.

    >>> from hypothesis import find
    >>> find(specs(["he_uniform"]), lambda s: s.params["mode"] == "fan_out").name
    'HeUniform'
    """
    chosen = _names(names)
    return st.sampled_from(chosen).flatmap(
        lambda name: _VALID_PARAMS[name].map(lambda params: Spec.make(name, **params))
    )


def _rank_errors() -> st.SearchStrategy[InvalidSpec]:
    low_rank = st.integers(0, 1).flatmap(lambda r: st.tuples(*[st.integers(1, 8)] * r))

    def not_2d(shape):
        return len(shape) != 2

    def not_dirac_rank(shape):
        return len(shape) not in (3, 4, 5)

    any_shape = st.integers(0, 6).flatmap(lambda r: st.tuples(*[st.integers(1, 4)] * r))
    fan_based = st.sampled_from(_FAN_BASED + ("Orthogonal",)).flatmap(
        lambda name: st.builds(
            lambda spec, shape: InvalidSpec(spec, shape, f"{name} needs rank >= 2"),
            specs([name]), low_rank,
        )
    )
    two_d_only = st.sampled_from(("Identity", "Sparse")).flatmap(
        lambda name: st.builds(
            lambda spec, shape: InvalidSpec(spec, shape, f"{name} is 2-D only"),
            specs([name]), any_shape.filter(not_2d),
        )
    )
    dirac_rank = st.builds(
        lambda spec, shape: InvalidSpec(spec, shape, "Dirac is 3-, 4- or 5-D only"),
        specs(["Dirac"]), any_shape.filter(not_dirac_rank),
    )

    def dirac_groups(groups, k, rest, kernel):
        # shape[0] = groups*k + rest with 0 < rest < groups: not divisible
        shape = (groups * k + rest, 2, *kernel)
        return InvalidSpec(Spec.make("Dirac", groups=groups), shape,
                           "Dirac needs shape[0] divisible by groups")

    dirac_divisible = st.integers(2, 4).flatmap(
        lambda g: st.builds(
            dirac_groups, st.just(g), st.integers(0, 3), st.integers(1, g - 1),
            st.integers(1, 3).flatmap(lambda r: st.tuples(*[st.integers(1, 3)] * r)),
        )
    )
    return st.one_of(fan_based, two_d_only, dirac_rank, dirac_divisible)


def _value_errors() -> st.SearchStrategy[InvalidSpec]:
    bad_word = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
    negative = st.floats(max_value=-1e-6, allow_nan=False, allow_infinity=False)

    def bad(name, key, values, reason):
        def build(spec, value):
            return InvalidSpec(spec.replace(**{key: value}), (8, 4), reason)

        return st.builds(build, specs([name]), values)

    he = st.sampled_from(("HeUniform", "HeNormal"))
    options = [
        he.flatmap(lambda n: bad(n, "mode", bad_word.filter(lambda w: w not in _FAN_MODES),
                                 "unknown mode")),
        he.flatmap(lambda n: bad(n, "nonlinearity",
                                 bad_word.filter(lambda w: w not in _NONLINEARITIES),
                                 "unknown nonlinearity")),
        bad("VarianceScaling", "mode", bad_word.filter(lambda w: w not in _VS_MODES),
            "unknown mode"),
        bad("VarianceScaling", "distribution",
            bad_word.filter(lambda w: w not in _VS_DISTRIBUTIONS), "unknown distribution"),
        bad("VarianceScaling", "scale",
            st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
            "VarianceScaling needs scale > 0"),
        st.sampled_from(("Normal", "TruncatedNormal", "Sparse")).flatmap(
            lambda n: bad(n, "sigma", negative, f"{n} needs sigma >= 0")
        ),
        bad("Sparse", "sparsity",
            st.one_of(negative, st.floats(min_value=1.0, allow_nan=False, allow_infinity=False)),
            "Sparse needs sparsity in [0, 1)"),
    ]

    def crossed(spec, gap):
        p = spec.params
        # b <= a: put b at or below a by a non-negative gap
        return InvalidSpec(spec.replace(b=p["a"] - gap), (8, 4),
                           "TruncatedNormal needs a < b")

    options.append(st.builds(crossed, specs(["TruncatedNormal"]), _floats(0.0, 5.0)))
    return st.one_of(options)


def invalid_specs() -> st.SearchStrategy[InvalidSpec]:
    """Inputs that SPEC §2 says a backend must reject: ``InvalidSpec(spec, shape, reason)``.

    Covers ranks a law is undefined for, Dirac's group divisibility, unknown ``mode``,
    ``nonlinearity`` and ``distribution`` words, ``VarianceScaling(scale <= 0)``,
    negative ``sigma``, ``TruncatedNormal`` with ``a >= b`` and ``Sparse`` sparsity
    outside ``[0, 1)``. (Unknown alias strings are not Specs; test them by name.)

    >>> from hypothesis import find
    >>> bad = find(invalid_specs(), lambda c: c.spec.name == "Identity")
    >>> bad.reason, len(bad.shape) != 2
    ('Identity is 2-D only', True)
    """
    return st.one_of(_rank_errors(), _value_errors())

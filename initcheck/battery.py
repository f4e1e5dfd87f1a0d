"""The battery: which checks run on which specs, shapes and dtypes (issue 4).

Every catalog initializer appears with several parameter settings (gains,
negative slopes, every mode, nonlinearity and distribution, groups, sparsities).
Weight shapes have ranks 2-5 with fan ratios fan_in/fan_out >= 2 *and* <= 1/2, so
swapped fans change the law visibly; kernels are odd and even; Identity and
Orthogonal are also non-square. Every dtype the backend declares is filled.

A `Case` is one check on one fill. Its id is readable and stable
(``spec|check|shape|dtype``); its seed is derived from the run seed and the id of
its *fill* (the id without the check), so all checks on one fill share the fill
(the runner caches it) and any single case can be re-run alone with ``--case ID``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
from dataclasses import dataclass
from typing import Any, Iterable

from initcheck.laws import invalid_cases, law_for
from initcheck.spec import CATALOG, REQUIRED, Spec

__all__ = ["BUDGETS", "Budget", "Case", "LAYER_PARTS", "plan", "spec_label", "shape_label"]


@dataclass(frozen=True)
class Budget:
    """How much work one battery does.

    samples: elements per statistical fill, chosen from the smallest realistic
      bug each statistical check must catch at the quick budget. At 1e5 and
      alpha=1e-6 the KS threshold is 0.0085 and KS detects (power 0.99) a CDF
      discrepancy >= 0.013: a VarianceScaling truncated normal sampled as a
      uniform of the same variance is at KS distance 0.043. The variance test
      detects a std error >= 1.6% (normal; 1% uniform): a missing truncation
      correction is 12%, swapped fans at ratio 2 are 41%. The mean test detects
      a shift >= 0.023 sigma. Standard (1e6) and thorough (1e7) shrink each
      detectable effect by sqrt(10) and 10.
    haar_draws: square orthogonal draws whose traces the `haar` check tests; a
      missing sign correction moves the mean trace of a 16x16 draw to about -2.4
      (Haar: 0 +- 1), so 64 draws already detect it with z > 15.
    generated_shapes: shapes generated for the `fans` check.
    orthogonal_side: side of the square Orthogonal fill (rectangular ones are
      half and twice it).
    """

    name: str
    samples: int
    haar_draws: int
    generated_shapes: int
    orthogonal_side: int
    #: pairs of fan-based weight shapes of ~`samples` elements: the first has
    #: fan_in/fan_out >= 2, the second <= 1/2
    fan_shape_pairs: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
    #: 2-D shapes for Sparse: (rows, cols) with ceil(sparsity*rows) != floor(...)
    sparse_shapes: tuple[tuple[int, int], ...]
    #: Dense (out, in) and Conv2d (out, in, k, k) weight shapes for layer-default
    dense_shape: tuple[int, int]
    conv2d_shape: tuple[int, int, int, int]


BUDGETS: dict[str, Budget] = {
    "quick": Budget(
        name="quick",
        samples=100_000,
        haar_draws=64,
        generated_shapes=200,
        orthogonal_side=256,
        fan_shape_pairs=(
            ((160, 640), (640, 160)),
            ((32, 128, 5, 5), (128, 32, 25)),
            ((16, 48, 5, 5, 5), (128, 64, 4, 3)),
            ((64, 256, 6), (48, 16, 4, 4, 8)),
        ),
        sparse_shapes=((333, 300), (77, 1300), (1000, 100)),
        dense_shape=(160, 640),
        conv2d_shape=(32, 128, 5, 5),
    ),
    "standard": Budget(
        name="standard",
        samples=1_000_000,
        haar_draws=256,
        generated_shapes=500,
        orthogonal_side=512,
        fan_shape_pairs=(
            ((500, 2000), (2000, 500)),
            ((100, 400, 5, 5), (400, 100, 25)),
            ((40, 120, 6, 6, 6), (256, 128, 4, 8)),
            ((200, 800, 6), (144, 48, 4, 4, 9)),
        ),
        sparse_shapes=((1003, 1000), (777, 1300), (1000, 1000)),
        dense_shape=(500, 2000),
        conv2d_shape=(100, 400, 5, 5),
    ),
    "thorough": Budget(
        name="thorough",
        samples=10_000_000,
        haar_draws=1024,
        generated_shapes=2000,
        orthogonal_side=1024,
        fan_shape_pairs=(
            ((1600, 6400), (6400, 1600)),
            ((320, 1280, 5, 5), (1280, 320, 25)),
            ((128, 384, 6, 6, 6), (1024, 512, 4, 5)),
            ((640, 2560, 6), (432, 144, 4, 4, 10)),
        ),
        sparse_shapes=((3333, 3000), (7777, 1300), (10000, 1000)),
        dense_shape=(1600, 6400),
        conv2d_shape=(320, 1280, 5, 5),
    ),
}

S = Spec.make

#: Parameter settings of each catalog initializer. Fan-based ones are filled at
#: both fan ratios; `_specs` below is ordered by catalog name.
_FAN_BASED = (
    S("XavierUniform"),
    S("XavierUniform", gain=2.0),
    S("XavierNormal"),
    S("XavierNormal", gain=0.5),
    S("HeUniform"),
    S("HeUniform", negative_slope=math.sqrt(5)),
    S("HeUniform", mode="fan_out", nonlinearity="relu"),
    S("HeUniform", nonlinearity="tanh"),
    S("HeNormal"),
    S("HeNormal", mode="fan_out", negative_slope=0.2),
    S("HeNormal", nonlinearity="linear"),
    S("HeNormal", nonlinearity="sigmoid", mode="fan_out"),
    *(
        S("VarianceScaling", scale=scale, mode=mode, distribution=dist)
        for dist in ("truncated_normal", "untruncated_normal", "uniform")
        for mode, scale in (("fan_in", 1.0), ("fan_out", 2.0), ("fan_avg", 0.5))
    ),
)

_ELEMENTWISE = (
    S("Normal"),
    S("Normal", sigma=0.2, mean=-1.5),
    S("Uniform"),
    S("Uniform", scale=2.5),
    S("TruncatedNormal"),
    # bounds are absolute: read as multiples of sigma they would be [-2, 3] sigma
    S("TruncatedNormal", sigma=0.5, mean=0.5, a=-0.5, b=2.0),
    S("TruncatedNormal", sigma=1.0, mean=0.0, a=-0.5, b=0.25),
)

# Filled in every dtype as well as the first setting of their name: a rounding that
# biases toward zero (bfloat16 made by dropping the low bits) cancels out on a law
# centred at 0, but shifts the mean and the CDF of these.
_OFF_CENTRE = frozenset({S("Normal", sigma=0.2, mean=-1.5), S("Uniform", scale=2.5)})

_CONSTANT = (S("Zero"), S("One"), S("Constant", value=0.3), S("Constant", value=-7.0))

_DIRAC = (
    (S("Dirac"), (12, 6, 3, 3)),
    (S("Dirac"), (6, 4, 5)),
    (S("Dirac", groups=2), (8, 8, 4, 4)),
    (S("Dirac", groups=3), (6, 3, 3, 4, 5)),
    (S("Dirac", groups=4), (16, 4, 2, 2)),
)

_IDENTITY_SHAPES = ((64, 64), (48, 96), (96, 48))
_ORTHOGONAL_GAINS = (1.0, 2.0)
_SPARSE = (
    S("Sparse", sparsity=0.1),
    S("Sparse", sparsity=0.9, sigma=0.5),
    S("Sparse", sparsity=0.25, sigma=2.0),
    S("Sparse", sparsity=0.0),
)
_HAAR_SIDE = 16

#: layer-default cases: (layer kind, parameter name)
LAYER_PARTS = (("Dense", "weight"), ("Dense", "bias"), ("Conv2d", "weight"), ("Conv2d", "bias"))

# Checks per law kind on every dtype, and those run once per spec (primary dtype).
_PER_DTYPE = {
    "exact": ("shape", "dtype", "finite", "exact"),
    "continuous": ("shape", "dtype", "finite", "support", "ks", "mean", "variance", "tails"),
    "orthogonal": ("shape", "dtype", "finite", "support", "orthogonal"),
    "sparse": ("shape", "dtype", "finite", "sparsity", "ks", "mean", "variance"),
}
_PER_SPEC = {
    "exact": (),
    "continuous": ("determinism", "seed", "independence"),
    "orthogonal": ("determinism", "seed"),
    "sparse": ("determinism", "seed", "independence"),
}
_PRECISION_DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Case:
    """One check on one fill (or one capability probe)."""

    id: str
    check: str
    spec: Spec | None
    shape: tuple[int, ...] | None
    dtype: str | None
    seed: int
    budget: str
    alpha: float
    #: layer-default: "Dense.weight" etc.; rejects: why the input is invalid
    detail: str | None = None
    #: the `initcheck run` options that plan this case again (for its repro line)
    run_args: str = ""

    @property
    def fill_key(self) -> tuple:
        """What identifies this case's fill; equal keys share one fill."""
        return (self.spec, self.shape, self.dtype, self.seed)


def _value_label(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def spec_label(spec: Spec) -> str:
    """Compact, shell-friendly spec name: only non-default parameters, no quotes.

    >>> spec_label(Spec.make("HeUniform", mode="fan_out"))
    'HeUniform(mode=fan_out)'
    """
    declared = CATALOG.get(spec.name, {})
    changed = [
        f"{k}={_value_label(v)}"
        for k, v in spec.params.items()
        if declared.get(k, REQUIRED) is REQUIRED or declared[k] != v or type(declared[k]) is not type(v)
    ]
    return f"{spec.name}({','.join(changed)})" if changed else spec.name


def shape_label(shape: tuple[int, ...] | None) -> str:
    return "x".join(map(str, shape)) if shape else "-"


def derive_seed(run_seed: int, key: str) -> int:
    """A seed in [0, 2**31) from the run seed and a stable key (sha256)."""
    digest = hashlib.sha256(f"{int(run_seed)}|{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % (2**31)


def _primary_dtype(dtypes: tuple[str, ...]) -> str:
    return "float32" if "float32" in dtypes else dtypes[0]


def _spec_fills(budget: Budget) -> list[tuple[Spec, tuple[int, ...], bool]]:
    """(spec, shape, all_dtypes): every fill of the battery.

    Random laws are filled in every declared dtype for the first parameter
    setting of each initializer (and for Orthogonal at gains 1 and 2, and the
    off-centre Normal and Uniform settings); the other
    settings and the second fan ratio only in the primary dtype: the statistics
    are the same per dtype, so that is where the effort goes. Exact laws are
    cheap and are filled in every dtype.
    """
    pairs = budget.fan_shape_pairs
    flat = [s for pair in pairs for s in pair]
    fills: list[tuple[Spec, tuple[int, ...], bool]] = []
    seen: set[str] = set()

    def first_of_its_name(spec: Spec) -> bool:
        new = spec.name not in seen
        seen.add(spec.name)
        return new

    for i, spec in enumerate(_FAN_BASED):
        first, second = pairs[i % len(pairs)]
        if i % 2:  # alternate which fan ratio comes first
            first, second = second, first
        fills += [(spec, first, first_of_its_name(spec)), (spec, second, False)]
    for i, spec in enumerate(_ELEMENTWISE):
        every_dtype = first_of_its_name(spec) or spec in _OFF_CENTRE
        fills.append((spec, flat[(3 * i + 1) % len(flat)], every_dtype))
    for i, spec in enumerate(_CONSTANT):
        fills.append((spec, flat[(5 * i) % len(flat)], True))
    fills += [(spec, shape, True) for spec, shape in _DIRAC]
    fills += [(S("Identity"), shape, True) for shape in _IDENTITY_SHAPES]
    side = budget.orthogonal_side
    orthogonal_shapes = (
        (side, side),
        (side // 2, side * 2),
        (side * 2, side // 2),
        (side // 4, side // 8, 3, 3),
    )
    for k, gain in enumerate(_ORTHOGONAL_GAINS):
        for j, shape in enumerate(orthogonal_shapes):
            fills.append((S("Orthogonal", gain=gain), shape, j == 2 * k))
    for i, spec in enumerate(_SPARSE):
        fills.append((spec, budget.sparse_shapes[i % len(budget.sparse_shapes)],
                      first_of_its_name(spec)))
    return fills


def _law_kind(spec: Spec) -> str:
    if spec.name in ("Zero", "One", "Constant", "Identity", "Dirac"):
        return "exact"
    if spec.name == "Orthogonal":
        return "orthogonal"
    if spec.name == "Sparse":
        return "sparse"
    return "continuous"


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)


def _split_patterns(only) -> list[str] | None:
    if only is None:
        return None
    if isinstance(only, str):
        only = [only]
    patterns = [p.strip() for item in only for p in str(item).split(",") if p.strip()]
    if not patterns:
        raise ValueError(f"only must name at least one initializer or glob, got {only!r}")
    return patterns


def plan(
    backend,
    *,
    budget: str = "quick",
    seed: int = 0,
    only: Iterable[str] | str | None = None,
    dtypes: Iterable[str] | None = None,
    alpha: float = 1e-6,
    checks: Iterable[str] | None = None,
) -> list[Case]:
    """Every case of the battery for `backend`, in a stable order.

    only: initializer names or globs (case-insensitive; comma-separated strings
      allowed); capability checks (fans, gain, layer-default) are kept only when a
      pattern matches their name ("fans", "gain", "layer*").
    dtypes: a subset of ``backend.dtypes`` (default: all of them).
    checks: restrict to these check kinds.
    """
    from initcheck.results import CHECK_KINDS

    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {', '.join(BUDGETS)}, got {budget!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a float in (0, 1), got {alpha!r}")
    declared = tuple(backend.dtypes)
    if not declared:
        raise ValueError(f"backend {backend.name!r} declares no dtypes")
    if dtypes is None:
        chosen = declared
    else:
        chosen = tuple(dtypes) if not isinstance(dtypes, str) else tuple(
            d.strip() for d in dtypes.split(",") if d.strip()
        )
        unknown = [d for d in chosen if d not in declared]
        if unknown or not chosen:
            raise ValueError(
                f"dtypes {unknown or list(chosen)!r} not declared by backend "
                f"{backend.name!r}; it declares {', '.join(declared)}"
            )
        chosen = tuple(d for d in declared if d in chosen)  # backend order
    kinds = None
    if checks is not None:
        kinds = tuple(checks)
        bad = [k for k in kinds if k not in CHECK_KINDS]
        if bad:
            raise ValueError(f"unknown check kind(s) {bad}; known: {', '.join(CHECK_KINDS)}")
    patterns = _split_patterns(only)
    b = BUDGETS[budget]
    primary = _primary_dtype(chosen)
    cases: list[Case] = []
    run_args = f"--budget {budget} --seed {seed}"
    if chosen != declared:
        run_args += f" --dtypes {','.join(chosen)}"
    if alpha != 1e-6:
        run_args += f" --alpha {alpha!r}"

    def add(check, spec, shape, dtype, label, detail=None):
        if kinds is not None and check not in kinds:
            return
        fill_id = f"{label}|{shape_label(shape)}|{dtype or '-'}"
        case_id = f"{label}|{check}|{shape_label(shape)}|{dtype or '-'}"
        cases.append(
            Case(case_id, check, spec, tuple(shape) if shape else None, dtype,
                 derive_seed(seed, fill_id), budget, alpha, detail, run_args)
        )

    def wanted(name):
        return patterns is None or _matches(name, patterns)

    for spec, shape, all_dtypes in _spec_fills(b):
        if not wanted(spec.name):
            continue
        kind = _law_kind(spec)
        label = spec_label(spec)
        # `support` cannot fail a law with unbounded support (NaN/Inf are `finite`'s)
        bounded = kind != "continuous" or all(
            math.isfinite(b) for b in law_for(spec, shape, "float64").support)
        for dtype in chosen if all_dtypes else (primary,):
            for check in _PER_DTYPE[kind]:
                if check != "support" or bounded:
                    add(check, spec, shape, dtype, label)
            if kind != "exact" and dtype in _PRECISION_DTYPES:
                add("precision", spec, shape, dtype, label)
            if dtype == primary and all_dtypes:
                for check in _PER_SPEC[kind]:
                    add(check, spec, shape, dtype, label)
    if wanted("Orthogonal"):
        for gain in _ORTHOGONAL_GAINS:
            spec = S("Orthogonal", gain=gain)
            add("haar", spec, (_HAAR_SIDE, _HAAR_SIDE), primary, spec_label(spec))
    for spec, shape, reason in invalid_cases():
        if wanted(spec.name):
            add("rejects", spec, shape, primary, spec_label(spec), reason)
    if hasattr(backend, "fans") and wanted("fans"):
        add("fans", None, None, None, "fan_in_and_fan_out")
    if hasattr(backend, "gain") and wanted("gain"):
        add("gain", None, None, None, "gain")
    if hasattr(backend, "layer"):
        for kind, part in LAYER_PARTS:
            if wanted(kind) or wanted("layer-default"):
                shape = b.dense_shape if kind == "Dense" else b.conv2d_shape
                add("layer-default", None, shape, None, f"{kind}.{part}", f"{kind}.{part}")
    if patterns is not None:
        names = [*CATALOG, "fans", "gain", "Dense", "Conv2d", "layer-default"]
        unmatched = [p for p in patterns if not any(_matches(n, [p]) for n in names)]
        if unmatched or not cases:
            raise ValueError(
                f"--only {','.join(unmatched or patterns)!r} matches no initializer; the "
                f"catalog has {', '.join(CATALOG)} (and the capability checks fans, gain, "
                "Dense, Conv2d)"
            )
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):  # a battery-table bug, not a user error
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise AssertionError(f"battery has duplicate case ids: {dup[:5]}")
    return cases

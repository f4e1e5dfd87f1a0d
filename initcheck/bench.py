"""Fill speed across backends (SPEC §8): measure, compare, tabulate, plot.

What is timed is a backend's ``fill(spec, shape, dtype, seed)``: the common
interface every backend offers and what a harness (or a user who wants numpy
out) pays, adapter work included (seeding, a zero-copy or copying conversion to
numpy). Each case gets one untimed warm-up call (jax compiles per shape on first
use; every library has lazy first-call costs), then timed rounds, each with its
own seed. A round's result is released outside the timed region.

The *floor* is the time to write the same number of bytes with ``ndarray.fill``
into an array that is already allocated and touched, viewed as the unsigned
integer of the dtype's width: the machine's memory-write limit, free of any one
dtype's fill loop (ml_dtypes' bfloat16 ``fill`` is a slow generic loop) and of
page faults. Fills allocate fresh memory, so even a perfect constant fill costs
somewhat more than the floor.

Results are summarised by the *minimum* over rounds: on a shared machine the
minimum is the estimate least disturbed by other processes; mean, median and
spread are kept in the JSON.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import platform
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from initcheck.backends import DTYPES, BackendLoadError, load_backend
from initcheck.spec import CATALOG, REQUIRED, Spec, canonical_name

__all__ = [
    "DEFAULT_BACKENDS",
    "DEFAULT_DTYPES",
    "DEFAULT_SHAPES",
    "DEFAULT_SPECS",
    "FLOOR",
    "ORTHOGONAL_MAX_ELEMENTS",
    "BenchRun",
    "Case",
    "Measurement",
    "Row",
    "Skipped",
    "benchmark_json",
    "cases",
    "floor_setup",
    "format_table",
    "load_backends",
    "markdown_report",
    "parse_dtypes",
    "parse_initializers",
    "parse_sizes",
    "plot_throughput",
    "rounds_for",
    "run_bench",
    "short_spec",
    "skipped_lines",
    "summary_rows",
    "time_rounds",
    "write_report",
]

DEFAULT_BACKENDS = ("reference", "torch", "jax", "mindspore")

#: The hot fill paths of SPEC §8, with the parameter values a benchmark needs
#: (Sparse and Constant have a required parameter).
DEFAULT_SPECS = (
    Spec.make("Normal"),
    Spec.make("Uniform"),
    Spec.make("TruncatedNormal"),
    # The catalog default (sigma=0.01 on [-2, 2]) cuts nothing a float32 sampler can
    # return; sigma=1 truncates at 2 sigma, torch's trunc_normal_ defaults.
    Spec.make("TruncatedNormal", sigma=1.0),
    Spec.make("XavierUniform"),
    Spec.make("HeUniform"),
    Spec.make("VarianceScaling"),
    Spec.make("Orthogonal"),
    Spec.make("Sparse", sparsity=0.1),
    Spec.make("Constant", value=0.5),
)

#: Dense weights (out, in) from 1e4 to 1.6e7 elements; 1024x1024 is the size at
#: which Orthogonal is compared.
DEFAULT_SHAPES = ((100, 100), (400, 400), (1024, 1024), (2000, 2000), (4000, 4000))

DEFAULT_DTYPES = ("float32", "float16")

#: Orthogonal is a QR decomposition, O(n^3): 2000x2000 costs ~8x 1024x1024 and
#: 4000x4000 ~60x, which would dominate the run while telling nothing new.
ORTHOGONAL_MAX_ELEMENTS = 1024 * 1024

#: Backend name under which the memory-write floor is recorded.
FLOOR = "floor"

#: Backend name of a case left out for every backend (Orthogonal's size cap).
EVERY_BACKEND = "every backend"

#: Timed rounds of the floor, whatever --repeat says (it costs milliseconds).
FLOOR_ROUNDS = 20

#: Fewest timed rounds when --repeat allows it, however slow a call is.
MIN_ROUNDS = 3


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One thing to time: an initializer spec at a shape and dtype."""

    spec: Spec
    shape: tuple[int, ...]
    dtype: str

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.elements * _itemsize(self.dtype)

    @property
    def shape_text(self) -> str:
        return "x".join(map(str, self.shape))


def _itemsize(dtype: str) -> int:
    return {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}[dtype]


def cases(
    specs: Sequence[Spec], shapes: Sequence[tuple[int, ...]], dtypes: Sequence[str]
) -> tuple[list[Case], list[tuple[Case, str]]]:
    """The cases to time, and those left out on purpose with the reason."""
    chosen: list[Case] = []
    capped: list[tuple[Case, str]] = []
    for spec in specs:
        for dtype in dtypes:
            for shape in shapes:
                case = Case(spec, tuple(shape), dtype)
                if spec.name == "Orthogonal" and case.elements > ORTHOGONAL_MAX_ELEMENTS:
                    capped.append(
                        (
                            case,
                            "Orthogonal is capped at 1024x1024 elements "
                            "(a QR decomposition costs O(n^3))",
                        )
                    )
                else:
                    chosen.append(case)
    return chosen, capped


# ------------------------------------------------------------------ argument parsing


def shape_for_elements(elements: int) -> tuple[int, int]:
    """The most nearly square (out, in) with exactly `elements` elements."""
    if elements < 1:
        raise ValueError(f"a size must be a positive number of elements, got {elements}")
    rows = math.isqrt(elements)
    while elements % rows:
        rows -= 1
    return (rows, elements // rows)


def parse_sizes(text: str) -> list[tuple[int, ...]]:
    """``"1e4,1.6e7"`` (element counts, made near-square 2-D) or ``"100x100,4000x4000"``."""
    shapes: list[tuple[int, ...]] = []
    for item in _split_top_level(text):
        if "x" in item.lower():
            try:
                shape = tuple(int(part) for part in item.lower().split("x"))
            except ValueError:
                raise ValueError(
                    f"--sizes: {item!r} is not a shape like 1000x1000"
                ) from None
            if len(shape) < 2 or min(shape) < 1:
                raise ValueError(
                    f"--sizes: {item!r} must have at least two positive dimensions"
                )
            shapes.append(shape)
            continue
        try:
            value = float(item)
        except ValueError:
            raise ValueError(
                f"--sizes: {item!r} is neither an element count (1e6) nor a shape (1000x1000)"
            ) from None
        if not value.is_integer() or value < 1:
            raise ValueError(f"--sizes: {item!r} must be a positive whole number of elements")
        shapes.append(shape_for_elements(int(value)))
    if not shapes:
        raise ValueError(f"--sizes: no size given in {text!r}")
    return shapes


def parse_dtypes(text: str) -> list[str]:
    dtypes = _split_top_level(text)
    bad = [d for d in dtypes if d not in DTYPES]
    if bad or not dtypes:
        raise ValueError(f"--dtypes: {', '.join(bad) or repr(text)} not among {', '.join(DTYPES)}")
    return dtypes


def parse_initializers(text: str) -> list[Spec]:
    """Catalog names or aliases, or specs with parameters: ``"Normal,Sparse(sparsity=0.5)"``.

    A bare name takes the benchmark's default spec for it (``Sparse`` is
    ``Sparse(sparsity=0.1)``, ``Constant`` is ``Constant(value=0.5)``).
    """
    defaults: dict[str, Spec] = {}
    for spec in DEFAULT_SPECS:  # the first default spec of a name stands for it
        defaults.setdefault(spec.name, spec)
    specs: list[Spec] = []
    for item in _split_top_level(text):
        if "(" in item:
            try:
                specs.append(Spec.parse(item))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"--initializers: {exc}") from None
            continue
        try:
            name = canonical_name(item)
        except ValueError as exc:
            raise ValueError(f"--initializers: {exc}") from None
        specs.append(defaults.get(name) or Spec.make(name))
    if not specs:
        raise ValueError(f"--initializers: no initializer given in {text!r}")
    return specs


def short_spec(spec: Spec) -> str:
    """`spec` naming only the parameters that differ from the catalog's defaults:
    ``Sparse(sparsity=0.1)``, ``Normal``. `parse_initializers` reads it back."""
    defaults = CATALOG[spec.name]
    changed = [
        f"{k}={v!r}"
        for k, v in spec.params.items()
        if defaults[k] is REQUIRED or defaults[k] != v
    ]
    return f"{spec.name}({','.join(changed)})" if changed else spec.name


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses, dropping empty items."""
    items, depth, current = [], 0, []
    for char in text:
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        depth += char == "("
        depth -= char == ")"
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


# ------------------------------------------------------------------------- timing


def rounds_for(warm: float, *, repeat: int, max_time: float) -> int:
    """Timed rounds for a call whose warm-up took `warm` seconds: `repeat`, cut
    down to what fits in `max_time`, never below ``min(repeat, MIN_ROUNDS)``."""
    affordable = int(max_time / warm) if warm > 0 else repeat
    return min(repeat, max(MIN_ROUNDS, affordable))


def time_rounds(
    call: Callable[..., Any],
    setup: Callable[[int], tuple],
    *,
    repeat: int,
    max_time: float,
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """Seconds per timed call of ``call(*setup(i))``.

    One untimed warm-up call first (i = 0). Then ``repeat`` rounds, cut down for
    slow calls to what fits in `max_time` seconds, but never fewer than
    ``min(repeat, MIN_ROUNDS)``. `setup` runs outside the timed region.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    args = setup(0)
    start = clock()
    out = call(*args)
    warm = clock() - start
    del out
    rounds = rounds_for(warm, repeat=repeat, max_time=max_time)
    times = []
    for i in range(1, rounds + 1):
        args = setup(i)
        start = clock()
        out = call(*args)
        times.append(clock() - start)
        del out  # freeing the result is not part of the fill
    return times


def floor_setup(case: Case) -> tuple[Callable[[np.ndarray], None], Callable[[int], tuple]]:
    """``(call, setup)`` timing ``ndarray.fill`` over `case`'s bytes, already touched."""
    buffer = np.zeros(case.shape, dtype=np.dtype(f"u{_itemsize(case.dtype)}"))

    def call(array: np.ndarray) -> None:
        array.fill(1)

    return call, lambda i: (buffer,)


def _fill_setup(backend: Any, case: Case) -> tuple[Callable[..., Any], Callable[[int], tuple]]:
    spec, shape, dtype = case.spec, case.shape, case.dtype
    return backend.fill, lambda i: (spec, shape, dtype, i)


# ----------------------------------------------------------------------- a run


@dataclass
class Measurement:
    backend: str
    version: str
    case: Case
    times: list[float]

    @property
    def best(self) -> float:
        return min(self.times)


@dataclass(frozen=True)
class Skipped:
    backend: str
    case: Case | None
    reason: str


@dataclass
class BenchRun:
    measurements: list[Measurement] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: backend name -> why it could not be loaded
    unavailable: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    started: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    )

    def versions(self) -> dict[str, str]:
        """Backend -> version, the floor first, then backends in the order given."""
        found = {m.backend: m.version for m in self.measurements}
        order = [FLOOR, *self.settings.get("backends", ())]
        return {b: found[b] for b in sorted(found, key=lambda b: order.index(b) if b in order else len(order))}


def load_backends(names: Iterable[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Load each backend by name: (loaded, {name: why it could not be loaded}).

    A backend is listed under its own ``name`` (``mylib.init:Backend`` shows as
    what it calls itself), or under the name it was asked by if that is taken.
    """
    loaded: dict[str, Any] = {}
    unavailable: dict[str, str] = {}
    for name in names:
        try:
            backend = load_backend(name)
            own = str(getattr(backend, "name", "") or name)
            loaded[own if own not in loaded else name] = backend
        except BackendLoadError as exc:
            unavailable[name] = str(exc)
        except Exception as exc:  # a broken library must not stop the other backends
            unavailable[name] = f"{type(exc).__name__}: {exc}"
    return loaded, unavailable


def run_bench(
    backends: Mapping[str, Any],
    specs: Sequence[Spec] = DEFAULT_SPECS,
    shapes: Sequence[tuple[int, ...]] = DEFAULT_SHAPES,
    dtypes: Sequence[str] = DEFAULT_DTYPES,
    *,
    repeat: int = 10,
    max_time: float = 1.0,
    unavailable: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> BenchRun:
    """Time every backend on every case, and the floor for every (shape, dtype).

    A backend without the initializer (NotImplementedError), without the dtype,
    or raising on a case is recorded in ``skipped`` and the run goes on.
    """
    todo, capped = cases(specs, shapes, dtypes)
    run = BenchRun(
        unavailable=dict(unavailable or {}),
        settings={
            "repeat": repeat,
            "max_time": max_time,
            "min_rounds": MIN_ROUNDS,
            "statistic": "min",
            "timer": "time.perf_counter",
            "warmup_rounds": 1,
            "specs": [str(s) for s in specs],
            "shapes": [list(s) for s in shapes],
            "dtypes": list(dtypes),
            "backends": list(backends) + [n for n in (unavailable or {}) if n not in backends],
            "orthogonal_max_elements": ORTHOGONAL_MAX_ELEMENTS,
            "cpu_count": os.cpu_count(),
            "load_average_start": _load_average(),
        },
    )
    run.skipped.extend(Skipped(EVERY_BACKEND, case, reason) for case, reason in capped)
    total = len({(c.shape, c.dtype) for c in todo}) + len(todo) * len(backends)
    done = 0

    def report(name: str, case: Case, outcome: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            what = "ndarray.fill" if name == FLOOR else short_spec(case.spec)
            progress(f"[{done}/{total}] {name} {what} {case.dtype} {case.shape_text}: {outcome}")

    # Case by case, every backend in turn (and the floor just before the first
    # case of its shape and dtype): on a machine whose load drifts, the numbers
    # compared with each other are taken close together in time.
    floor_version = f"numpy {np.__version__}"
    floored: set[tuple[tuple[int, ...], str]] = set()
    versions = {name: str(getattr(b, "version", "?")) for name, b in backends.items()}
    for case in todo:
        if (case.shape, case.dtype) not in floored:
            floored.add((case.shape, case.dtype))
            floor_case = Case(Spec.make("Constant", value=1), case.shape, case.dtype)
            call, setup = floor_setup(floor_case)
            # The floor is cheap and every ratio leans on it: enough rounds for a
            # clean minimum even on a busy machine.
            times = time_rounds(call, setup, repeat=max(repeat, FLOOR_ROUNDS), max_time=max_time)
            run.measurements.append(Measurement(FLOOR, floor_version, floor_case, times))
            report(FLOOR, floor_case, _format_seconds(min(times)))
        for name, backend in backends.items():
            if case.dtype not in tuple(getattr(backend, "dtypes", ())):
                run.skipped.append(Skipped(name, case, f"{name} does not offer {case.dtype}"))
                report(name, case, "skipped")
                continue
            call, setup = _fill_setup(backend, case)
            try:
                times = time_rounds(call, setup, repeat=repeat, max_time=max_time)
            except NotImplementedError as exc:
                run.skipped.append(Skipped(name, case, f"not implemented: {exc}"))
                report(name, case, "not implemented")
                continue
            except Exception as exc:  # reported beside the results, the run goes on
                run.skipped.append(Skipped(name, case, f"raised {type(exc).__name__}: {exc}"))
                report(name, case, f"raised {type(exc).__name__}")
                continue
            run.measurements.append(Measurement(name, versions[name], case, times))
            report(name, case, _format_seconds(min(times)))
    run.settings["load_average_end"] = _load_average()
    return run


def _load_average() -> float | None:
    """The 1-minute load average: above the core count, others were competing for the CPU."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every platform
        return None


# ------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class Row:
    """One backend on one case, with the two ratios the table shows."""

    backend: str
    case: Case
    seconds: float
    #: elements per second
    throughput: float
    #: throughput / the best throughput of any *other* backend on the case (> 1: fastest)
    vs_best_other: float | None
    #: floor time / this time: 1.0 means writing at the memory-write limit
    floor_fraction: float | None


def summary_rows(run: BenchRun) -> list[Row]:
    """One row per measured (backend, case), the floor excluded; the rows of one
    case together, in backend order."""
    floors = {
        (m.case.shape, m.case.dtype): m.best for m in run.measurements if m.backend == FLOOR
    }
    by_case: dict[Case, list[Measurement]] = {}
    for m in run.measurements:
        if m.backend != FLOOR:
            by_case.setdefault(m.case, []).append(m)
    # Measurements come backend by backend; group them by initializer, dtype and
    # size, initializers and dtypes in the order they first appear.
    spec_order = {spec: i for i, spec in enumerate(dict.fromkeys(c.spec for c in by_case))}
    dtype_order = {d: i for i, d in enumerate(dict.fromkeys(c.dtype for c in by_case))}
    ordered = sorted(by_case, key=lambda c: (spec_order[c.spec], dtype_order[c.dtype], c.elements))
    rows = []
    for case in ordered:
        group = by_case[case]
        for m in group:
            others = [o.best for o in group if o.backend != m.backend]
            floor = floors.get((case.shape, case.dtype))
            rows.append(
                Row(
                    backend=m.backend,
                    case=case,
                    seconds=m.best,
                    throughput=case.elements / m.best,
                    vs_best_other=min(others) / m.best if others else None,
                    floor_fraction=floor / m.best if floor is not None else None,
                )
            )
    return rows


def _format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _format_ratio(value: float | None, suffix: str = "x") -> str:
    return "-" if value is None else f"{value:.2f}{suffix}"


TABLE_COLUMNS = (
    "initializer",
    "dtype",
    "shape",
    "backend",
    "time",
    "Melem/s",
    "vs best other",
    "of floor",
)


def _table_cells(row: Row) -> list[str]:
    return [
        short_spec(row.case.spec),
        row.case.dtype,
        row.case.shape_text,
        row.backend,
        _format_seconds(row.seconds),
        f"{row.throughput / 1e6:.4g}",
        _format_ratio(row.vs_best_other),
        "-" if row.floor_fraction is None else f"{100 * row.floor_fraction:.1f}%",
    ]


def format_table(rows: Sequence[Row]) -> str:
    """Plain-text table: one line per (initializer, dtype, shape, backend)."""
    body = [_table_cells(r) for r in rows]
    widths = [max([len(h)] + [len(line[i]) for line in body]) for i, h in enumerate(TABLE_COLUMNS)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(TABLE_COLUMNS, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in body]
    return "\n".join(lines)


def _markdown_table(header: Sequence[str], body: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def head_to_head(run: BenchRun) -> list[dict[str, Any]]:
    """The first measured backend against each other one, per initializer and dtype,
    at the largest shape the first backend measured (None where the other did not)."""
    rows = summary_rows(run)
    backends = list(dict.fromkeys(r.backend for r in rows))
    if not backends:
        return []
    focus = backends[0]
    index = {(r.backend, r.case): r for r in rows}
    out = []
    for spec in dict.fromkeys(r.case.spec for r in rows):
        for dtype in dict.fromkeys(r.case.dtype for r in rows):
            mine = [r for r in rows if r.backend == focus and r.case.spec == spec and r.case.dtype == dtype]
            if not mine:
                continue
            largest = max(mine, key=lambda r: r.case.elements)
            entry: dict[str, Any] = {
                "spec": spec,
                "dtype": dtype,
                "case": largest.case,
                "focus": focus,
                "floor_fraction": largest.floor_fraction,
                "throughput": largest.throughput,
                "vs": {},
            }
            for other in backends[1:]:
                theirs = index.get((other, largest.case))
                entry["vs"][other] = None if theirs is None else theirs.seconds / largest.seconds
            out.append(entry)
    return out


# ------------------------------------------------------------------------ JSON


def _stats(times: Sequence[float]) -> dict[str, Any]:
    from pytest_benchmark.stats import Stats

    stats = Stats()
    for t in times:
        stats.update(t)
    out = stats.as_dict()
    out["data"] = list(times)
    out["iterations"] = 1
    return out


def _machine_info() -> dict[str, Any]:
    try:
        from pytest_benchmark.plugin import pytest_benchmark_generate_machine_info

        return pytest_benchmark_generate_machine_info()
    except Exception as exc:  # cpuinfo can fail in odd sandboxes; the data still stands
        return {
            "node": platform.node(),
            "machine": platform.machine(),
            "python_version": platform.python_version(),
            "system": platform.system(),
            "error": repr(exc),
        }


def _commit_info() -> dict[str, Any]:
    from pytest_benchmark.utils import get_commit_info

    return get_commit_info("initcheck")


def benchmark_json(run: BenchRun, *, machine_info=None, commit_info=None) -> dict[str, Any]:
    """The run in pytest-benchmark's JSON layout (``pytest-benchmark compare FILE`` reads it).

    Benchmarks are grouped by initializer, dtype and shape so that ``compare``
    shows the backends of one case side by side; the floor has its own group
    per dtype and shape. initcheck's own settings and what was skipped sit
    under the extra top-level key ``initcheck``.
    """
    from pytest_benchmark import __version__ as pb_version

    entries = []
    for m in run.measurements:
        case = m.case
        # Named as benchmarks/ names its tests: fill[Normal-float32-100x100-torch]
        # and floor[float32-100x100].
        if m.backend == FLOOR:
            initializer, func, group = "ndarray.fill", "floor", f"floor {case.dtype} {case.shape_text}"
            param = f"{case.dtype}-{case.shape_text}"
        else:
            initializer, func = short_spec(case.spec), "fill"
            group = f"{initializer} {case.dtype} {case.shape_text}"
            param = f"{initializer}-{case.dtype}-{case.shape_text}-{m.backend}"
        entries.append(
            {
                "group": group,
                "name": f"{func}[{param}]",
                "fullname": f"initcheck bench::{func}[{param}]",
                "params": {
                    "backend": m.backend,
                    "initializer": initializer,
                    "dtype": case.dtype,
                    "shape": case.shape_text,
                },
                "param": param,
                "extra_info": {
                    "backend": m.backend,
                    "version": m.version,
                    "spec": "ndarray.fill" if m.backend == FLOOR else str(case.spec),
                    "dtype": case.dtype,
                    "shape": list(case.shape),
                    "elements": case.elements,
                    "bytes": case.nbytes,
                },
                "options": {
                    "disable_gc": False,
                    "timer": "perf_counter",
                    "min_rounds": min(run.settings.get("repeat", 1), MIN_ROUNDS),
                    "max_time": run.settings.get("max_time"),
                    "warmup": 1,
                },
                "stats": _stats(m.times),
            }
        )
    return {
        "machine_info": _machine_info() if machine_info is None else machine_info,
        "commit_info": _commit_info() if commit_info is None else commit_info,
        "benchmarks": entries,
        "datetime": run.started,
        "version": pb_version,
        "initcheck": {
            "schema": "initcheck-bench/1",
            "settings": run.settings,
            "unavailable": run.unavailable,
            "skipped": [
                {
                    "backend": s.backend,
                    "spec": None if s.case is None else str(s.case.spec),
                    "dtype": None if s.case is None else s.case.dtype,
                    "shape": None if s.case is None else list(s.case.shape),
                    "reason": s.reason,
                }
                for s in run.skipped
            ],
        },
    }


# ------------------------------------------------------------------------ plot

_LINESTYLES = ("-", "--", ":", "-.")


def plot_throughput(run: BenchRun, path) -> None:
    """Log-log throughput (elements/s) against size, one panel per initializer,
    one line per backend and dtype, the floor in black."""
    # A bare Figure, not pyplot: no global backend switch, no window, nothing to close.
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    rows = summary_rows(run)
    specs = list(dict.fromkeys(r.case.spec for r in rows))
    dtypes = list(dict.fromkeys(m.case.dtype for m in run.measurements))
    backends = list(dict.fromkeys(r.backend for r in rows))
    colours = {b: f"C{i}" for i, b in enumerate(backends)}
    styles = {d: _LINESTYLES[i % len(_LINESTYLES)] for i, d in enumerate(dtypes)}
    floors = [m for m in run.measurements if m.backend == FLOOR]

    ncols = min(3, max(1, len(specs)))
    nrows = max(1, math.ceil(len(specs) / ncols))
    fig = Figure(figsize=(4.2 * ncols, 3.4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    for ax, spec in zip(axes.flat, specs):
        for dtype in dtypes:
            points = sorted((m.case.elements, m.case.elements / m.best) for m in floors if m.case.dtype == dtype)
            if points:
                ax.plot(*zip(*points), color="black", linestyle=styles[dtype], linewidth=1, alpha=0.6)
            for backend in backends:
                points = sorted(
                    (r.case.elements, r.throughput)
                    for r in rows
                    if r.backend == backend and r.case.spec == spec and r.case.dtype == dtype
                )
                if points:
                    ax.plot(*zip(*points), color=colours[backend], linestyle=styles[dtype], marker="o", markersize=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(short_spec(spec), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes.flat[len(specs):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("elements")
    for ax in axes[:, 0]:
        ax.set_ylabel("elements / s")
    handles = [Line2D([], [], color=colours[b], marker="o", label=b) for b in backends]
    handles.append(Line2D([], [], color="black", alpha=0.6, label="floor (ndarray.fill)"))
    handles += [Line2D([], [], color="grey", linestyle=styles[d], label=d) for d in dtypes]
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------------- report


def markdown_report(run: BenchRun, *, command: str, plot: str | None, machine: str) -> str:
    """The Markdown page of a run: how to regenerate it, the plot, the ratios, the table."""
    rows = summary_rows(run)
    lines = [
        "# Fill-speed benchmark",
        "",
        "Regenerate this page (and the plot and JSON beside it) with:",
        "",
        "```",
        command,
        "```",
        "",
        f"Run {run.started} on {machine}.{_load_text(run.settings)}",
        "",
        "Timed: each backend's `fill(spec, shape, dtype, seed)` (adapter work included), "
        f"after one untimed warm-up call; the minimum of up to {run.settings.get('repeat')} "
        f"rounds (fewer, but at least {MIN_ROUNDS}, when a call is slow). "
        "*vs best other*: this backend's throughput over the best other backend's on the "
        "same case (> 1 means fastest). *of floor*: the time to write the same bytes with "
        "`ndarray.fill` into touched memory over this time (100% = memory-write limit). "
        f"Orthogonal stops at {ORTHOGONAL_MAX_ELEMENTS} elements (QR is O(n^3)).",
        "",
    ]
    versions = run.versions()
    if versions:
        lines += ["Versions: " + ", ".join(f"{b} {v}" for b, v in versions.items()) + ".", ""]
    if run.unavailable:
        lines += ["Not measured (could not be loaded):", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in run.unavailable.items()]
        lines.append("")
    if plot:
        lines += [f"![throughput against size]({plot})", ""]

    pairs = head_to_head(run)
    if pairs:
        focus = pairs[0]["focus"]
        others = list(pairs[0]["vs"])
        lines += [
            f"## {focus} against the others",
            "",
            f"At the largest size {focus} measured for each initializer. "
            f"*vs X*: X's time over {focus}'s (> 1 means {focus} is faster).",
            "",
        ]
        body = [
            [short_spec(p["spec"]), p["dtype"], p["case"].shape_text, f"{p['throughput'] / 1e6:.4g}"]
            + [_format_ratio(p["vs"][o]) for o in others]
            + ["-" if p["floor_fraction"] is None else f"{100 * p['floor_fraction']:.1f}%"]
            for p in pairs
        ]
        header = ["initializer", "dtype", "shape", f"{focus} Melem/s"]
        header += [f"vs {o}" for o in others] + ["of floor"]
        lines += [_markdown_table(header, body), ""]

    lines += ["## All measurements", "", _markdown_table(TABLE_COLUMNS, map(_table_cells, rows)), ""]
    floors = [m for m in run.measurements if m.backend == FLOOR]
    if floors:
        lines += ["## Floor: `ndarray.fill` over the same bytes", ""]
        lines.append(
            _markdown_table(
                ("dtype", "shape", "bytes", "time", "GB/s"),
                (
                    [m.case.dtype, m.case.shape_text, str(m.case.nbytes), _format_seconds(m.best), f"{m.case.nbytes / m.best / 1e9:.2f}"]
                    for m in floors
                ),
            )
        )
        lines.append("")
    notes = skipped_lines(run)
    if notes:
        lines += ["## Not measured", ""] + [f"- {line}" for line in notes] + [""]
    return "\n".join(lines)


def skipped_lines(run: BenchRun) -> list[str]:
    """What was not measured, one line per backend and reason, naming the cases."""
    grouped: dict[tuple[str, str], list[Case]] = {}
    for s in run.skipped:
        grouped.setdefault((s.backend, s.reason), []).append(s.case)
    lines = []
    for (backend, reason), group in grouped.items():
        where = ", ".join(f"{short_spec(c.spec)} {c.dtype} {c.shape_text}" for c in group if c is not None)
        lines.append(f"{backend}: {reason}" + (f" [{where}]" if where else ""))
    return lines


def _load_text(settings: Mapping[str, Any]) -> str:
    start, end = settings.get("load_average_start"), settings.get("load_average_end")
    if start is None or end is None:
        return ""
    text = f" Load average {start} at the start, {end} at the end"
    cores = settings.get("cpu_count")
    if cores and max(start, end) > cores:
        text += f" (above the {cores} cores: other processes competed, timings are noisy)"
    return text + "."


def machine_summary(machine_info: Mapping[str, Any]) -> str:
    cpu = machine_info.get("cpu") or {}
    brand = cpu.get("brand_raw") or machine_info.get("processor") or machine_info.get("machine", "?")
    cores = cpu.get("count")
    return f"{brand}" + (f", {cores} cores" if cores else "") + f", Python {machine_info.get('python_version', '?')}"


def write_report(run: BenchRun, directory, *, command: str) -> dict[str, str]:
    """Write ``bench.json``, ``bench.png`` and ``bench.md`` into `directory`."""
    import json
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data = benchmark_json(run)
    paths = {
        "json": directory / "bench.json",
        "png": directory / "bench.png",
        "md": directory / "bench.md",
    }
    paths["json"].write_text(json.dumps(data, indent=2) + "\n")
    plot_throughput(run, paths["png"])
    paths["md"].write_text(
        markdown_report(run, command=command, plot=paths["png"].name, machine=machine_summary(data["machine_info"]))
    )
    return {k: str(v) for k, v in paths.items()}

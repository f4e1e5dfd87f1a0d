"""``initcheck bench``: fill throughput per backend, initializer, size and dtype,
beside the machine's memory-write floor (SPEC §7, §8)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from initcheck import bench
from initcheck.backends import available_backends

HELP = "time fills across backends beside the memory-write floor"

DESCRIPTION = """\
Time each backend's fill(spec, shape, dtype, seed) per initializer, size and
dtype, and ndarray.fill over the same bytes (the floor). Prints elements per
second, the ratio to the fastest other backend and the fraction of the floor.
A backend that cannot be loaded is reported and the others still run."""

EPILOG = """\
examples:
  initcheck bench                                   # every built-in backend, default sizes
  initcheck bench --backends reference,torch --sizes 1e6,1.6e7 --initializers Normal
  initcheck bench --report reports                  # regenerate reports/bench.{md,png,json}
  pytest-benchmark compare reports/bench.json       # read the JSON with pytest-benchmark

exit status: 0 when the run finished with at least one backend measured,
2 for a usage error or when no backend could be loaded."""

_DEFAULTS = {
    "backends": ",".join(bench.DEFAULT_BACKENDS),
    "sizes": ",".join("x".join(map(str, s)) for s in bench.DEFAULT_SHAPES),
    "initializers": ",".join(map(bench.short_spec, bench.DEFAULT_SPECS)),
    "dtypes": ",".join(bench.DEFAULT_DTYPES),
    "repeat": 10,
    "max_time": 1.0,
}


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--backends", metavar="NAMES", default=_DEFAULTS["backends"],
        help="comma-separated backend names (entry points or package.module:attr); "
        "the first is compared against the others in the report. Default: %(default)s")
    add("--sizes", metavar="SIZES", default=_DEFAULTS["sizes"],
        help="comma-separated element counts (1e6: made a near-square 2-D shape) or "
        f"shapes (1000x1000). Orthogonal stops at {bench.ORTHOGONAL_MAX_ELEMENTS} elements. "
        "Default: %(default)s")
    add("--initializers", metavar="SPECS", default=_DEFAULTS["initializers"],
        help="comma-separated catalog names or specs, e.g. 'Normal,Sparse(sparsity=0.5)'. "
        "Default: %(default)s")
    add("--dtypes", metavar="DTYPES", default=_DEFAULTS["dtypes"],
        help="comma-separated dtypes among float16, bfloat16, float32, float64. "
        "Default: %(default)s")
    add("--repeat", metavar="N", type=int, default=_DEFAULTS["repeat"],
        help="timed rounds per case after one warm-up; slow cases run fewer "
        f"(at least {bench.MIN_ROUNDS}, or N if smaller). Default: %(default)s")
    add("--max-time", metavar="SECONDS", type=float, default=_DEFAULTS["max_time"],
        help="time one case may take before its rounds are cut down. Default: %(default)s")
    add("--report", metavar="DIR", default=None,
        help="write bench.md, bench.png and bench.json (pytest-benchmark layout) into DIR")
    add("--json", metavar="FILE", default=None,
        help="write the results in pytest-benchmark's JSON layout to FILE")
    add("--quiet", action="store_true", help="no per-case progress lines on stderr")


def command_line(args: argparse.Namespace) -> str:
    """The command that repeats this run, naming only options that differ from defaults."""
    words = ["initcheck", "bench"]
    for key in ("backends", "sizes", "initializers", "dtypes", "repeat", "max_time"):
        value = getattr(args, key)
        if value != _DEFAULTS[key]:
            words += [f"--{key.replace('_', '-')}", str(value)]
    if args.report:
        words += ["--report", args.report]
    return shlex.join(words)


def _usage_error(message: str) -> int:
    print(f"initcheck bench: {message}", file=sys.stderr)
    return 2


def main(args: argparse.Namespace) -> int:
    try:
        shapes = bench.parse_sizes(args.sizes)
        specs = bench.parse_initializers(args.initializers)
        dtypes = bench.parse_dtypes(args.dtypes)
    except ValueError as exc:
        return _usage_error(str(exc))
    if args.repeat < 1:
        return _usage_error(f"--repeat must be >= 1, got {args.repeat}")
    if not args.max_time > 0:
        return _usage_error(f"--max-time must be > 0, got {args.max_time}")
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    if not names:
        return _usage_error(f"--backends: no backend named in {args.backends!r}")

    loaded, unavailable = bench.load_backends(names)
    for name, reason in unavailable.items():
        print(f"initcheck bench: backend {name!r} not measured: {reason}", file=sys.stderr)
    if not loaded:
        return _usage_error(
            "no backend could be loaded; registered: "
            + ", ".join(sorted(available_backends()))
        )

    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    run = bench.run_bench(
        loaded, specs, shapes, dtypes,
        repeat=args.repeat, max_time=args.max_time,
        unavailable=unavailable, progress=progress,
    )
    print(bench.format_table(bench.summary_rows(run)))
    for line in bench.skipped_lines(run):
        print(f"not measured: {line}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(bench.benchmark_json(run), fh, indent=2)
            fh.write("\n")
    if args.report:
        paths = bench.write_report(run, args.report, command=command_line(args))
        print(f"report: {paths['md']} (plot {paths['png']}, data {paths['json']})")
    return 0

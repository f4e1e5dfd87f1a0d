"""``initcheck compare``: the battery on several backends, one matrix (SPEC §7).

Each backend runs the same battery (same budget, seed and alpha); the results are
folded into one table, initializers x backends (`initcheck.conformance`). A
registered backend whose library cannot be imported is a ``not installed``
column, not a crash; a name that is neither registered nor ``module:attr`` is a
usage error (exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

from initcheck.backends import BackendLoadError, available_backends, load_backend
from initcheck.results import BUDGET_NAMES

HELP = "run the battery on several backends and print one matrix"
DESCRIPTION = """Run the conformance battery on several backends and print one matrix:
initializers x backends, each cell passed, failed (with the failing check kinds and
dtypes), not provided, error, or not installed."""
EPILOG = """exit status: 0 every loaded backend passed every check it provides,
1 a check failed or errored, 2 usage error (unknown backend name, bad option).

--markdown FILE: when FILE already holds a generated matrix (between the
'initcheck compare' markers), only that section is replaced, so hand-written
findings around it survive regeneration.

examples:
  initcheck compare --backends reference,torch,jax,mindspore
  initcheck compare --backends torch,jax --budget standard --markdown matrix.md"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backends", metavar="A,B,...", required=True,
                        help="comma-separated entry-point names or package.module:attr")
    parser.add_argument("--budget", choices=BUDGET_NAMES, default="quick",
                        help="samples per statistical check. Default: quick")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="run seed, the same for every backend. Default: 0")
    parser.add_argument("--alpha", metavar="A", type=float, default=1e-6,
                        help="false-failure rate per statistical check. Default: 1e-06")
    parser.add_argument("--only", metavar="NAMES", default=None,
                        help="comma-separated initializer names or globs. Default: all")
    parser.add_argument("--markdown", metavar="FILE", default=None,
                        help="write the matrix as Markdown (splicing into FILE's "
                             "generated section when it has one)")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="write every backend's report and the matrix as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _usage(message: str) -> int:
    print(f"initcheck compare: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _parse_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def _validate(args, names: list[str]) -> str | None:
    if not names:
        return f"--backends must name at least one backend, got {args.backends!r}"
    registered = available_backends()
    unknown = [n for n in names if ":" not in n and n not in registered]
    if unknown:
        return (f"unknown backend {unknown[0]!r}; registered backends: "
                f"{', '.join(sorted(registered)) or 'none'} (or name your own as "
                "package.module:attr)")
    if not 0 < args.alpha < 1:
        return f"--alpha must be in (0, 1), got {args.alpha!r}"
    if args.seed < 0:
        return f"--seed must be >= 0, got {args.seed!r}"
    for option in ("markdown", "json"):
        path = getattr(args, option)
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            return f"--{option} {path!r}: directory does not exist"
    return None


def _progress(name: str, quiet: bool):
    if quiet:
        return None
    interactive = sys.stderr.isatty()

    def show(done: int, total: int, result) -> None:
        if interactive or done == total:
            end = "\n" if done == total else ""
            print(f"\r{name}: {done}/{total} checks", end=end, file=sys.stderr, flush=True)

    return show


def run_columns(names: list[str], *, budget: str, seed: int, alpha: float, only=None,
                quiet: bool = True):
    """One `Column` per backend name: its battery report and wall time, or why it
    could not be loaded. ValueError when `only` selects nothing for a backend."""
    from initcheck.conformance import Column
    from initcheck.runner import run_battery

    columns = []
    for name in names:
        try:
            backend = load_backend(name)
        except BackendLoadError as exc:
            columns.append(Column(name, load_error=str(exc)))
            continue
        start = time.perf_counter()
        report = run_battery(backend, budget=budget, seed=seed, alpha=alpha, only=only,
                             progress=_progress(name, quiet), backend_ref=name)
        columns.append(Column(str(backend.name), str(backend.version), report,
                              seconds=time.perf_counter() - start))
    return columns


def _command_line(args) -> str:
    parts = ["initcheck", "compare", "--backends", args.backends]
    if args.budget != "quick":
        parts += ["--budget", args.budget]
    if args.seed:
        parts += ["--seed", str(args.seed)]
    if args.alpha != 1e-6:
        parts += ["--alpha", repr(args.alpha)]
    if args.only:
        parts += ["--only", args.only]
    if args.markdown:
        parts += ["--markdown", args.markdown]
    return shlex.join(parts)


def _write_json(path, columns, rows) -> None:
    data = {
        "schema": "initcheck-compare/1",
        "backends": [
            {"name": c.name, "version": c.version, "seconds": c.seconds,
             "load_error": c.load_error,
             "report": c.report.to_json() if c.report is not None else None}
            for c in columns
        ],
        "matrix": {
            c.name: {row: cell.text() for row, cell in c.cells().items()}
            for c in columns if c.report is not None
        },
        "rows": rows,
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, allow_nan=False)
        fh.write("\n")


def main(args) -> int:
    from initcheck.conformance import matrix_rows, render_markdown, render_text, splice_markdown

    names = _parse_names(args.backends)
    problem = _validate(args, names)
    if problem:
        return _usage(problem)
    try:
        columns = run_columns(names, budget=args.budget, seed=args.seed, alpha=args.alpha,
                              only=args.only, quiet=args.quiet)
    except ValueError as exc:  # --only matching nothing
        return _usage(str(exc))
    print(render_text(columns))
    if args.markdown:
        generated = render_markdown(columns, command=_command_line(args))
        existing = ""
        if os.path.exists(args.markdown):
            with open(args.markdown, encoding="utf-8") as fh:
                existing = fh.read()
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(splice_markdown(existing, generated))
    if args.json:
        _write_json(args.json, columns, matrix_rows(columns))
    ok = all(c.report is None or c.report.ok for c in columns)
    return EXIT_OK if ok else EXIT_FAILED

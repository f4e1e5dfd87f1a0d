"""``initcheck run``: run the battery against one backend (SPEC §7).

Structure: `main` validates everything that can be validated before any work
(usage errors, an unwritable report directory, a backend that cannot be loaded,
a selection that matches nothing -> exit 2), plans the cases (`select_cases`),
runs them (`execute`: in this process, or in worker processes for --timeout and
--isolate), explains the failures in words and prints the summary table
(`print_summary`), then writes --json and --report. Exit 0 when every check
passed or was not provided, 1 when one failed or errored, 130 after Ctrl-C (the
results so far are still printed and written, marked incomplete).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from typing import TYPE_CHECKING, Callable

from initcheck.backends import BackendLoadError, available_backends, load_backend
from initcheck.results import BUDGET_NAMES

if TYPE_CHECKING:
    from initcheck.battery import Case
    from initcheck.results import CheckResult, Report

# the battery (scipy.stats) is imported only once a run starts, so that usage
# errors and --help answer at once
PLOT_CHOICES = ("failed", "all", "none")

HELP = "run the conformance battery against a backend"
DESCRIPTION = """Run the conformance battery against a backend: every initializer of the
catalog with several parameter settings, shapes and dtypes, through structural,
statistical and capability checks (SPEC §6). Failures are explained in words, with
the statistic, its threshold and a command that re-runs exactly that check."""
EPILOG = """exit status: 0 all checks passed (checks the backend does not provide are
skipped), 1 a check failed or errored, 2 usage error or a backend that cannot be
loaded, 130 interrupted (the results so far are written, marked incomplete).

examples:
  initcheck run
  initcheck run --backend torch --only 'He*,Sparse' --budget standard --json out.json
  initcheck run --backend mypkg.init:MyBackend --dtypes float32 --report report/
  initcheck run --backend mindspore --isolate --timeout 60
  initcheck run --budget standard --explain     what can this budget detect?"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: Failures explained in full on the terminal; the rest are counted (all of them are
#: in --json and --report).
MAX_EXPLAINED = 25
#: Distinct fills re-drawn to explain failures in words (each costs one fill).
MAX_DIAGNOSED_FILLS = 40
#: The progress bar appears only for runs that last longer than this (seconds).
PROGRESS_DELAY_S = 2.0

#: Registered backends and the extra that installs their library.
_EXTRAS = {"torch": "torch", "jax": "jax", "mindspore": "mindspore"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", metavar="NAME", default="reference",
                        help="entry-point name or package.module:attr. Default: reference")
    parser.add_argument("--only", metavar="NAMES", default=None,
                        help="comma-separated initializer names or globs, e.g. 'He*,Sparse' "
                             "(also fans, gain, Dense, Conv2d). Default: all")
    parser.add_argument("--dtypes", metavar="DTYPES", default=None,
                        help="comma-separated dtypes among those the backend declares. "
                             "Default: all it declares")
    parser.add_argument("--budget", choices=BUDGET_NAMES, default="quick",
                        help="samples per statistical check: quick ~1e5, standard ~1e6, "
                             "thorough ~1e7. Default: quick")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="run seed; every check's seed derives from it. Default: 0")
    parser.add_argument("--alpha", metavar="A", type=float, default=1e-6,
                        help="false-failure rate per statistical check. Default: 1e-06")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="write the report as JSON (schema initcheck-report/1)")
    parser.add_argument("--report", metavar="DIR", default=None,
                        help="write DIR/report.json, DIR/report.md and plots "
                             "(histogram and QQ plot against the law, Gram-matrix heat map) "
                             "of failing checks")
    parser.add_argument("--plots", choices=PLOT_CHOICES, default="failed",
                        help="with --report: plot failing checks, all statistical checks, "
                             "or none. Default: failed")
    parser.add_argument("--case", metavar="ID", action="append", default=None,
                        help="run only the case with this id (repeatable); "
                             "failures print the command to re-run them")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=None,
                        help="stop a check after SECONDS and record it as an error "
                             "(checks then run in a worker process). Default: no limit")
    parser.add_argument("--isolate", action="store_true",
                        help="run each initializer's checks in a worker process of its own, "
                             "so that a crash of the backend (even a segfault) is recorded "
                             "and the run goes on")
    parser.add_argument("--explain", action="store_true",
                        help="print the smallest errors this budget's statistical checks "
                             "catch (measured by simulation, ~1 s) and exit")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar, no table: only failures and the final counts")


def _usage(message: str) -> int:
    print(f"initcheck run: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _load_error_message(name: str, exc: Exception) -> str:
    names = ", ".join(sorted(available_backends())) or "none"
    text = f"{exc}\navailable backends: {names} (see `initcheck list`)"
    if name in _EXTRAS:
        text += f"\nto install it: pip install 'initcheck[{_EXTRAS[name]}]'"
    elif ":" in name:
        text += ("\nname your own backend as package.module:attr, with the module "
                 "importable (on PYTHONPATH)")
    return text


def _validate(args) -> str | None:
    """The first usage error in `args`, in words; None when they are usable."""
    if args.alpha is None or not 0 < args.alpha < 1:
        return f"--alpha must be in (0, 1), got {args.alpha!r}"
    if args.seed < 0:
        return f"--seed must be >= 0, got {args.seed!r}"
    if args.timeout is not None and not args.timeout > 0:
        return f"--timeout must be > 0 seconds, got {args.timeout!r}"
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        return f"--json {args.json!r}: directory does not exist"
    if args.plots != "failed" and not args.report:
        return f"--plots {args.plots} needs --report DIR (plots are written there)"
    if args.report:
        from initcheck.report import check_writable

        try:
            check_writable(args.report)
        except OSError as exc:
            return f"--report: {exc}"
    return None


def select_cases(args, backend) -> list[Case]:
    """The cases to run; ValueError with a user-facing message when the
    selection is invalid."""
    from initcheck.battery import plan

    dtypes = args.dtypes.split(",") if args.dtypes else None
    if args.case:
        if args.only:
            raise ValueError("--case and --only cannot be combined")
        everything = plan(backend, budget=args.budget, seed=args.seed, dtypes=dtypes,
                          alpha=args.alpha)
        by_id = {c.id: c for c in everything}
        unknown = [i for i in args.case if i not in by_id]
        if unknown:
            hints = difflib.get_close_matches(unknown[0], list(by_id), n=3)
            hint = f"; did you mean {', '.join(repr(h) for h in hints)}?" if hints else ""
            raise ValueError(f"no case with id {unknown[0]!r} in this battery "
                             f"(budget {args.budget}, backend {backend.name}){hint}")
        return [by_id[i] for i in dict.fromkeys(args.case)]
    return plan(backend, budget=args.budget, seed=args.seed, only=args.only, dtypes=dtypes,
                alpha=args.alpha)


def _progress_bar(total: int, quiet: bool):
    """A tqdm bar on stderr, shown only on a terminal and only once the run has
    lasted PROGRESS_DELAY_S; None when there is to be no bar."""
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional: no bar, same run
        return None
    return tqdm(total=total, file=sys.stderr, unit="check", delay=PROGRESS_DELAY_S,
                dynamic_ncols=True, leave=False)


def execute(args, backend, cases: list[Case], report: Report,
            diagnoses: dict[str, str], *, progress: Callable | None = None) -> None:
    """Run `cases`, appending each result to `report` as it arrives (so that an
    interrupted run keeps what it has). Worker processes run the checks when
    --timeout or --isolate ask for it; they explain failures as they go."""
    done = 0

    def record(result: CheckResult, diagnosis: str | None = None) -> None:
        nonlocal done
        report.results.append(result)
        if diagnosis:
            diagnoses[result.id] = diagnosis
        done += 1
        if progress is not None:
            progress(done, len(cases), result)

    if args.isolate or args.timeout is not None:
        from initcheck.isolate import run_isolated

        run_isolated(args.backend, cases, timeout=args.timeout, isolate=args.isolate,
                     on_result=record)
        return
    from initcheck.runner import FillCache, run_case

    cache = FillCache()
    for case in cases:
        record(run_case(backend, case, cache=cache, backend_ref=args.backend))


def diagnose_failures(backend, report: Report, diagnoses: dict[str, str]) -> None:
    """Explain failed checks in words (`initcheck.diagnose`), re-drawing each
    failing fill once; checks of one fill share its diagnosis."""
    from initcheck.diagnose import DIAGNOSED_CHECKS, diagnose_result

    by_fill: dict[tuple, str | None] = {}
    for r in report.results:
        if r.outcome != "failed" or r.check not in DIAGNOSED_CHECKS or r.id in diagnoses:
            continue
        key = (r.spec, tuple(r.shape or ()), r.dtype, r.seed)
        if key not in by_fill:
            if len(by_fill) >= MAX_DIAGNOSED_FILLS:
                continue
            by_fill[key] = diagnose_result(backend, r)
        if by_fill[key]:
            diagnoses[r.id] = by_fill[key]


def print_summary(report: Report, diagnoses: dict[str, str], *, backend_ref: str,
                  quiet: bool = False, file=None) -> None:
    from initcheck import present

    out = file or sys.stdout
    bad = present.failures(report)
    explained_fills = set()
    for r in bad[:MAX_EXPLAINED]:
        # checks of one fill share its diagnosis: say it once
        fill = (r.spec, tuple(r.shape or ()), r.dtype, r.seed)
        diagnosis = diagnoses.get(r.id) if fill not in explained_fills else None
        if diagnosis:
            explained_fills.add(fill)
        print(present.explain(r, diagnosis, backend_ref), file=out)
    if len(bad) > MAX_EXPLAINED:
        print(f"... and {len(bad) - MAX_EXPLAINED} more failures and errors "
              "(all of them are in --json FILE and --report DIR)", file=out)
    if not quiet:
        reasons: dict[str, str] = {}
        for r in report.results:
            if r.outcome == "skipped":
                reasons.setdefault(r.initializer, r.message)
        for name, msg in reasons.items():
            print(f"NOT PROVIDED {name}: {msg}", file=out)
        if report.results:
            print("", present.summary_table(report), present.LEGEND, "", sep="\n", file=out)
    s = report.summary
    settings = report.settings
    print(
        f"{report.backend_name} {report.backend_version}: {s['passed']} passed, "
        f"{s['failed']} failed, {s['errors']} errors, {s['skipped']} skipped "
        f"({len(report.results)} checks, budget {settings.get('budget')}, seed "
        f"{settings.get('seed')}, alpha {settings.get('alpha')} per check, family-wise "
        f"false-failure rate {settings.get('familywise_rate', 0):.2g})"
        + (" -- INCOMPLETE: interrupted" if report.incomplete else ""),
        file=out,
    )


def write_outputs(args, backend, report: Report, diagnoses: dict[str, str]) -> str | None:
    """Write --json and --report; the error in words if one cannot be written."""
    if args.json:
        try:
            report.write_json(args.json)
        except OSError as exc:
            return f"cannot write --json {args.json!r}: {exc}"
    if args.report:
        from initcheck.report import write_report

        try:
            written = write_report(report, args.report, backend=backend, plots=args.plots,
                                   diagnoses=diagnoses)
        except OSError as exc:
            return f"cannot write --report {args.report!r}: {exc}"
        print(f"report written to {written['markdown']}", file=sys.stderr)
    return None


def explain_budget(args) -> int:
    from initcheck.power import detection_floors, format_table

    rows = detection_floors(args.budget, alpha=args.alpha, fast=True)
    print(f"Smallest errors the {args.budget} budget's statistical checks catch in at least "
          f"99% of fills (n = {rows[0].n} values per fill, alpha = {args.alpha:g} per check; "
          f"measured by simulating {rows[0].repeats} fills per error size):\n")
    print(format_table(rows))
    return EXIT_OK


def main(args) -> int:
    problem = _validate(args)
    if problem:
        return _usage(problem)
    if args.explain:
        return explain_budget(args)
    try:
        backend = load_backend(args.backend)
    except BackendLoadError as exc:
        return _usage(_load_error_message(args.backend, exc))
    try:
        cases = select_cases(args, backend)
    except ValueError as exc:
        return _usage(str(exc))

    from initcheck.results import Report
    from initcheck.runner import battery_settings

    report = Report(
        backend_name=str(backend.name),
        backend_version=str(getattr(backend, "version", "")),
        settings=battery_settings(cases, budget=args.budget, seed=args.seed, alpha=args.alpha),
    )
    diagnoses: dict[str, str] = {}
    bar = _progress_bar(len(cases), args.quiet)
    status = None
    try:
        execute(args, backend, cases, report, diagnoses,
                progress=(lambda done, total, result: bar.update(1)) if bar else None)
    except KeyboardInterrupt:
        report.incomplete = True
        status = EXIT_INTERRUPTED
        print(f"initcheck: interrupted after {len(report.results)} of {len(cases)} checks; "
              "writing the results so far", file=sys.stderr)
    finally:
        if bar is not None:
            bar.close()
    if status is None and not (args.isolate or args.timeout is not None):
        # (worker processes explain their failures themselves: re-drawing a fill
        # here would expose this process to the backend they isolate it from)
        diagnose_failures(backend, report, diagnoses)
    print_summary(report, diagnoses, backend_ref=args.backend, quiet=args.quiet)
    problem = write_outputs(args, backend if status is None else None, report, diagnoses)
    if problem:
        return _usage(problem)
    if status is not None:
        return status
    return EXIT_OK if report.ok else EXIT_FAILED

"""``initcheck run``: run the battery against one backend (SPEC §7).

Structure: `main` parses and validates (usage errors -> exit 2), loads the
backend (failure -> exit 2 with the list of backends), plans the cases
(`select_cases`), runs them (`execute`) and prints the summary
(`print_summary`); exit 0 when every check passed or was skipped, else 1.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys

from typing import TYPE_CHECKING

from initcheck.backends import BackendLoadError, available_backends, load_backend

if TYPE_CHECKING:
    from initcheck.battery import Case
    from initcheck.results import Report

# the battery (scipy.stats) is imported only once a run starts, so that usage
# errors and --help answer at once
BUDGET_NAMES = ("quick", "standard", "thorough")

HELP = "run the conformance battery against a backend"
DESCRIPTION = """Run the conformance battery against a backend: every initializer of the
catalog with several parameter settings, shapes and dtypes, through structural,
statistical and capability checks (SPEC §6)."""
EPILOG = """exit status: 0 all checks passed (skips allowed), 1 a check failed or
errored, 2 usage error or a backend that cannot be loaded.

examples:
  initcheck run
  initcheck run --backend torch --only 'He*,Sparse' --budget standard --json out.json
  initcheck run --backend mypkg.init:MyBackend --dtypes float32"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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
    parser.add_argument("--case", metavar="ID", action="append", default=None,
                        help="run only the case with this id (repeatable); "
                             "failures print the command to re-run them")
    parser.add_argument("--quiet", action="store_true",
                        help="print only failures and the final counts")


def _usage(message: str) -> int:
    print(f"initcheck run: error: {message}", file=sys.stderr)
    return EXIT_USAGE


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


def execute(args, backend, cases: list[Case], *, progress=None) -> Report:
    """Run `cases`; `progress(done, total, result)` is called after each."""
    from initcheck.runner import run_battery

    return run_battery(backend, budget=args.budget, seed=args.seed, alpha=args.alpha,
                       cases=cases, progress=progress, backend_ref=args.backend)


def print_summary(report: Report, *, quiet: bool = False, file=None) -> None:
    out = file or sys.stdout
    bad = [r for r in report.results if r.outcome in ("failed", "error")]
    for r in bad:
        print(f"{r.outcome.upper()} {r.id}\n  {r.message}\n  repro: {r.repro}", file=out)
    if not quiet:
        skipped = [r for r in report.results if r.outcome == "skipped"]
        reasons = {}
        for r in skipped:
            reasons.setdefault(r.initializer, r.message)
        for name, msg in reasons.items():
            print(f"SKIPPED {name}: {msg}", file=out)
    s = report.summary
    settings = report.settings
    print(
        f"{report.backend_name} {report.backend_version}: {s['passed']} passed, "
        f"{s['failed']} failed, {s['errors']} errors, {s['skipped']} skipped "
        f"({len(report.results)} checks, budget {settings.get('budget')}, seed "
        f"{settings.get('seed')}, alpha {settings.get('alpha')} per check, family-wise "
        f"false-failure rate {settings.get('familywise_rate', 0):.2g})",
        file=out,
    )


def main(args) -> int:
    if args.alpha is None or not 0 < args.alpha < 1:
        return _usage(f"--alpha must be in (0, 1), got {args.alpha!r}")
    if args.seed < 0:
        return _usage(f"--seed must be >= 0, got {args.seed!r}")
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        return _usage(f"--json {args.json!r}: directory does not exist")
    try:
        backend = load_backend(args.backend)
    except BackendLoadError as exc:
        names = ", ".join(sorted(available_backends())) or "none"
        return _usage(f"{exc}\n"
                      f"available backends: {names}")
    try:
        cases = select_cases(args, backend)
    except ValueError as exc:
        return _usage(str(exc))
    report = execute(args, backend, cases)
    if args.json:
        try:
            report.write_json(args.json)
        except OSError as exc:
            print_summary(report, quiet=args.quiet)
            return _usage(f"cannot write --json {args.json!r}: {exc}")
    print_summary(report, quiet=args.quiet)
    return EXIT_OK if report.ok else EXIT_FAILED

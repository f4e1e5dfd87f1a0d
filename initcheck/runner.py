"""Running cases robustly: one `CheckResult` per case, whatever the backend does.

A backend exception on a valid input is an ``error`` outcome and the run goes
on; ``NotImplementedError`` is ``skipped`` with its reason; a wrong shape or
dtype is a failed check, not a crash. Only KeyboardInterrupt (and SystemExit)
stop a run. Fills are cached per (spec, shape, dtype, seed), so the checks of
one fill share it.
"""

from __future__ import annotations

import shlex
import traceback
from collections import OrderedDict
from typing import Callable, Iterable

from initcheck import statistics
from initcheck.battery import Case, plan
from initcheck.checks import CHECKS, BackendRaised, CheckContext, Unreadable, Verdict
from initcheck.results import CheckResult, Report

__all__ = ["FillCache", "case_result", "repro_command", "run_battery", "run_case", "STATISTICAL_CHECKS"]

#: Check kinds whose verdict has a false-failure rate (alpha); the others are
#: exact and cannot fail a correct backend.
STATISTICAL_CHECKS = frozenset(
    ("ks", "mean", "variance", "tails", "haar", "sparsity", "seed", "independence",
     "precision", "layer-default")
)


class FillCache(OrderedDict):
    """Least-recently-used fills (the battery plans each fill's checks together,
    so a couple of fills and their laws suffice and thorough fills do not pile
    up)."""

    def __init__(self, maxsize: int = 4):
        super().__init__()
        self.maxsize = maxsize

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


def repro_command(case: Case, backend_ref: str) -> str:
    """A one-line shell command that re-runs exactly `case`."""
    args = f" {case.run_args}" if case.run_args else ""
    return f"initcheck run --backend {shlex.quote(backend_ref)}{args} --case {shlex.quote(case.id)}"


def _context_text(backend, case: Case) -> str:
    parts = [str(getattr(backend, "name", "backend"))]
    if case.spec is not None:
        parts.append(str(case.spec))
    elif case.detail:
        parts.append(case.detail)
    if case.shape is not None:
        parts.append(f"shape={tuple(case.shape)}")
    if case.dtype is not None:
        parts.append(case.dtype)
    parts.append(f"seed={case.seed}")
    return "[" + " ".join(parts) + "]"


def _verdict(backend, case: Case, cache) -> Verdict:
    check = CHECKS[case.check]
    try:
        return check(CheckContext(backend, case, cache))
    except BackendRaised as raised:
        exc = raised.exc
        if isinstance(exc, NotImplementedError):
            return Verdict("skipped", f"not implemented by the backend: {exc}".rstrip(": "))
        return Verdict("error", f"the backend raised on a valid input in {raised.what}: "
                                f"{type(exc).__name__}: {exc}")
    except Unreadable as exc:
        return Verdict("failed", str(exc))


def run_case(backend, case: Case, *, cache=None, backend_ref: str | None = None) -> CheckResult:
    """Run one case. Never raises, except KeyboardInterrupt/SystemExit."""
    try:
        verdict = _verdict(backend, case, cache)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # a bug in initcheck itself: report, keep going
        where = traceback.extract_tb(exc.__traceback__)[-1]
        verdict = Verdict(
            "error",
            f"initcheck internal error in the {case.check} check: {type(exc).__name__}: {exc} "
            f"(at {where.filename}:{where.lineno})",
        )
    return case_result(case, verdict, context=_context_text(backend, case),
                       backend_ref=backend_ref or str(getattr(backend, "name", "backend")))


def case_result(case: Case, verdict: Verdict, *, context: str = "", backend_ref: str) -> CheckResult:
    """The CheckResult of `case` with `verdict`; `context` (e.g. "[backend spec
    shape dtype seed]") is appended to the message."""
    spec = case.spec
    label = case.detail or case.check
    return CheckResult(
        id=case.id,
        spec=str(spec) if spec is not None else label,
        initializer=spec.name if spec is not None else label,
        params=spec.params if spec is not None else {},
        shape=list(case.shape) if case.shape is not None else None,
        dtype=case.dtype,
        check=case.check,
        outcome=verdict.outcome,
        statistic=None if verdict.statistic is None else float(verdict.statistic),
        threshold=None if verdict.threshold is None else float(verdict.threshold),
        n=None if verdict.n is None else int(verdict.n),
        seed=int(case.seed),
        detectable=verdict.detectable,
        message=f"{verdict.message} {context}".rstrip(),
        repro=repro_command(case, backend_ref),
    )


def battery_settings(cases: list[Case], *, budget: str, seed: int, alpha: float) -> dict:
    """Report.settings: budget, seed, per-check alpha and the family-wise rate
    (the chance that a correct backend fails at least one statistical check)."""
    alphas = [c.alpha for c in cases if c.check in STATISTICAL_CHECKS]
    return {
        "budget": budget,
        "seed": seed,
        "alpha": alpha,
        "familywise_rate": statistics.familywise_rate(alphas) if alphas else 0.0,
        "statistical_checks": len(alphas),
        "cases": len(cases),
    }


def run_battery(
    backend,
    *,
    budget: str = "quick",
    seed: int = 0,
    only: Iterable[str] | str | None = None,
    dtypes: Iterable[str] | None = None,
    alpha: float = 1e-6,
    progress: Callable[[int, int, CheckResult], None] | None = None,
    cases: list[Case] | None = None,
    backend_ref: str | None = None,
) -> Report:
    """Plan (unless `cases` is given) and run the battery; return the Report.

    progress(done, total, result) is called after each case. On
    KeyboardInterrupt the interrupt propagates; run `run_cases` yourself to
    keep the partial report.
    """
    if cases is None:
        cases = plan(backend, budget=budget, seed=seed, only=only, dtypes=dtypes, alpha=alpha)
    report = Report(
        backend_name=str(backend.name),
        backend_version=str(getattr(backend, "version", "")),
        settings=battery_settings(cases, budget=budget, seed=seed, alpha=alpha),
    )
    cache = FillCache()
    total = len(cases)
    for done, case in enumerate(cases, 1):
        result = run_case(backend, case, cache=cache, backend_ref=backend_ref)
        report.results.append(result)
        if progress is not None:
            progress(done, total, result)
    return report

"""What a person reads after a run: the summary table and failure explanations.

The same text serves the terminal (``initcheck run``), ``report.md`` and pytest
failure messages, so a failure reads the same wherever it is met.
"""

from __future__ import annotations

import math
import shlex
from typing import Iterable

from initcheck.results import CHECK_KINDS, CheckResult, Report
from initcheck.spec import CATALOG

__all__ = [
    "CELL",
    "LEGEND",
    "cell",
    "explain",
    "failures",
    "headline",
    "matrix",
    "repro_command",
    "summary_line",
    "summary_table",
]

#: Column headers: short enough that ~16 kinds fit a 132-column terminal.
SHORT_KIND = {
    "shape": "shape", "dtype": "dtype", "finite": "finit", "support": "supp",
    "exact": "exact", "ks": "ks", "mean": "mean", "variance": "var", "tails": "tails",
    "orthogonal": "orth", "haar": "haar", "sparsity": "spars", "determinism": "determ",
    "seed": "seed", "independence": "indep", "precision": "prec", "fans": "fans",
    "gain": "gain", "rejects": "reject", "layer-default": "layer",
}
assert set(SHORT_KIND) == set(CHECK_KINDS)

#: Cell text per aggregate outcome.
CELL = {"passed": "ok", "failed": "FAIL", "error": "ERR", "skipped": "n/p", None: "."}
LEGEND = ("ok = passed, FAIL = failed, ERR = the backend raised, "
          "n/p = not provided by the backend (skipped), . = not applicable")

#: Row label for checks of the backend as a whole (fans, gain, layer defaults).
BACKEND_ROW = "(backend)"


def cell(results: Iterable[CheckResult]) -> str | None:
    """The aggregate outcome of several results of one kind: the worst wins
    (failed > error > passed > skipped); None when there are none."""
    outcomes = {r.outcome for r in results}
    for outcome in ("failed", "error", "passed", "skipped"):
        if outcome in outcomes:
            return outcome
    return None


#: Row label for the `rejects` checks of names outside the catalog.
UNKNOWN_NAMES_ROW = "(unknown names)"


def _row_label(result: CheckResult) -> str:
    if result.check == "rejects" and result.initializer not in CATALOG:
        return UNKNOWN_NAMES_ROW
    return result.initializer or BACKEND_ROW


def _row_order(label: str) -> tuple[int, str]:
    names = list(CATALOG)
    return (names.index(label), label) if label in names else (len(names), label)


def matrix(report: Report) -> tuple[list[str], list[str], dict[tuple[str, str], str | None]]:
    """``(rows, kinds, outcome)``: initializers (catalog order), the check kinds that
    ran (report order), and the aggregate outcome of each (row, kind)."""
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for r in report.results:
        groups.setdefault((_row_label(r), r.check), []).append(r)
    rows = sorted({row for row, _ in groups}, key=_row_order)
    kinds = [k for k in CHECK_KINDS if any(kind == k for _, kind in groups)]
    return rows, kinds, {key: cell(rs) for key, rs in groups.items()}


def summary_table(report: Report) -> str:
    """A plain-text table: one row per initializer, one column per check kind.

    >>> from initcheck.results import CheckResult, Report
    >>> r = [CheckResult("a", "Normal()", "Normal", {}, [4], "float32", k, o)
    ...      for k, o in (("ks", "passed"), ("mean", "failed"))]
    >>> print(summary_table(Report("toy", "1", {}, r)))
    initializer  ks  mean
    Normal       ok  FAIL
    """
    rows, kinds, outcome = matrix(report)
    if not rows:
        return "(no checks ran)"
    headers = ["initializer"] + [SHORT_KIND[k] for k in kinds]
    body = [[row] + [CELL[outcome.get((row, k))] for k in kinds] for row in rows]
    widths = [max(len(line[i]) for line in [headers] + body) for i in range(len(headers))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(line, widths)).rstrip()
             for line in [headers] + body]
    return "\n".join(lines)


def summary_line(report: Report) -> str:
    """``412 passed, 3 failed, 0 errors, 20 skipped (alpha=1e-06 per check)``."""
    s = report.summary
    text = (f"{s['passed']} passed, {s['failed']} failed, {s['errors']} errors, "
            f"{s['skipped']} skipped")
    alpha = report.settings.get("alpha")
    if alpha is not None:
        text += f" (alpha={alpha:g} per check)"
    if report.incomplete:
        text += " -- INCOMPLETE: the run was interrupted"
    return text


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    return f"{x:.4g}"


def headline(result: CheckResult) -> str:
    """``FAILED HeUniform|ks|160x640|float32``: the outcome and the check's id."""
    label = {"failed": "FAILED", "error": "ERROR", "skipped": "SKIPPED", "passed": "PASSED"}
    return f"{label[result.outcome]} {result.id}"


def repro_command(result: CheckResult, backend: str | None = None) -> str | None:
    """The one-line command that re-runs exactly this check: the result's own
    ``repro`` when the runner set one, else ``initcheck run --case``."""
    if result.repro:
        return result.repro
    if backend is None:
        return None
    parts = ["initcheck", "run", "--backend", backend, "--case", result.id]
    if result.seed is not None:
        parts += ["--seed", str(result.seed)]
    return " ".join(shlex.quote(p) for p in parts)


def explain(result: CheckResult, diagnosis: str | None = None,
            backend: str | None = None) -> str:
    """A failure or error, in words: what was checked, what was seen (`diagnosis`,
    from `initcheck.diagnose`), the statistic against its threshold, the smallest
    effect the check detects, and the command that reproduces it.

    >>> from initcheck.results import CheckResult
    >>> r = CheckResult("HeNormal()|variance|(128, 32)|float32", "HeNormal()", "HeNormal",
    ...     {}, [128, 32], "float32", "variance", "failed", statistic=41.0, threshold=4.9,
    ...     n=4096, detectable="std off by >= 3.1%", message="std 0.125, law 0.25",
    ...     repro="initcheck run --case 'HeNormal()|variance|(128, 32)|float32'")
    >>> print(explain(r, "std is 0.5x the law's: looks like fan_in and fan_out swapped"))
    FAILED HeNormal()|variance|(128, 32)|float32
      std is 0.5x the law's: looks like fan_in and fan_out swapped
      std 0.125, law 0.25
      statistic 41 > threshold 4.9 (n=4096; detects std off by >= 3.1%)
      repro: initcheck run --case 'HeNormal()|variance|(128, 32)|float32'
    """
    lines = [headline(result)]
    if diagnosis:
        lines.append(diagnosis)
    if result.message and result.message != diagnosis:
        lines.extend(result.message.splitlines())
    if result.statistic is not None and result.threshold is not None:
        relation = ">" if result.outcome == "failed" else "vs"
        stat = f"statistic {_fmt(result.statistic)} {relation} threshold {_fmt(result.threshold)}"
        extra = [f"n={result.n}"] if result.n is not None else []
        if result.detectable:
            extra.append(f"detects {result.detectable}")
        if extra:
            stat += f" ({'; '.join(extra)})"
        lines.append(stat)
    command = repro_command(result, backend)
    if command:
        lines.append(f"repro: {command}")
    return "\n  ".join(lines)


def failures(report: Report) -> list[CheckResult]:
    """The results a person must read: failed ones, then errors, in run order."""
    return ([r for r in report.results if r.outcome == "failed"]
            + [r for r in report.results if r.outcome == "error"])

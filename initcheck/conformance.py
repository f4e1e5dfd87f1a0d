"""The conformance matrix: initializers x backends, one verdict per cell (SPEC §7).

Each backend's battery `Report` is folded into one `Cell` per row. Rows are the
catalog initializers (every parameter setting, shape and dtype of one initializer
together, `rejects` cases included) followed by the capability rows ``fans``,
``gain``, ``layer Dense`` and ``layer Conv2d`` and, for the rejects check's
unknown alias strings, ``(unknown aliases)``. A cell is

- ``passed``: every check that ran passed (some specs or dtypes may be not provided;
  the cell then says how many checks were);
- ``failed``: the failing check kinds, each with the dtypes it failed in;
- ``error``: the backend raised on a valid input (and nothing failed);
- ``not provided``: the backend has no equivalent (every check skipped);
- ``not installed``: the whole backend could not be loaded;
- blank: the battery has no check of this row for this backend (e.g. no ``layer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from initcheck.results import CHECK_KINDS, CheckResult, Report
from initcheck.spec import CATALOG

__all__ = [
    "Cell",
    "Column",
    "MARKDOWN_BEGIN",
    "MARKDOWN_END",
    "cell_for",
    "matrix_rows",
    "render_markdown",
    "render_text",
    "row_label",
    "splice_markdown",
]

CAPABILITY_ROWS = ("fans", "gain", "layer Dense", "layer Conv2d")
UNKNOWN_ALIAS_ROW = "(unknown aliases)"
MARKDOWN_BEGIN = "<!-- initcheck compare: begin generated matrix -->"
MARKDOWN_END = "<!-- initcheck compare: end generated matrix -->"


def row_label(result: CheckResult) -> str:
    """The matrix row of `result`."""
    if result.check in ("fans", "gain"):
        return result.check
    if result.check == "layer-default":
        return "layer " + result.initializer.split(".", 1)[0]
    if result.initializer in CATALOG:
        return result.initializer
    return UNKNOWN_ALIAS_ROW


@dataclass
class Cell:
    """The verdict of one backend on one row."""

    outcome: str
    #: failing check kind -> dtypes it failed in (``-`` for dtype-less checks)
    failing: dict[str, list[str]] = field(default_factory=dict)
    checks: int = 0
    skipped: int = 0
    errors: int = 0

    def text(self) -> str:
        if self.outcome == "failed":
            kinds = ", ".join(
                kind + (f" [{', '.join(d for d in dts if d != '-')}]"
                        if any(d != "-" for d in dts) else "")
                for kind, dts in self.failing.items()
            )
            text = f"failed: {kinds}"
        else:
            text = self.outcome
        if self.outcome in ("passed", "failed") and self.skipped:
            text += f" ({self.skipped}/{self.checks} not provided)"
        if self.outcome == "failed" and self.errors:
            text += f" ({self.errors} errors)"
        return text


_DTYPE_ORDER = ("float16", "bfloat16", "float32", "float64", "-")
# Checks the battery runs on every dtype; the others run once (on the primary
# dtype), so naming their dtype in a cell would only be noise.
_PER_DTYPE_KINDS = frozenset((
    "shape", "dtype", "finite", "support", "exact", "ks", "mean", "variance", "tails",
    "orthogonal", "sparsity", "precision",
))


def _dtype_order(dtype: str) -> int:
    return _DTYPE_ORDER.index(dtype) if dtype in _DTYPE_ORDER else len(_DTYPE_ORDER)


def cell_for(results: list[CheckResult]) -> Cell:
    """Fold the results of one row into its cell."""
    outcomes = [r.outcome for r in results]
    failing: dict[str, list[str]] = {}
    for kind in CHECK_KINDS:
        dtypes = sorted(
            {(r.dtype or "-") if kind in _PER_DTYPE_KINDS else "-"
             for r in results if r.check == kind and r.outcome == "failed"},
            key=_dtype_order,
        )
        if dtypes:
            failing[kind] = dtypes
    if failing:
        outcome = "failed"
    elif "error" in outcomes:
        outcome = "error"
    elif "passed" in outcomes:
        outcome = "passed"
    else:
        outcome = "not provided"
    return Cell(
        outcome,
        failing,
        checks=len(results),
        skipped=outcomes.count("skipped"),
        errors=outcomes.count("error"),
    )


@dataclass
class Column:
    """One backend of the comparison: its report, or why it could not be loaded."""

    name: str
    version: str = ""
    report: Report | None = None
    load_error: str | None = None
    seconds: float | None = None

    @property
    def header(self) -> str:
        return f"{self.name} {self.version}".strip()

    def cells(self) -> dict[str, Cell]:
        if self.report is None:
            return {}
        groups: dict[str, list[CheckResult]] = {}
        for r in self.report.results:
            groups.setdefault(row_label(r), []).append(r)
        return {row: cell_for(rs) for row, rs in groups.items()}


def matrix_rows(columns: list[Column]) -> list[str]:
    """Rows in catalog order, then capabilities, then unknown aliases: those any column has."""
    present = {row for c in columns for row in c.cells()}
    order = [*CATALOG, *CAPABILITY_ROWS, UNKNOWN_ALIAS_ROW]
    return [row for row in order if row in present]


def _table(columns: list[Column]) -> tuple[list[str], list[list[str]]]:
    headers = ["initializer"] + [c.header for c in columns]
    cells = [c.cells() for c in columns]
    body = []
    for row in matrix_rows(columns):
        line = [row]
        for column, column_cells in zip(columns, cells):
            if column.report is None:
                line.append("not installed")
            else:
                found = column_cells.get(row)
                line.append(found.text() if found else "")
        body.append(line)
    return headers, body


def _totals(column: Column) -> str:
    if column.report is None:
        return f"not installed: {column.load_error}"
    s = column.report.summary
    text = (f"{s['passed']} passed, {s['failed']} failed, {s['errors']} errors, "
            f"{s['skipped']} not provided")
    if column.seconds is not None:
        text += f" in {column.seconds:.0f} s"
    return text


def render_text(columns: list[Column]) -> str:
    """The matrix as an aligned plain-text table, then one total line per backend."""
    headers, body = _table(columns)
    if not body:
        return "(no checks ran)"
    widths = [max(len(line[i]) for line in [headers] + body) for i in range(len(headers))]
    lines = ["  ".join(t.ljust(w) for t, w in zip(line, widths)).rstrip()
             for line in [headers] + body]
    lines.append("")
    lines += [f"{c.header}: {_totals(c)}" for c in columns]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(columns: list[Column], *, command: str | None = None) -> str:
    """The matrix as a Markdown section (between the splice markers)."""
    headers, body = _table(columns)
    settings = next((c.report.settings for c in columns if c.report is not None), {})
    out = [MARKDOWN_BEGIN, ""]
    if command:
        out += [f"Generated by `{command}`.", ""]
    if settings:
        out += [
            f"Budget `{settings.get('budget')}`, seed {settings.get('seed')}, "
            f"alpha {settings.get('alpha'):g} per statistical check.",
            "",
        ]
    out.append("| " + " | ".join(_md(h) for h in headers) + " |")
    out.append("|" + "---|" * len(headers))
    out += ["| " + " | ".join(_md(t) for t in line) + " |" for line in body]
    out += ["", "| backend | totals |", "|---|---|"]
    out += [f"| {_md(c.header)} | {_md(_totals(c))} |" for c in columns]
    out += [
        "",
        "Cells: `passed` (every check that ran passed; \"k/n not provided\" counts the "
        "checks whose spec or dtype the backend has no equivalent for), `failed: kind "
        "[dtypes]` (the failing check kinds and the dtypes they failed in), `not "
        "provided` (no equivalent at all), `error` (the backend raised on a valid "
        "input), `not installed` (the library cannot be imported); blank: no such "
        "check for this backend.",
        "",
        MARKDOWN_END,
    ]
    return "\n".join(out) + "\n"


def splice_markdown(existing: str, generated: str) -> str:
    """`existing` with its generated section replaced by `generated`; `generated`
    alone when `existing` has no (complete) generated section."""
    begin = existing.find(MARKDOWN_BEGIN)
    end = existing.find(MARKDOWN_END, begin + 1) if begin >= 0 else -1
    if begin < 0 or end < 0:
        return generated
    tail = existing[end + len(MARKDOWN_END):]
    if tail.startswith("\n"):
        tail = tail[1:]
    return existing[:begin] + generated + tail

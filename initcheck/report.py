"""``--report DIR``: the JSON report, a Markdown page and plots of failing checks.

Layout of DIR::

    report.json     the run (schema initcheck-report/1, the same as --json)
    report.md       summary, the initializer x check matrix, every failure with its
                    numbers, its explanation, its reproduce command and its plots
    plots/*.png     one per failing fill (or per fill with ``plots="all"``)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from initcheck import present
from initcheck.results import CheckResult, Report

__all__ = ["PLOT_CHOICES", "check_writable", "write_markdown", "write_report"]

#: ``failed``: plots for failing checks only; ``all``: for every plotted check;
#: ``none``: no plots (and no matplotlib).
PLOT_CHOICES = ("failed", "all", "none")


def check_writable(directory) -> Path:
    """Create `directory` if needed and prove a file can be written there, before any
    work is done; raise OSError with a message naming the directory otherwise."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".initcheck-probe-"):
            pass
    except OSError as exc:
        raise OSError(f"cannot write the report to {str(path)!r}: "
                      f"{exc.strerror or exc}") from None
    return path


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _matrix_markdown(report: Report) -> list[str]:
    rows, kinds, outcome = present.matrix(report)
    if not rows:
        return ["(no checks ran)"]
    lines = ["| initializer | " + " | ".join(kinds) + " |",
             "|---|" + "---|" * len(kinds)]
    for row in rows:
        cells = []
        for k in kinds:
            text = present.CELL[outcome.get((row, k))]
            cells.append(f"**{text}**" if text in ("FAIL", "ERR") else text)
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    lines += ["", present.LEGEND]
    return lines


def _result_markdown(result: CheckResult, diagnosis: str | None,
                     plot: str | None, backend_name: str) -> list[str]:
    lines = [f"### {_md_escape(present.headline(result))}", ""]
    if diagnosis:
        lines += [f"**{diagnosis}**", ""]
    if result.message:
        lines += [result.message, ""]
    def number(x):
        return None if x is None else f"{x:.6g}"

    table = [("check id", f"`{result.id}`"), ("seed", result.seed),
             ("statistic", number(result.statistic)), ("threshold", number(result.threshold)),
             ("sample size", result.n), ("detects", result.detectable)]
    present_rows = [(k, v) for k, v in table if v is not None]
    if present_rows:
        lines += ["| | |", "|---|---|"]
        lines += [f"| {k} | {_md_escape(str(v))} |" for k, v in present_rows]
        lines.append("")
    command = present.repro_command(result, backend_name)
    if command:
        lines += ["Reproduce:", "", "```sh", command, "```", ""]
    if plot:
        lines += [f"![{_md_escape(result.check)} plot of {_md_escape(result.spec)}]({plot})", ""]
    return lines


def write_markdown(report: Report, path, *, diagnoses: Mapping[str, str] | None = None,
                   plots: Mapping[str, str] | None = None) -> Path:
    """Write the Markdown page of `report` to `path`.

    `diagnoses`: result id -> explanation in words; `plots`: result id -> plot path
    relative to the page.
    """
    diagnoses = diagnoses or {}
    plots = plots or {}
    settings = report.settings
    lines = [f"# initcheck report: {report.backend_name} {report.backend_version}", ""]
    if report.incomplete:
        lines += ["> **Incomplete**: the run was interrupted; only the checks that "
                  "finished are listed.", ""]
    lines += [
        f"**{present.summary_line(report)}**", "",
        "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), "",
        "## Checks by initializer", "",
        *_matrix_markdown(report), "",
    ]
    bad = present.failures(report)
    lines += ["## Failures", ""]
    if not bad:
        lines += ["None: every check passed or was not provided by the backend.", ""]
    for result in bad:
        lines += _result_markdown(result, diagnoses.get(result.id), plots.get(result.id),
                                  report.backend_name)
    others = [r for r in report.results if r.id in plots and r.outcome not in ("failed", "error")]
    if others:
        lines += ["## Plots of other checks", ""]
        for result in others:
            lines += [f"### {_md_escape(present.headline(result))}", "",
                      f"![{_md_escape(result.check)} plot]({plots[result.id]})", ""]
    path = Path(path)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_report(report: Report, directory, *, backend: Any = None, plots: str = "failed",
                 diagnoses: Mapping[str, str] | None = None,
                 progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write report.json, report.md and (with a `backend` to re-draw fills from)
    plots into `directory`. Returns the paths written, by role."""
    if plots not in PLOT_CHOICES:
        raise ValueError(f"plots must be one of {PLOT_CHOICES}, got {plots!r}")
    directory = check_writable(directory)
    written = {"json": directory / "report.json", "markdown": directory / "report.md"}
    report.write_json(written["json"])
    plot_paths: dict[str, str] = {}
    if backend is not None and plots != "none":
        from initcheck.plots import PLOTTED_CHECKS, plot_result

        wanted = [r for r in report.results if r.check in PLOTTED_CHECKS and (
            r.outcome == "failed" if plots == "failed" else r.outcome in ("failed", "passed"))]
        for i, result in enumerate(wanted):
            if progress is not None:
                progress(f"plot {i + 1}/{len(wanted)}")
            png = plot_result(backend, result, directory / "plots")
            if png is not None:
                plot_paths[result.id] = os.path.relpath(png, directory).replace(os.sep, "/")
                written.setdefault("plots", directory / "plots")
    write_markdown(report, written["markdown"], diagnoses=diagnoses, plots=plot_paths)
    return written

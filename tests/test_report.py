"""--report DIR: report.json, report.md and plots (initcheck.report, initcheck.plots)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import broken_backends as bb
from independent_backend import NumpyBackend
from initcheck.report import check_writable, write_markdown, write_report
from initcheck.results import SCHEMA, CheckResult, Report
from initcheck.runner import run_battery

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def hand_made_report() -> Report:
    return Report("toy", "0.1", {"budget": "quick", "seed": 0, "alpha": 1e-6}, [
        CheckResult("Normal|ks|8x4|float32", "Normal(sigma=0.01, mean=0.0)", "Normal",
                    {"sigma": 0.01, "mean": 0.0}, [8, 4], "float32", "ks", "failed",
                    statistic=0.31, threshold=0.05, n=32, seed=3,
                    detectable="CDF off by >= 0.06 somewhere", message="KS distance 0.31 > 0.05",
                    repro="initcheck run --backend toy --case 'Normal|ks|8x4|float32'"),
        CheckResult("Normal|mean|8x4|float32", "Normal(sigma=0.01, mean=0.0)", "Normal",
                    {"sigma": 0.01, "mean": 0.0}, [8, 4], "float32", "mean", "passed"),
        CheckResult("Zero|exact|8x4|float32", "Zero()", "Zero", {}, [8, 4], "float32",
                    "exact", "error", message="the backend raised: RuntimeError: boom"),
    ], incomplete=True)


def test_markdown_has_summary_matrix_failures_numbers_and_repro(tmp_path):
    page = write_markdown(hand_made_report(), tmp_path / "report.md",
                          diagnoses={"Normal|ks|8x4|float32": "std is 2x the law's"})
    text = page.read_text()
    assert text.startswith("# initcheck report: toy 0.1")
    assert "**Incomplete**" in text
    assert "1 passed, 1 failed, 1 errors, 0 skipped" in text
    assert "| initializer | exact | ks | mean |" in text
    assert "| Normal | . | **FAIL** | ok |" in text
    assert "| Zero | **ERR** | . | . |" in text
    failure = text.split("### FAILED Normal\\|ks\\|8x4\\|float32")[1]
    assert "**std is 2x the law's**" in failure
    assert "| statistic | 0.31 |" in failure and "| threshold | 0.05 |" in failure
    assert "| sample size | 32 |" in failure
    assert "initcheck run --backend toy --case 'Normal|ks|8x4|float32'" in failure
    assert "### ERROR Zero\\|exact\\|8x4\\|float32" in text and "RuntimeError: boom" in text


def test_report_json_follows_the_schema_and_round_trips(tmp_path):
    written = write_report(hand_made_report(), tmp_path / "out")
    data = json.loads(written["json"].read_text())
    assert data["schema"] == SCHEMA and data["incomplete"] is True
    assert data["summary"] == {"passed": 1, "failed": 1, "skipped": 0, "errors": 1}
    assert Report.from_json(data).results == hand_made_report().results
    assert written["markdown"].exists()
    assert not (tmp_path / "out" / "plots").exists()  # no backend: nothing to re-draw


@pytest.fixture(scope="module")
def swapped_fans_report():
    backend = bb.FansSwapped()
    report = run_battery(backend, only="HeNormal", dtypes=["float32"], seed=1)
    report.results = [r for r in report.results
                      if r.check in ("ks", "variance", "determinism")][:6]
    return backend, report


def test_plots_are_drawn_for_failed_statistical_checks_and_linked(tmp_path, swapped_fans_report):
    backend, report = swapped_fans_report
    failed = [r for r in report.results if r.outcome == "failed"]
    assert failed, "the swapped-fans backend must fail its statistical checks"
    written = write_report(report, tmp_path, backend=backend)
    text = written["markdown"].read_text()
    pngs = sorted((tmp_path / "plots").glob("*.png"))
    # one plot per failing fill: the ks and variance checks of a fill share it
    fills = {(r.spec, tuple(r.shape), r.seed) for r in failed}
    assert len(pngs) == len(fills)
    for png in pngs:
        assert png.read_bytes().startswith(PNG_MAGIC)
        assert f"](plots/{png.name})" in text


def test_plots_all_draws_passing_checks_too(tmp_path):
    backend = NumpyBackend()
    report = run_battery(backend, only="Uniform", dtypes=["float32"], seed=2)
    report.results = [r for r in report.results if r.check == "ks"][:1]
    assert report.results[0].outcome == "passed"
    write_report(report, tmp_path / "failed-only", backend=backend)
    assert not (tmp_path / "failed-only" / "plots").exists()
    written = write_report(report, tmp_path / "all", backend=backend, plots="all")
    assert len(list((tmp_path / "all" / "plots").glob("*.png"))) == 1
    assert "## Plots of other checks" in written["markdown"].read_text()
    with pytest.raises(ValueError, match="plots must be one of"):
        write_report(report, tmp_path / "x", plots="some")


def test_gram_heat_map_for_an_orthogonal_failure(tmp_path):
    backend = bb.OrthogonalGainIgnored()
    report = run_battery(backend, only="Orthogonal", dtypes=["float32"], seed=3)
    report.results = [r for r in report.results
                      if r.check == "orthogonal" and r.outcome == "failed"][:1]
    assert report.results, "a gain-ignoring Orthogonal must fail the orthogonal check"
    write_report(report, tmp_path, backend=backend)
    (png,) = (tmp_path / "plots").glob("Orthogonal-*.png")
    assert png.read_bytes().startswith(PNG_MAGIC)


def test_an_unwritable_report_directory_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match="cannot write the report to .*a-file/sub"):
        check_writable(blocker / "sub")
    assert check_writable(tmp_path / "new" / "dir").is_dir()


def test_matplotlib_is_imported_only_when_plots_are_drawn(tmp_path):
    code = (
        "import sys\n"
        "from initcheck.report import write_report\n"
        "from initcheck.results import Report\n"
        f"write_report(Report('toy', '1', {{}}, []), {str(tmp_path)!r})\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_cli_report_writes_json_markdown_and_plots(tmp_path):
    import os

    from test_cli_presentation import initcheck

    target = tmp_path / "report"
    cases = [f"HeNormal|{check}|160x640|float32" for check in ("ks", "variance", "shape")]
    run = initcheck("run", "--backend", "broken_backends:FansSwapped", "--dtypes", "float32",
                    *(f"--case={case}" for case in cases), "--report", str(target), "--quiet",
                    cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    data = json.loads((target / "report.json").read_text())
    assert data["schema"] == SCHEMA and data["summary"]["failed"] > 0
    text = (target / "report.md").read_text()
    assert "looks like fan_in and fan_out swapped" in text
    assert data["summary"] == {"passed": 1, "failed": 2, "skipped": 0, "errors": 0}
    # ks and variance failed on one fill: one plot, linked from both failures
    (png,) = os.listdir(target / "plots")
    assert text.count(f"](plots/{png})") == 2


def test_cli_unwritable_report_directory_is_a_usage_error(tmp_path, capsys):
    from initcheck.cli import main

    (tmp_path / "file").write_text("x")
    assert main(["run", "--report", str(tmp_path / "file" / "report")]) == 2
    out, err = capsys.readouterr()
    assert "cannot write the report to" in err and out == ""

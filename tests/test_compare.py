"""`initcheck compare` and the conformance matrix (initcheck.conformance)."""

from __future__ import annotations

import json

import pytest

from initcheck.cli import main
from initcheck.conformance import (
    MARKDOWN_BEGIN,
    MARKDOWN_END,
    Column,
    cell_for,
    render_markdown,
    render_text,
    row_label,
    splice_markdown,
)
from initcheck.results import CheckResult, Report


def _result(initializer, check, outcome, dtype="float32"):
    return CheckResult(
        id=f"{initializer}|{check}|{dtype}", spec=f"{initializer}()", initializer=initializer,
        params={}, shape=[4, 4], dtype=dtype, check=check, outcome=outcome,
    )


def test_cell_lists_failing_kinds_with_their_dtypes():
    results = [
        _result("Normal", "ks", "failed", "bfloat16"),
        _result("Normal", "ks", "failed", "float16"),
        _result("Normal", "ks", "passed", "float32"),
        _result("Normal", "tails", "failed", "bfloat16"),
        _result("Normal", "rejects", "failed", "float32"),  # runs once: no dtype shown
        _result("Normal", "mean", "skipped", "float64"),
    ]
    cell = cell_for(results)
    assert cell.outcome == "failed"
    assert cell.text() == (
        "failed: ks [float16, bfloat16], tails [bfloat16], rejects (1/6 not provided)"
    )


@pytest.mark.parametrize(
    "outcomes, text",
    [
        (["passed", "passed"], "passed"),
        (["passed", "skipped"], "passed (1/2 not provided)"),
        (["skipped", "skipped"], "not provided"),
        (["passed", "error"], "error"),
    ],
)
def test_cell_outcomes(outcomes, text):
    assert cell_for([_result("Zero", "exact", o) for o in outcomes]).text() == text


def test_rows():
    assert row_label(_result("HeUniform", "ks", "passed")) == "HeUniform"
    fans = CheckResult("f", "fans", "fans", {}, None, None, "fans", "passed")
    assert row_label(fans) == "fans"
    layer = CheckResult("l", "Conv2d.bias", "Conv2d.bias", {}, [8], "float32",
                        "layer-default", "passed")
    assert row_label(layer) == "layer Conv2d"
    assert row_label(_result("kaiming", "rejects", "failed")) == "(unknown aliases)"


def test_matrix_has_a_column_per_backend_and_marks_missing_ones():
    good = Report("a", "1", {"budget": "quick", "seed": 0, "alpha": 1e-6},
                  [_result("Zero", "exact", "passed"), _result("Normal", "ks", "failed")])
    columns = [Column("a", "1", good, seconds=2.0), Column("b", load_error="no module b")]
    text = render_text(columns)
    lines = text.splitlines()
    assert lines[0].split() == ["initializer", "a", "1", "b"]
    assert lines[1].split() == ["Zero", "passed", "not", "installed"]
    assert lines[2].split()[:3] == ["Normal", "failed:", "ks"]
    assert "b: not installed: no module b" in text
    markdown = render_markdown(columns, command="initcheck compare --backends a,b")
    assert "| Normal | failed: ks [float32] | not installed |" in markdown
    assert markdown.startswith(MARKDOWN_BEGIN) and markdown.rstrip().endswith(MARKDOWN_END)


def test_splice_keeps_the_hand_written_text():
    old = f"# Title\n\nintro\n\n{MARKDOWN_BEGIN}\nold table\n{MARKDOWN_END}\n\n## Findings\n"
    new = f"{MARKDOWN_BEGIN}\nnew table\n{MARKDOWN_END}\n"
    spliced = splice_markdown(old, new)
    assert spliced == f"# Title\n\nintro\n\n{new}\n## Findings\n"
    assert splice_markdown("no markers here", new) == new


def test_unknown_backend_is_a_usage_error(capsys):
    assert main(["compare", "--backends", "reference,no-such-backend"]) == 2
    err = capsys.readouterr().err
    assert "unknown backend 'no-such-backend'" in err and "reference" in err


def test_compare_end_to_end(tmp_path, capsys):
    # A known-broken backend beside the reference, and one whose module is missing:
    # the broken one fails VarianceScaling on ks and tails, the missing one is a
    # column saying so, and nothing crashes.
    markdown = tmp_path / "matrix.md"
    markdown.write_text(f"intro\n{MARKDOWN_BEGIN}\nstale\n{MARKDOWN_END}\nfindings\n")
    report_json = tmp_path / "compare.json"
    status = main([
        "compare", "--quiet", "--only", "VarianceScaling",
        "--backends",
        "reference,broken_backends:VarianceScalingTruncatedSampledUniform,"
        "no_such_module_h5:Backend",
        "--markdown", str(markdown), "--json", str(report_json),
    ])
    out = capsys.readouterr().out
    assert status == 1  # a check failed
    row = next(line for line in out.splitlines() if line.startswith("VarianceScaling"))
    assert "passed" in row and "failed: ks" in row and "tails" in row
    assert row.rstrip().endswith("not installed")
    text = markdown.read_text()
    assert text.startswith("intro\n") and text.endswith("findings\n") and "stale" not in text
    assert "initcheck compare --backends" in text
    data = json.loads(report_json.read_text())
    assert data["schema"] == "initcheck-compare/1"
    assert [b["name"] for b in data["backends"]] == [
        "reference", "broken-VarianceScalingTruncatedSampledUniform", "no_such_module_h5:Backend",
    ]
    assert data["backends"][2]["report"] is None and data["backends"][2]["load_error"]
    assert data["matrix"]["reference"]["VarianceScaling"] == "passed"

"""What people read: the summary table, failure explanations and diagnoses in words.

Diagnoses are tested on fills of deliberately broken backends (tests/broken_backends.py)
and on synthetic samples, all with fixed seeds, so every assertion here is deterministic.
A diagnosis names a bug only when the sample fits the wrong law (its std within six
standard errors and its KS distance under the alpha = 1e-3 threshold); the tests check
both that the right bug is named and that none is named when no candidate fits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import broken_backends as bb
from independent_backend import NumpyBackend
from initcheck.diagnose import alternatives, diagnose, diagnose_result
from initcheck.present import explain, repro_command, summary_line, summary_table
from initcheck.results import CheckResult, Report
from initcheck.spec import Spec


def result(initializer, check, outcome, **kw):
    fields = dict(id=f"{initializer}|{check}|8x4|float32", spec=f"{initializer}()",
                  initializer=initializer, params={}, shape=[8, 4], dtype="float32",
                  check=check, outcome=outcome)
    fields.update(kw)
    return CheckResult(**fields)


def test_summary_table_groups_by_initializer_with_one_column_per_kind():
    report = Report("toy", "1.0", {"alpha": 1e-6}, [
        result("Sparse", "ks", "passed"),
        result("HeUniform", "ks", "passed"),
        result("HeUniform", "ks", "failed"),      # worst outcome wins the cell
        result("HeUniform", "variance", "passed"),
        result("Orthogonal", "orthogonal", "skipped"),
        result("HeUniform", "determinism", "error"),
        CheckResult("gain|gain|-|-", "gain", "gain", {}, None, None, "gain", "passed"),
        result("kaiming", "rejects", "passed"),  # an unknown alias, rightly rejected
    ])
    lines = summary_table(report).splitlines()
    assert lines[0].split() == ["initializer", "ks", "var", "orth", "determ", "gain", "reject"]
    rows = {line.split()[0]: line.split()[-6:] for line in lines[1:]}
    # catalog order, then the other rows
    assert [line[:12].strip() for line in lines[1:]] == [
        "HeUniform", "Orthogonal", "Sparse", "(unknown nam", "gain"]
    assert rows["HeUniform"] == ["FAIL", "ok", ".", "ERR", ".", "."]
    assert rows["Orthogonal"] == [".", ".", "n/p", ".", ".", "."]
    assert rows["gain"] == [".", ".", ".", ".", "ok", "."]
    assert rows["(unknown"] == [".", ".", ".", ".", ".", "ok"]
    assert summary_line(report) == "5 passed, 1 failed, 1 errors, 1 skipped (alpha=1e-06 per check)"


def test_summary_line_says_when_a_run_was_interrupted():
    report = Report("toy", "1.0", {}, [result("Normal", "ks", "passed")], incomplete=True)
    assert "INCOMPLETE" in summary_line(report)


def test_explain_gives_numbers_diagnosis_and_a_repro_command():
    r = result("HeNormal", "variance", "failed", statistic=0.5, threshold=0.007, n=4096,
               detectable="std off by >= 1.8%", message="std=0.125, but should be 0.25",
               seed=11)
    text = explain(r, "std is 0.5x the law's: looks like fan_in and fan_out swapped",
                   backend="mylib.init:Backend")
    lines = text.splitlines()
    assert lines[0] == "FAILED HeNormal|variance|8x4|float32"
    assert "looks like fan_in and fan_out swapped" in lines[1]
    assert "std=0.125, but should be 0.25" in text
    assert "statistic 0.5 > threshold 0.007 (n=4096; detects std off by >= 1.8%)" in text
    assert lines[-1] == ("  repro: initcheck run --backend mylib.init:Backend "
                         "--case 'HeNormal|variance|8x4|float32' --seed 11")
    # the runner's own repro line wins when present
    assert repro_command(result("X", "ks", "failed", repro="initcheck run --case x"),
                         "b") == "initcheck run --case x"


def fill(backend, spec, shape, seed=1234):
    return backend.fill(spec, shape, "float32", seed)


@pytest.mark.parametrize("broken, spec, shape, expected", [
    (bb.FansSwapped, Spec.make("HeNormal"), (128, 32), "fan_in and fan_out swapped"),
    (bb.HeGainForgotten, Spec.make("HeUniform"), (128, 32), "the gain 1.414 of leaky_relu left out"),
    (bb.TruncationBoundsInSigmas, Spec.make("TruncatedNormal"), (256, 64),
     "a and b read as multiples of sigma"),
    (bb.VarianceScalingNoTruncationCorrection, Spec.make("VarianceScaling"), (256, 64),
     "the truncation correction left out"),
    (bb.HeUniformMissingSqrt3, Spec.make("HeUniform"), (128, 32),
     "the bound set to the std (the √3 factor left out)"),
    (bb.UniformFromZero, Spec.make("Uniform"), (256, 64), "U(0, scale) drawn instead"),
    (bb.NormalMeanIgnored, Spec.make("Normal", sigma=0.2, mean=-1.5), (256, 64),
     "the mean ignored"),
    (bb.ReceptiveFieldIgnored, Spec.make("XavierNormal"), (16, 32, 3, 3),
     "the receptive field (9 = prod(shape[2:])) left out of the fans"),
    (bb.SparseFloorZeros, Spec.make("Sparse", sparsity=0.1), (333, 300),
     "floor(sparsity·rows) used instead of ceil"),
    (bb.OrthogonalGainIgnored, Spec.make("Orthogonal", gain=2.0), (64, 64),
     "the gain was not applied"),
    (bb.TruncationByClamping, Spec.make("TruncatedNormal", sigma=1.0, a=-0.5, b=0.25),
     (256, 64), "values clamped to the bounds instead of redrawn"),
    (bb.SparseSameZeroRows, Spec.make("Sparse", sparsity=0.25), (100, 40),
     "the zero rows drawn once instead of per column"),
    (bb.VarianceScalingFanAvgSummed, Spec.make("VarianceScaling", mode="fan_avg"), (64, 32, 3),
     "fan_avg computed as fan_in + fan_out (not halved)"),
    (bb.XavierNormalStdAsVariance, Spec.make("XavierNormal"), (128, 64),
     "the variance used as the std"),
])
def test_diagnosis_names_the_bug_of_a_broken_backend(broken, spec, shape, expected):
    text = diagnose(spec, shape, "float32", fill(broken(), spec, shape))
    assert "looks like" in text and expected in text, text


def test_fan_ratio_two_cannot_tell_swapped_fans_from_a_missing_relu_gain():
    # fan_out/fan_in = 2 moves the std by sqrt(2), exactly the relu gain: both are named
    spec, shape = Spec.make("HeNormal"), (64, 32)
    text = diagnose(spec, shape, "float32", fill(bb.FansSwapped(), spec, shape))
    assert "fan_in and fan_out swapped" in text and "of leaky_relu left out" in text


def test_no_guess_for_correct_fills_of_the_whole_battery():
    # two independent correct backends, every statistical fill of the quick battery in
    # every dtype: a diagnosis must never blame a correct fill
    from initcheck.battery import plan
    from independent_backend import PhiloxBackend

    for backend in (NumpyBackend(), PhiloxBackend()):
        fills = {(c.spec, c.shape, c.dtype, c.seed) for c in plan(backend, checks=["ks"])}
        for spec, shape, dtype, seed in sorted(fills, key=str):
            text = diagnose(spec, shape, dtype, backend.fill(spec, shape, dtype, seed))
            assert "looks like" not in text and "bounds" not in text, (spec, shape, dtype)


def test_no_guess_when_no_plausible_bug_fits():
    spec, shape = Spec.make("HeNormal"), (128, 32)
    rng = np.random.default_rng(5)
    # std 1.3x the law's: no bug on the list gives that factor
    x = rng.normal(0, 1.3 * math.sqrt(2 / 32), size=shape).astype("float32")
    text = diagnose(spec, shape, "float32", x)
    assert text.startswith("std is 1.3x the law's") and "looks like" not in text


def test_no_guess_for_a_correct_fill_that_differs_in_shape_only():
    # a Laplace law with the right std: the moments match, the shape does not
    spec, shape = Spec.make("Normal", sigma=0.5), (256, 64)
    x = np.random.default_rng(9).laplace(0, 0.5 / math.sqrt(2), size=shape).astype("float32")
    text = diagnose(spec, shape, "float32", x)
    assert "match the law's" in text and "looks like" not in text


def test_alternatives_drop_wrong_laws_identical_to_the_right_one():
    # Xavier is symmetric in the fans: "fans swapped" changes nothing and is not offered
    bugs = [a.bug for a in alternatives(Spec.make("XavierUniform"), (64, 16), "float32")]
    assert not any("swapped" in b for b in bugs)
    assert any("fan_in alone" in b for b in bugs)


def test_exact_and_capability_failures_are_described_or_left_to_the_check():
    spec, shape = Spec.make("Identity"), (8, 8)
    text = diagnose(spec, shape, "float32", np.zeros(shape, dtype="float32"))
    assert text == ("8 of 64 elements differ from the law (identity matrix); first at (0, 0): "
                    "got 0.0, expected 1.0; every element is 0.0")
    capability = CheckResult("gain|gain|-|-", "gain", "gain", {}, None, None, "gain", "failed")
    assert diagnose_result(NumpyBackend(), capability) is None


# -- the command line, end to end --------------------------------------------------------

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

TESTS = Path(__file__).resolve().parent


def initcheck(*args, cwd, env=None):
    env = dict(os.environ, PYTHONPATH=str(TESTS), **(env or {}))
    return subprocess.run([sys.executable, "-m", "initcheck", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def test_cli_explains_failures_in_words_with_a_table_and_writes_json(tmp_path):
    out = tmp_path / "run.json"
    run = initcheck("run", "--backend", "broken_backends:FansSwapped", "--only", "HeNormal",
                    "--dtypes", "float32", "--json", str(out), cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    text = run.stdout
    assert "FAILED HeNormal|ks|160x640|float32" in text
    assert "std is 2x the law's" in text and "looks like fan_in and fan_out swapped" in text
    assert "statistic " in text and " > threshold " in text
    assert ("repro: initcheck run --backend broken_backends:FansSwapped --budget quick "
            "--seed 0 --dtypes float32 --case 'HeNormal|ks|160x640|float32'") in text
    table = text[text.index("\ninitializer "):].splitlines()[1:3]
    assert table[0].split()[:2] == ["initializer", "shape"]
    assert table[1].startswith("HeNormal") and "FAIL" in table[1]
    assert "family-wise false-failure rate" in text.splitlines()[-1]
    # the progress bar is for terminals only
    assert "check/s" not in run.stderr and "%|" not in run.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "initcheck-report/1" and "incomplete" not in data
    assert data["summary"]["failed"] > 0
    assert Report.from_json(data).summary == data["summary"]


def test_cli_quiet_prints_only_failures_and_counts(tmp_path):
    run = initcheck("run", "--only", "Identity", "--dtypes", "float32", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1].startswith("reference ")
    assert len(run.stdout.splitlines()) == 1


def test_progress_bar_only_on_a_terminal_and_not_when_quiet(monkeypatch):
    from initcheck.commands import run as run_command

    class Terminal:
        def isatty(self):
            return True

        def write(self, text):
            pass

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert run_command._progress_bar(10, quiet=True) is None
    bar = run_command._progress_bar(10, quiet=False)
    assert bar is not None and bar.delay == run_command.PROGRESS_DELAY_S
    bar.close()
    monkeypatch.setattr(sys, "stderr", open(os.devnull, "w"))
    assert run_command._progress_bar(10, quiet=False) is None


def test_cli_explain_prints_detection_floors(tmp_path):
    run = initcheck("run", "--explain", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "smallest caught (power >= 0.99)" in run.stdout
    assert "n = 100000 values per fill" in run.stdout


@pytest.mark.parametrize("args, needle", [
    (["--timeout", "0"], "--timeout must be > 0 seconds, got 0.0"),
    (["--plots", "all"], "--plots all needs --report DIR"),
    (["--backend", "torch_nonexistent"], "available backends:"),
    (["--backend", "broken_backends:NoSuchClass"], "has no attribute 'NoSuchClass'"),
])
def test_cli_usage_errors_say_what_to_do(capsys, args, needle):
    from initcheck.cli import main

    # in-process: tests/test_cli_run.py covers usage errors through a subprocess
    assert main(["run", *args]) == 2
    out, err = capsys.readouterr()
    assert needle in err
    assert out == ""  # nothing ran


def test_cli_list_shows_backends_and_catalog_without_importing_libraries(tmp_path):
    code = ("import sys; from initcheck.cli import main; main(['list']); "
            "print([m for m in ('torch', 'jax', 'mindspore') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    assert "reference  installed  initcheck " in run.stdout
    assert "HeUniform(negative_slope=0, mode='fan_in', nonlinearity='leaky_relu')" in run.stdout
    assert "aliases: he_uniform, heuniform" in run.stdout
    assert run.stdout.splitlines()[-1] == "[]"

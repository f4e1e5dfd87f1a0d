"""``initcheck run`` through a subprocess: exit codes, summary, JSON report, repro."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

BROKEN = '''
import numpy as np
from independent_backend import NumpyBackend


class Broken(NumpyBackend):
    """Uniform 20% too wide: a bug every quick battery must catch."""
    name = "broken"

    def fill(self, spec, shape, dtype, seed):
        out = super().fill(spec, shape, dtype, seed)
        if spec.name == "Uniform":
            return (out.astype(np.float64) * 1.2).astype(out.dtype)
        return out


def unloadable():
    raise ImportError("libfoo.so: cannot open shared object file")
'''


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    path = tmp_path_factory.mktemp("backends")
    (path / "h3_cli_backends.py").write_text(BROKEN)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(path), str(TESTS), env.get("PYTHONPATH", "")])
    return env


def initcheck(args, env, cwd):
    if isinstance(args, str):
        args = shlex.split(args)
    assert args[0] == "initcheck"
    return subprocess.run([sys.executable, "-m", "initcheck", *args[1:]], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_pass_exit_0_and_json_schema(env, tmp_path):
    out = tmp_path / "report.json"
    proc = initcheck(f"initcheck run --backend independent_backend:NumpyBackend --only Identity,Zero "
                     f"--dtypes float32,float16 --json {out}", env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed, 0 errors" in proc.stdout
    data = json.loads(out.read_text())
    assert data["schema"] == "initcheck-report/1"
    assert data["backend"]["name"] == "numpy-independent"
    assert {"budget", "seed", "alpha", "familywise_rate"} <= set(data["settings"])
    assert data["summary"]["passed"] == len(data["results"]) > 0
    fields = {"id", "spec", "initializer", "params", "shape", "dtype", "check", "outcome", "statistic",
              "threshold", "n", "seed", "detectable", "message"}
    for r in data["results"]:
        assert fields <= set(r)
        assert r["dtype"] in ("float32", "float16", None)


def test_failure_exit_1_prints_message_and_repro_that_reproduces(env, tmp_path):
    proc = initcheck("initcheck run --backend h3_cli_backends:Broken --only Uniform --dtypes float32",
                     env, tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED Uniform|" in proc.stdout
    repros = [line.split("repro: ", 1)[1] for line in proc.stdout.splitlines() if "repro: " in line]
    assert repros
    again = initcheck(repros[0], env, tmp_path)
    assert again.returncode == 1
    assert "1 failed" in again.stdout and again.stdout.count("FAILED ") == 1


@pytest.mark.parametrize(
    "args, needle",
    [
        ("initcheck run --only Nope*", "'Nope*' matches no initializer"),
        ("initcheck run --backend nosuch", "available backends:"),
        ("initcheck run --backend h3_cli_backends:unloadable", "libfoo.so"),
        ("initcheck run --backend nosuchmodule:X", "cannot import module"),
        ("initcheck run --dtypes float8", "float8"),
        ("initcheck run --case 'Identity|exact|64x64|float31'", "did you mean"),
        ("initcheck run --budget huge", "invalid choice"),
        ("initcheck run --alpha 2", "--alpha"),
    ],
)
def test_usage_errors_exit_2(env, tmp_path, args, needle):
    proc = initcheck(args, env, tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr
    if "nosuch" in args and ":" not in args:
        assert "reference" in proc.stderr


def test_budget_choices_match_the_battery():
    from initcheck.battery import BUDGETS
    from initcheck.results import BUDGET_NAMES

    assert BUDGET_NAMES == tuple(BUDGETS)

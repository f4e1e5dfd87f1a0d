"""The fill-benchmark machinery (``initcheck.bench``, ``initcheck bench``).

No timing is asserted: ratios are checked on timings the test supplies, and
real runs use tiny sizes with one round only to check the plumbing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from initcheck import bench, cli
from initcheck.bench import FLOOR, BenchRun, Case, Measurement
from initcheck.spec import Spec

NORMAL = Spec.make("Normal")
SHAPE = (100, 100)


def _run_with(times: dict[str, list[float]], floor: list[float] | None = (1e-3,)) -> BenchRun:
    case = Case(NORMAL, SHAPE, "float32")
    run = BenchRun(settings={"repeat": 3, "max_time": 1.0})
    if floor is not None:
        run.measurements.append(
            Measurement(FLOOR, "numpy", Case(Spec.make("Constant", value=1), SHAPE, "float32"), list(floor))
        )
    run.measurements += [Measurement(name, "1.0", case, list(t)) for name, t in times.items()]
    return run


# ------------------------------------------------------------ ratios from timings


def test_ratio_to_fastest_other_and_floor_fraction_from_given_timings():
    run = _run_with({"a": [4e-3, 5e-3], "b": [3e-3, 2e-3], "c": [8e-3]}, floor=[1.5e-3, 1e-3])
    rows = {r.backend: r for r in bench.summary_rows(run)}
    assert set(rows) == {"a", "b", "c"}  # the floor is not a row
    # the minimum over rounds is what counts
    assert rows["a"].seconds == 4e-3 and rows["b"].seconds == 2e-3
    assert rows["a"].throughput == pytest.approx(1e4 / 4e-3)
    # against the fastest *other* backend: a and c against b, b against a
    assert rows["a"].vs_best_other == pytest.approx(0.5)
    assert rows["b"].vs_best_other == pytest.approx(2.0)
    assert rows["c"].vs_best_other == pytest.approx(0.25)
    assert rows["a"].floor_fraction == pytest.approx(0.25)
    assert rows["b"].floor_fraction == pytest.approx(0.5)


def test_ratios_are_absent_without_a_peer_or_a_floor():
    (row,) = bench.summary_rows(_run_with({"only": [2e-3]}, floor=None))
    assert row.vs_best_other is None and row.floor_fraction is None
    assert bench.format_table([row]).splitlines()[2].split()[-2:] == ["-", "-"]


def test_table_columns_and_cells():
    run = _run_with({"a": [4e-3], "b": [2e-3]})
    lines = bench.format_table(bench.summary_rows(run)).splitlines()
    assert lines[0].split("  ")[0] == "initializer"
    for column in bench.TABLE_COLUMNS:
        assert column in lines[0]
    assert len(lines) == 2 + 2
    a_line = next(line for line in lines[2:] if line.split()[3] == "a")
    assert a_line.split() == ["Normal", "float32", "100x100", "a", "4", "ms", "2.5", "0.50x", "25.0%"]


def test_head_to_head_compares_the_first_backend_at_its_largest_size():
    big = Case(NORMAL, (400, 400), "float32")
    run = _run_with({"ref": [1e-3], "other": [3e-3]})
    run.measurements += [Measurement("ref", "1", big, [2e-2]), Measurement("other", "1", big, [1e-2])]
    (entry,) = bench.head_to_head(run)
    assert entry["focus"] == "ref" and entry["case"] == big
    assert entry["vs"] == {"other": pytest.approx(0.5)}  # other's time / ref's time


# ------------------------------------------------------------------ timing logic


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_time_rounds_counts_only_the_call_and_gives_each_round_its_own_setup():
    clock = FakeClock()
    seen = []

    def setup(i):
        clock.now += 100.0  # setup must not show in the timings
        seen.append(i)
        return (i,)

    def call(i):
        clock.now += 0.01 * (i + 1)

    times = bench.time_rounds(call, setup, repeat=4, max_time=10.0, clock=clock)
    assert seen == [0, 1, 2, 3, 4]  # warm-up (0) then 4 rounds
    assert times == pytest.approx([0.02, 0.03, 0.04, 0.05])


@pytest.mark.parametrize(
    ("warm", "repeat", "max_time", "expected"),
    [
        (1e-3, 10, 1.0, 10),  # cheap: every round asked for
        (0.2, 10, 1.0, 5),  # what fits in max_time
        (5.0, 10, 1.0, bench.MIN_ROUNDS),  # slow: never below MIN_ROUNDS
        (5.0, 1, 1.0, 1),  # ... unless fewer rounds were asked for
    ],
)
def test_rounds_for(warm, repeat, max_time, expected):
    assert bench.rounds_for(warm, repeat=repeat, max_time=max_time) == expected


def test_time_rounds_rejects_zero_repeat():
    with pytest.raises(ValueError, match="repeat must be >= 1, got 0"):
        bench.time_rounds(lambda: None, lambda i: (), repeat=0, max_time=1.0)


def test_floor_writes_the_same_bytes():
    case = Case(NORMAL, (3, 5), "bfloat16")
    call, setup = bench.floor_setup(case)
    (buffer,) = setup(0)
    call(buffer)
    assert buffer.nbytes == case.nbytes == 30 and (buffer == 1).all()


# ------------------------------------------------------------- parsing and cases


def test_parse_sizes_accepts_counts_and_shapes():
    assert bench.parse_sizes("1e4, 1.6e7,2000x3") == [(100, 100), (4000, 4000), (2000, 3)]
    assert bench.parse_sizes("2e6") == [(1250, 1600)]  # most nearly square
    assert bench.parse_sizes("7") == [(1, 7)]


@pytest.mark.parametrize("text", ["", "1.5", "0", "abc", "10x", "0x4", "-1e4"])
def test_parse_sizes_names_the_bad_value(text):
    with pytest.raises(ValueError, match="--sizes"):
        bench.parse_sizes(text)


def test_parse_initializers():
    specs = bench.parse_initializers("normal,Sparse,Sparse(sparsity=0.5),he_uniform,Zero")
    assert [str(s) for s in specs] == [
        "Normal(sigma=0.01, mean=0.0)",
        "Sparse(sparsity=0.1, sigma=0.01)",
        "Sparse(sparsity=0.5, sigma=0.01)",
        "HeUniform(negative_slope=0, mode='fan_in', nonlinearity='leaky_relu')",
        "Zero()",
    ]
    with pytest.raises(ValueError, match="'Bogus'"):
        bench.parse_initializers("Normal,Bogus")
    assert bench.parse_initializers("constant") == [Spec.make("Constant", value=0.5)]
    with pytest.raises(ValueError, match=r"--initializers: Normal has no parameter\(s\) bogus"):
        bench.parse_initializers("Normal(sigma=0.1), Normal(bogus=1)")


def test_parse_dtypes():
    assert bench.parse_dtypes("float32,bfloat16") == ["float32", "bfloat16"]
    with pytest.raises(ValueError, match="float8"):
        bench.parse_dtypes("float32,float8")


def test_orthogonal_is_capped_and_others_are_not():
    big, small = (2000, 2000), (1024, 1024)
    todo, capped = bench.cases([Spec.make("Orthogonal"), NORMAL], [small, big], ["float32"])
    assert [(c.spec.name, c.shape) for c in todo] == [
        ("Orthogonal", small),
        ("Normal", small),
        ("Normal", big),
    ]
    assert [(c.spec.name, c.shape) for c, _ in capped] == [("Orthogonal", big)]
    assert "O(n^3)" in capped[0][1]


# ------------------------------------------------------------------- real runs

FAKE_BACKENDS = textwrap.dedent(
    """
    import numpy as np

    class Fast:
        name = "fast"
        version = "1.0"
        dtypes = ("float32", "float16")

        def fill(self, spec, shape, dtype, seed):
            if spec.name == "Orthogonal":
                raise NotImplementedError("fast has no Orthogonal")
            rng = np.random.default_rng(seed)
            return rng.standard_normal(shape, dtype=np.float32).astype(dtype)

    class Broken(Fast):
        name = "broken"
        dtypes = ("float32",)

        def fill(self, spec, shape, dtype, seed):
            raise RuntimeError("library exploded")
    """
)


@pytest.fixture
def fake_backends(tmp_path, monkeypatch):
    (tmp_path / "fake_bench_backends.py").write_text(FAKE_BACKENDS)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("fake_bench_backends", None)
    yield "fake_bench_backends"
    sys.modules.pop("fake_bench_backends", None)


def _tiny_run(module):
    loaded, unavailable = bench.load_backends(
        [f"{module}:Fast", f"{module}:Broken", "no_such_backend"]
    )
    assert list(loaded) == ["fast", "broken"]  # listed under their own names
    return bench.run_bench(
        loaded,
        [NORMAL, Spec.make("Orthogonal")],
        [(4, 5), (8, 8)],
        ["float32", "float16"],
        repeat=1,
        unavailable=unavailable,
    )


def test_run_continues_past_unavailable_missing_and_failing_backends(fake_backends):
    run = _tiny_run(fake_backends)
    assert "no_such_backend" in run.unavailable
    measured = {(m.backend, m.case.spec.name, m.case.dtype, m.case.shape) for m in run.measurements}
    assert ("fast", "Normal", "float16", (8, 8)) in measured
    # the floor once per (shape, dtype), with its own number of rounds
    floors = [m for m in run.measurements if m.backend == FLOOR]
    assert len(floors) == 4 and all(len(m.times) == bench.FLOOR_ROUNDS for m in floors)
    assert all(len(m.times) == 1 for m in run.measurements if m.backend != FLOOR)
    # case by case: the floor of a shape and dtype, then every backend on it
    assert [(m.backend, m.case.shape) for m in run.measurements[:4]] == [
        (FLOOR, (4, 5)), ("fast", (4, 5)), (FLOOR, (8, 8)), ("fast", (8, 8)),
    ]
    reasons = bench.skipped_lines(run)
    assert any(line.startswith("fast: not implemented: fast has no Orthogonal") for line in reasons)
    assert any("broken: raised RuntimeError: library exploded" in line for line in reasons)
    assert any(line.startswith("broken: broken does not offer float16") for line in reasons)


def test_json_is_read_by_pytest_benchmark_compare(fake_backends, tmp_path):
    from pytest_benchmark.plugin import pytest_benchmark_group_stats
    from pytest_benchmark.storage.file import FileStorage

    run = _tiny_run(fake_backends)
    data = bench.benchmark_json(run, machine_info={"node": "test"}, commit_info={"id": "x"})
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data))

    class QuietLogger:
        def warning(self, text):
            raise AssertionError(text)  # FileStorage reports an unreadable file this way

        info = debug = warning

    loaded = list(FileStorage(tmp_path, QuietLogger()).load_benchmarks(str(path)))
    assert len(loaded) == len(run.measurements)
    one = next(b for b in loaded if b["params"]["backend"] == "fast")
    assert {"min", "max", "mean", "stddev", "median", "rounds", "ops", "data"} <= set(one)
    assert one["extra_info"]["elements"] * 2 == one["extra_info"]["bytes"] or one["extra_info"]["dtype"] == "float32"
    groups = dict(pytest_benchmark_group_stats(config=None, benchmarks=loaded, group_by="group"))
    assert {b["params"]["backend"] for b in groups["Normal float16 8x8"]} == {"fast"}
    assert "floor float32 4x5" in groups

    # and pytest-benchmark's own command line renders it
    csv = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "pytest_benchmark", "compare", str(path), f"--csv={csv}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "fill[Normal-float16-8x8-fast]" in done.stdout and "floor[float32-4x5]" in done.stdout
    (csv_file,) = tmp_path.glob("out*.csv")
    assert len(csv_file.read_text().strip().splitlines()) == 1 + len(run.measurements)


def test_stats_match_the_rounds():
    run = _run_with({"a": [3e-3, 1e-3, 2e-3]})
    entry = next(e for e in bench.benchmark_json(run, machine_info={}, commit_info={})["benchmarks"]
                 if e["params"]["backend"] == "a")
    stats = entry["stats"]
    assert (stats["min"], stats["max"], stats["median"], stats["rounds"]) == (1e-3, 3e-3, 2e-3, 3)
    assert stats["mean"] == pytest.approx(2e-3) and stats["stddev"] == pytest.approx(1e-3)
    assert entry["extra_info"] == {
        "backend": "a", "version": "1.0", "spec": str(NORMAL), "dtype": "float32",
        "shape": [100, 100], "elements": 10_000, "bytes": 40_000,
    }


def test_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "plot.png"
    bench.plot_throughput(_run_with({"a": [4e-3], "b": [2e-3]}), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ the command


def test_command_prints_table_and_writes_report(fake_backends, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    report = tmp_path / "rep"
    status = cli.main([
        "bench", "--backends", f"{fake_backends}:Fast,no_such_backend", "--sizes", "1e2,8x8",
        "--initializers", "Normal,Orthogonal", "--dtypes", "float32", "--repeat", "1",
        "--report", str(report), "--json", str(tmp_path / "b.json"), "--quiet",
    ])
    out, err = capsys.readouterr()
    assert status == 0
    assert "no_such_backend" in err and "not measured" in err
    header = out.splitlines()[0]
    assert all(column in header for column in bench.TABLE_COLUMNS)
    assert "not measured: fast: not implemented" in out
    page = (report / "bench.md").read_text()
    assert f"--backends {fake_backends}:Fast,no_such_backend" in page
    assert "![throughput against size](bench.png)" in page
    assert (report / "bench.png").stat().st_size > 0
    data = json.loads((tmp_path / "b.json").read_text())
    assert {b["params"]["backend"] for b in data["benchmarks"]} == {"fast", FLOOR}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sizes", "1e4,banana"], "'banana'"),
        (["--dtypes", "float8"], "float8"),
        (["--repeat", "0"], "--repeat must be >= 1, got 0"),
        (["--backends", "no_such_backend"], "no backend could be loaded"),
    ],
)
def test_command_usage_errors_exit_2(argv, message, capsys):
    assert cli.main(["bench", *argv]) == 2
    assert message in capsys.readouterr().err


def test_command_line_names_only_changed_options():
    parser = cli.build_parser()
    args = parser.parse_args(["bench", "--report", "reports"])
    from initcheck.commands.bench import command_line

    assert command_line(args) == "initcheck bench --report reports"
    args = parser.parse_args(["bench", "--repeat", "3", "--sizes", "1e4"])
    assert command_line(args) == "initcheck bench --sizes 1e4 --repeat 3"


def test_rows_of_one_case_stay_together_whichever_backend_measured_it():
    small, big = Case(NORMAL, (4, 4), "float32"), Case(NORMAL, (8, 8), "float32")
    uniform = Case(Spec.make("Uniform"), (4, 4), "float32")
    run = BenchRun(measurements=[
        Measurement("a", "1", big, [1.0]),
        Measurement("a", "1", small, [1.0]),
        Measurement("b", "1", uniform, [1.0]),  # only b has Uniform
        Measurement("b", "1", small, [1.0]),
        Measurement("b", "1", big, [1.0]),
    ])
    order = [(r.case.spec.name, r.case.shape, r.backend) for r in bench.summary_rows(run)]
    assert order == [
        ("Normal", (4, 4), "a"), ("Normal", (4, 4), "b"),
        ("Normal", (8, 8), "a"), ("Normal", (8, 8), "b"),
        ("Uniform", (4, 4), "b"),
    ]


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (Spec.make("Normal"), "Normal"),
        (Spec.make("Sparse", sparsity=0.1), "Sparse(sparsity=0.1)"),
        (Spec.make("Sparse", sparsity=0.3, sigma=0.5), "Sparse(sparsity=0.3,sigma=0.5)"),
        (Spec.make("HeUniform", mode="fan_out"), "HeUniform(mode='fan_out')"),
        (Spec.make("Constant", value=0.5), "Constant(value=0.5)"),
    ],
)
def test_short_spec_names_changed_parameters_and_reads_back(spec, text):
    assert bench.short_spec(spec) == text  # one shell word in a regeneration command
    assert bench.parse_initializers(text) == [spec]


def test_a_bare_name_means_the_first_default_spec_of_that_name():
    # DEFAULT_SPECS holds TruncatedNormal twice (catalog defaults, then sigma=1)
    names = [spec.name for spec in bench.DEFAULT_SPECS]
    assert names.count("TruncatedNormal") == 2
    (spec,) = bench.parse_initializers("TruncatedNormal")
    assert spec == Spec.make("TruncatedNormal")

"""Meta-test: the checker catches every deliberately broken backend at the quick budget.

Each backend in `broken_backends` carries one realistic bug. The quick battery, run at
the default per-check alpha (1e-6) on the initializers the bug touches, must fail at
least one check *of the kind meant to catch that bug* (``caught_by``): a bug that only
trips some unrelated check by accident does not count as caught.

The runs are deterministic (run seed 0, seeds of every case derived from it), so these
tests cannot flake; `test_the_same_runs_pass_a_correct_backend` runs the very same
cases on the correct backend, so every failure here is the bug's doing. Power at other
seeds is measured by ``python tests/test_meta_broken.py`` (the table in docs/meta.md).

Run as a script, it prints that table: for each bug, the kinds that fail at several
run seeds as the test runs it, and whether the battery on all four dtypes catches it.
"""

from __future__ import annotations

import sys

import pytest

from broken_backends import BROKEN_BACKENDS
from independent_backend import NumpyBackend
from initcheck.results import CHECK_KINDS
from initcheck.runner import run_battery
from initcheck.spec import CATALOG

RUN_SEED = 0
BUDGET = "quick"


def restricted_run(backend, broken_cls, *, seed=RUN_SEED, dtypes=None):
    return run_battery(
        backend,
        budget=BUDGET,
        seed=seed,
        only=list(broken_cls.touches),
        dtypes=[broken_cls.dtype_under_test] if dtypes is None else dtypes,
    )


def bug_text(cls) -> str:
    return " ".join(cls.__doc__.split())


def internal_errors(report):
    return [r for r in report.results if "initcheck internal error" in r.message]


@pytest.mark.parametrize("broken_cls", BROKEN_BACKENDS, ids=lambda c: c.__name__)
def test_bug_is_caught_by_its_check_kind(broken_cls):
    report = restricted_run(broken_cls(), broken_cls)
    assert not internal_errors(report), [r.message for r in internal_errors(report)]
    failed = [r for r in report.results if r.outcome == "failed"]
    failed_kinds = {r.check for r in failed}
    assert failed_kinds & set(broken_cls.caught_by), (
        f"{broken_cls.__name__} ({bug_text(broken_cls)}) was not caught by "
        f"{broken_cls.caught_by} at the {BUDGET} budget, run seed {RUN_SEED}, "
        f"only={broken_cls.touches}, dtype {broken_cls.dtype_under_test}; "
        f"kinds that failed: {sorted(failed_kinds) or 'none'} of {len(report.results)} results"
    )


def test_the_same_runs_pass_a_correct_backend():
    # The cases above, run on the backend every broken one is derived from: nothing fails,
    # so each failure above is caused by the bug, not by the restriction or the seed.
    correct = NumpyBackend()
    touched = sorted({name for cls in BROKEN_BACKENDS for name in cls.touches})
    dtypes = sorted({cls.dtype_under_test for cls in BROKEN_BACKENDS})
    report = run_battery(correct, budget=BUDGET, seed=RUN_SEED, only=touched, dtypes=dtypes)
    bad = [f"{r.outcome} {r.id}: {r.message}" for r in report.results
           if r.outcome in ("failed", "error")]
    assert not bad, "\n".join(bad)
    assert report.summary["passed"] > 0


def test_broken_backends_cover_every_initializer_and_check_kind():
    assert len(BROKEN_BACKENDS) >= 25
    touched = {name for cls in BROKEN_BACKENDS for name in cls.touches}
    assert set(CATALOG) <= touched, f"no bug touches {sorted(set(CATALOG) - touched)}"
    kinds = {kind for cls in BROKEN_BACKENDS for kind in cls.caught_by}
    assert set(CHECK_KINDS) <= kinds, f"no bug targets {sorted(set(CHECK_KINDS) - kinds)}"
    for cls in BROKEN_BACKENDS:
        assert cls.__doc__ and cls.touches and cls.caught_by, cls.__name__
        assert set(cls.caught_by) <= set(CHECK_KINDS), cls.__name__


def caught_table(seeds=(0, 1, 2)) -> str:
    """Markdown: bug -> failing kinds, as the test runs it and on every dtype."""
    lines = [
        "| bug | touches (dtype) | meant to be caught by | kinds that failed (seed "
        f"{seeds[0]}) | caught in seeds {','.join(map(str, seeds))} "
        f"| caught with all 4 dtypes (seed {seeds[0]}) |",
        "|---|---|---|---|---|---|",
    ]

    def failed_kinds(report):
        return sorted({r.check for r in report.results if r.outcome == "failed"},
                      key=CHECK_KINDS.index)

    for cls in BROKEN_BACKENDS:
        runs = [failed_kinds(restricted_run(cls(), cls, seed=seed)) for seed in seeds]
        caught = sum(bool(set(kinds) & set(cls.caught_by)) for kinds in runs)
        every_dtype = failed_kinds(restricted_run(cls(), cls, seed=seeds[0],
                                                  dtypes=list(cls.dtypes)))
        lines.append(
            f"| `{cls.__name__}`: {bug_text(cls).rstrip('.')} "
            f"| {', '.join(cls.touches)} ({cls.dtype_under_test}) | {', '.join(cls.caught_by)} "
            f"| {', '.join(runs[0]) or '-'} | {caught}/{len(seeds)} "
            f"| {'yes' if set(every_dtype) & set(cls.caught_by) else 'NO'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(caught_table(tuple(int(s) for s in sys.argv[1:]) or (0, 1, 2)))

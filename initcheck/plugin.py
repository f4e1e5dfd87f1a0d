"""pytest plugin (entry point ``pytest11``): the battery as pytest tests.

``pytest --pyargs initcheck.suite --initcheck-backend NAME`` collects one test per
check of the battery; a failure shows the same explanation as ``initcheck run``.

This module is imported by *every* pytest session in an environment where initcheck
is installed, so it only declares options: the battery, the statistics, numpy and
the backend are imported when ``initcheck.suite`` is collected, never before.
"""

from __future__ import annotations

import os

from initcheck.results import BUDGET_NAMES as BUDGETS


def pytest_addoption(parser):
    group = parser.getgroup("initcheck", "initializer conformance battery (initcheck.suite)")
    group.addoption(
        "--initcheck-backend",
        metavar="NAME",
        default=None,
        help="backend to check (entry-point name or package.module:attr). "
        "Default: $INITCHECK_BACKEND, else reference.",
    )
    group.addoption(
        "--initcheck-budget",
        metavar="BUDGET",
        default=None,
        choices=BUDGETS,
        help="battery budget: quick, standard or thorough. Default: quick.",
    )
    group.addoption(
        "--initcheck-only",
        metavar="NAMES",
        default=None,
        help="comma-separated initializer names or globs, e.g. 'He*,Sparse'. Default: all.",
    )
    group.addoption(
        "--initcheck-seed",
        metavar="N",
        default=0,
        type=int,
        help="run seed; every check's seed derives from it. Default: 0.",
    )


def _suite_requested(config) -> bool:
    """Whether this session collects initcheck.suite (by --pyargs or by path)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("initcheck.suite")
    suite_dir = Path(next(iter(spec.submodule_search_locations))).resolve()
    for arg in config.args:
        target = str(arg).split("::")[0]
        if config.option.pyargs and (target == "initcheck.suite"
                                     or target.startswith("initcheck.suite.")):
            return True
        path = Path(config.invocation_params.dir, target).resolve()
        if path == suite_dir or suite_dir in path.parents:
            return True
    return False


def pytest_sessionstart(session):
    # load the backend and plan the battery before collection, so that a bad
    # backend name or an empty selection is a usage error (exit 4), not a
    # collection error
    if _suite_requested(session.config):
        suite_state(session.config)


def backend_name(config) -> str:
    return (
        config.getoption("--initcheck-backend")
        or os.environ.get("INITCHECK_BACKEND")
        or "reference"
    )


class SuiteState:
    """The backend and the planned cases of one pytest process (one per xdist worker:
    planning is deterministic, so every worker collects the same tests)."""

    def __init__(self, config) -> None:
        import pytest

        from initcheck.backends import BackendLoadError, load_backend
        from initcheck.battery import plan
        from initcheck.runner import FillCache

        self.ref = backend_name(config)
        self.budget = config.getoption("--initcheck-budget") or "quick"
        self.seed = config.getoption("--initcheck-seed")
        only = config.getoption("--initcheck-only")
        try:
            self.backend = load_backend(self.ref)
        except BackendLoadError as exc:
            raise pytest.UsageError(f"initcheck: {exc}") from None
        try:
            self.cases = plan(self.backend, budget=self.budget, seed=self.seed, only=only)
        except ValueError as exc:
            raise pytest.UsageError(f"initcheck: {exc}") from None
        if not self.cases:
            raise pytest.UsageError(
                f"initcheck: --initcheck-only {only!r} matches no initializer; "
                "`initcheck list --catalog` shows the names"
            )
        self.cache = FillCache()

    def run(self, case):
        """Run `case`; skip or fail the current test as the result says."""
        import pytest

        from initcheck.diagnose import diagnose_result
        from initcheck.present import explain
        from initcheck.runner import run_case

        result = run_case(self.backend, case, cache=self.cache, backend_ref=self.ref)
        if result.outcome == "skipped":
            pytest.skip(result.message)
        if result.outcome in ("failed", "error"):
            diagnosis = diagnose_result(self.backend, result)
            pytest.fail(explain(result, diagnosis, self.ref), pytrace=False)
        return result


def suite_state(config) -> SuiteState:
    """This session's SuiteState, created on first use."""
    state = getattr(config, "_initcheck_suite", None)
    if state is None:
        state = SuiteState(config)
        config._initcheck_suite = state
    return state

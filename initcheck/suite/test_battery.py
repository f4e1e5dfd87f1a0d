"""The initcheck battery, one pytest test per check.

Run it with ``pytest --pyargs initcheck.suite --initcheck-backend NAME`` (options:
``pytest --help``, section "initcheck"). Test ids are the check ids of
``initcheck run``: ``spec|check|shape|dtype``.
"""

from __future__ import annotations

from initcheck.plugin import suite_state


def pytest_generate_tests(metafunc):
    if "initcheck_case" in metafunc.fixturenames:
        cases = suite_state(metafunc.config).cases
        metafunc.parametrize("initcheck_case", cases, ids=[case.id for case in cases])


def test_check(initcheck_case, request):
    suite_state(request.config).run(initcheck_case)

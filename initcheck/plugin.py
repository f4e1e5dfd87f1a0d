"""pytest plugin (entry point ``pytest11``): options for running the battery as tests.

Kept cheap to import: nothing heavy is imported until the battery is collected.
"""

from __future__ import annotations

import os


def pytest_addoption(parser):
    group = parser.getgroup("initcheck", "initializer conformance battery")
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
        choices=("quick", "standard", "thorough"),
        help="battery budget: quick, standard or thorough. Default: quick.",
    )


def backend_name(config) -> str:
    return (
        config.getoption("--initcheck-backend")
        or os.environ.get("INITCHECK_BACKEND")
        or "reference"
    )

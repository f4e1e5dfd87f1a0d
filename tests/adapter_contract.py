"""What every real-library adapter (torch, jax, mindspore) must do, shared by their tests.

`VALID_SPECS` is every spec the quick battery fills (taken from `initcheck.battery.plan`),
each given a small shape of the right rank here so that a fill costs microseconds. The
adapter tests assert, per spec and dtype, either an array of exactly that shape and dtype
or NotImplementedError -- and that the set of not-provided specs is exactly the one the
adapter documents.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from initcheck.backends import DTYPES
from initcheck.battery import plan
from initcheck.laws import numpy_dtype


class _EveryDtype:
    """Just enough of a backend for `plan` to list the battery's fills."""

    name = "every-dtype"
    dtypes = DTYPES


VALID_SPECS = sorted({case.spec for case in plan(_EveryDtype(), checks=["shape"])}, key=str)
RANDOM_SPECS = [
    s for s in VALID_SPECS if s.name not in ("Zero", "One", "Constant", "Identity", "Dirac")
]


def small_shape(spec) -> tuple[int, ...]:
    """A small valid shape for `spec`: fan ratio 2 where fans matter."""
    if spec.name == "Identity":
        return (4, 6)
    if spec.name == "Sparse":
        return (10, 4)
    if spec.name == "Dirac":
        return (2 * spec.params["groups"], 3, 3, 3)
    return (6, 3, 2, 2)


def assert_fills_or_not_provided(backend, spec, expect_provided) -> None:
    """Every dtype of `backend`: the right array, or NotImplementedError when
    ``expect_provided(dtype)`` is false."""
    shape = small_shape(spec)
    for dtype in backend.dtypes:
        if expect_provided(dtype):
            values = backend.fill(spec, shape, dtype, 1)
            assert isinstance(values, np.ndarray), (spec, dtype, type(values))
            assert values.shape == shape, (spec, dtype, values.shape)
            assert values.dtype == numpy_dtype(dtype), (spec, dtype, values.dtype)
        else:
            try:
                backend.fill(spec, shape, dtype, 1)
            except NotImplementedError as exc:
                assert str(exc), f"{spec} {dtype}: NotImplementedError must say why"
            else:
                raise AssertionError(f"{spec} {dtype}: expected NotImplementedError")


def assert_seeds_honoured(backend, spec, dtype="float32") -> None:
    """Same seed -> identical bytes; different seeds -> different values."""
    shape = small_shape(spec)
    first = backend.fill(spec, shape, dtype, 11)
    again = backend.fill(spec, shape, dtype, 11)
    other = backend.fill(spec, shape, dtype, 12)
    assert first.tobytes() == again.tobytes(), f"{spec}: seed 11 twice gave different bytes"
    # 72 (or 40) continuous draws: equal only if the seed was ignored.
    assert first.tobytes() != other.tobytes(), f"{spec}: seeds 11 and 12 gave equal bytes"


def library_imported_by_adapter_module(module: str, library: str) -> bool:
    """Whether importing adapter `module` (in a fresh interpreter) imports `library`."""
    code = f"import sys, {module}; print({library!r} in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return out.strip().splitlines()[-1] == "True"


def one_case_per_spec_and_check(backend, dtype: str = "float32") -> list:
    """The quick battery on `dtype`, cut to the first case of every (spec, check
    kind): every spec and every check runs once, on fewer distinct shapes."""
    seen, cases = set(), []
    for case in plan(backend, budget="quick", seed=0, dtypes=[dtype]):
        key = (case.spec, case.check) if case.spec is not None else case.id
        if key not in seen:
            seen.add(key)
            cases.append(case)
    return cases


def assert_no_error_outcomes(report) -> None:
    errors = [f"{r.id}: {r.message}" for r in report.results if r.outcome == "error"]
    assert not errors, "\n".join(errors)


def failed_ids(report) -> set[str]:
    return {r.id for r in report.results if r.outcome == "failed"}

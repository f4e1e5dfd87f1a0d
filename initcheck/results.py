"""Results of checks and the JSON report (SPEC §7, schema ``initcheck-report/1``)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

__all__ = ["BUDGET_NAMES", "CHECK_KINDS", "OUTCOMES", "SCHEMA", "CheckResult", "Report"]

SCHEMA = "initcheck-report/1"

#: Every check kind of SPEC §6, in report order.
CHECK_KINDS = (
    "shape",
    "dtype",
    "finite",
    "support",
    "exact",
    "ks",
    "mean",
    "variance",
    "tails",
    "orthogonal",
    "haar",
    "sparsity",
    "determinism",
    "seed",
    "independence",
    "precision",
    "fans",
    "gain",
    "rejects",
    "layer-default",
)

OUTCOMES = ("passed", "failed", "skipped", "error")

#: Battery budgets, cheapest first (their sizes live in ``initcheck.battery.BUDGETS``;
#: the names are here so that the CLI and the pytest plugin need not import scipy).
BUDGET_NAMES = ("quick", "standard", "thorough")


def _json_number(x: float | int | None) -> float | int | None | str:
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    x = float(x)
    if math.isfinite(x):
        return x
    return repr(x)  # "inf", "nan": JSON has no spelling for them


@dataclass
class CheckResult:
    """One check's verdict. Field names are the JSON report's (SPEC §7)."""

    id: str
    spec: str
    initializer: str
    params: dict[str, Any]
    shape: list[int] | None
    dtype: str | None
    check: str
    outcome: str
    statistic: float | None = None
    threshold: float | None = None
    n: int | None = None
    seed: int | None = None
    detectable: str | None = None
    message: str = ""
    #: a one-line shell command that re-runs exactly this check
    repro: str | None = None

    def __post_init__(self) -> None:
        if self.check not in CHECK_KINDS:
            raise ValueError(f"check must be one of {CHECK_KINDS}, got {self.check!r}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")

    @property
    def ok(self) -> bool:
        return self.outcome in ("passed", "skipped")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["statistic"] = _json_number(self.statistic)
        data["threshold"] = _json_number(self.threshold)
        data["params"] = {k: _json_number(v) if isinstance(v, float) else v
                          for k, v in self.params.items()}
        if self.shape is not None:
            data["shape"] = [int(s) for s in self.shape]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CheckResult":
        def num(v):
            return float(v) if isinstance(v, str) else v

        fields = dict(data)
        fields["statistic"] = num(fields.get("statistic"))
        fields["threshold"] = num(fields.get("threshold"))
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in fields.items() if k in known})


@dataclass
class Report:
    """A whole run: which backend, which settings, every result."""

    backend_name: str
    backend_version: str
    settings: dict[str, Any]
    results: list[CheckResult] = field(default_factory=list)
    #: True when the run was interrupted before every planned check ran
    incomplete: bool = False

    @property
    def summary(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
        for r in self.results:
            counts["errors" if r.outcome == "error" else r.outcome] += 1
        return counts

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def extend(self, results: Iterable[CheckResult]) -> None:
        self.results.extend(results)

    def to_json(self) -> dict[str, Any]:
        data = {
            "schema": SCHEMA,
            "backend": {"name": self.backend_name, "version": self.backend_version},
            "settings": dict(self.settings),
            "summary": self.summary,
            "results": [r.to_json() for r in self.results],
        }
        if self.incomplete:
            data["incomplete"] = True
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, allow_nan=False)

    def write_json(self, path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.dumps())
            fh.write("\n")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Report":
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not an {SCHEMA} report: schema={data.get('schema')!r}")
        return cls(
            backend_name=data["backend"]["name"],
            backend_version=data["backend"]["version"],
            settings=dict(data["settings"]),
            results=[CheckResult.from_json(r) for r in data["results"]],
            incomplete=bool(data.get("incomplete", False)),
        )

"""Measured detection floors: the smallest errors the battery's statistical
checks catch with probability >= 0.99, by simulation.

For three laws (normal, uniform, normal truncated to [-2 sigma, 2 sigma]) and
each kind of error a real initializer bug makes (std too large or too small,
mean shifted, truncation bounds too wide or too narrow, clamping instead of
truncating), `detection_floors` finds by bisection the smallest error that the
checks `ks`, `mean`, `variance` and `tails` detect in at least 99% of
simulated fills of the budget's size (a fill is caught when any check fails;
the simulation credits only the better of the pairs ks+tails and
mean+variance, so the battery does at least this well), each check at the per-check
alpha (1e-6 by default), with the same decision rules as
`initcheck.statistics`.

How a fill of 1e7 values is simulated cheaply, and exactly where possible:

* KS and tails: a fill drawn from the wrong law G is binned into `cells` cells
  of equal probability under the right law F, plus edges at every tail point
  and support bound; the cell counts are one multinomial draw (exact, O(cells)
  instead of O(n)).  The ECDF at every edge is then exact, the tail counts are
  exact, and the KS distance over the edges is a lower bound of the true one,
  so the measured floor errs on the side of being too large (conservative).
* mean and variance: the sample mean and mean square about the law's mean are
  drawn from their joint normal limit with G's own first four moments (the
  central limit theorem; the same approximation the tests' thresholds use).
  `tests/test_power.py` checks both shortcuts against direct simulation with
  real samples and the real statistics at a small n.

API (used by ``initcheck run --explain``)::

    detection_floors(budget="quick", *, alpha=1e-6, repeats=400, cells=512,
                     seed=0, fast=False) -> list[DetectionFloor]
    format_table(rows) -> str

`budget` is a name in `initcheck.battery.BUDGETS` (its ``samples`` is the
sample size) or a sample size itself.  ``fast=True`` uses 100 repeats and 256
cells (about 1.5 s of CPU per budget; floors within ~15% of the full run,
which takes about 4 s per budget).  Run
``python -m initcheck.power [budget ...]`` for the table.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import stats

from initcheck import statistics
# the `tails` check's points are these quantiles plus the law's finite support bounds
from initcheck.checks import TAIL_PROBABILITIES

__all__ = ["DetectionFloor", "ERRORS", "LAWS", "detection_floors", "format_table", "main"]

#: the fraction of simulated fills that must be caught
POWER = statistics.POWER
CHECKS = ("ks", "mean", "variance", "tails")

SQRT3 = math.sqrt(3.0)


@dataclass(frozen=True)
class DetectionFloor:
    """One row: the smallest `error` in `law` caught with probability >= POWER."""

    law: str
    error: str
    #: smallest error size caught, in `unit`
    floor: float
    unit: str
    n: int
    alpha: float
    #: measured fraction of fills caught at `floor` (see `_caught_rate`), and by each check alone
    caught: float
    caught_by: dict
    repeats: int

    @property
    def best_check(self) -> str:
        return max(self.caught_by, key=self.caught_by.get)


@dataclass(frozen=True)
class _Law:
    """A (possibly wrong) law: its CDF and raw moments E[X^k], k = 1..4."""

    cdf: Callable[[np.ndarray], np.ndarray]
    moments: tuple[float, float, float, float]


def _from_scipy(frozen) -> _Law:
    return _Law(frozen.cdf, tuple(float(frozen.moment(k)) for k in range(1, 5)))


def _clamped(frozen, lo: float, hi: float, mass: float) -> _Law:
    """`frozen` with a fraction `mass` moved onto its bounds (half on each): what a
    backend that clamps instead of truncating produces."""

    def cdf(x):
        x = np.asarray(x, dtype=np.float64)
        return ((1 - mass) * frozen.cdf(x) + (mass / 2) * (x >= lo) + (mass / 2) * (x >= hi))

    moments = tuple((1 - mass) * float(frozen.moment(k)) + (mass / 2) * (lo**k + hi**k)
                    for k in range(1, 5))
    return _Law(cdf, moments)


# law name -> (the right law, its finite support bounds)
LAWS: dict[str, tuple] = {
    "normal": (stats.norm(0.0, 1.0), ()),
    "uniform": (stats.uniform(-SQRT3, 2 * SQRT3), (-SQRT3, SQRT3)),
    "truncated normal [-2s, 2s]": (stats.truncnorm(-2.0, 2.0), (-2.0, 2.0)),
}

_TN = "truncated normal [-2s, 2s]"

# (law, error, unit, the wrong law for an error of size e, largest e searched).
# Scaling and shifting act on the whole law, bounds included (a wrong gain or
# fan, a wrong mean); the bound errors keep sigma and move the bounds only.
ERRORS: tuple[tuple[str, str, str, Callable[[float], _Law], float], ...] = (
    ("normal", "std too large", "% of std", lambda e: _from_scipy(stats.norm(0, 1 + e)), 1.0),
    ("normal", "std too small", "% of std", lambda e: _from_scipy(stats.norm(0, 1 - e)), 0.9),
    ("normal", "mean shifted", "sigma", lambda e: _from_scipy(stats.norm(e, 1)), 1.0),
    ("uniform", "std too large", "% of std",
     lambda e: _from_scipy(stats.uniform(-SQRT3 * (1 + e), 2 * SQRT3 * (1 + e))), 1.0),
    ("uniform", "std too small", "% of std",
     lambda e: _from_scipy(stats.uniform(-SQRT3 * (1 - e), 2 * SQRT3 * (1 - e))), 0.9),
    ("uniform", "mean shifted", "sigma", lambda e: _from_scipy(stats.uniform(e - SQRT3, 2 * SQRT3)), 1.0),
    (_TN, "std too large", "% of std", lambda e: _from_scipy(stats.truncnorm(-2, 2, scale=1 + e)), 1.0),
    (_TN, "std too small", "% of std", lambda e: _from_scipy(stats.truncnorm(-2, 2, scale=1 - e)), 0.9),
    (_TN, "mean shifted", "sigma", lambda e: _from_scipy(stats.truncnorm(-2, 2, loc=e)), 1.0),
    (_TN, "bounds too wide", "sigma", lambda e: _from_scipy(stats.truncnorm(-2 - e, 2 + e)), 1.0),
    (_TN, "bounds too narrow", "sigma", lambda e: _from_scipy(stats.truncnorm(-2 + e, 2 - e)), 1.0),
    (_TN, "clamped, not truncated", "mass on the bounds",
     lambda e: _clamped(stats.truncnorm(-2.0, 2.0), -2.0, 2.0, e), 0.5),
)

FAST = {"repeats": 100, "cells": 256}


class _Simulator:
    """Simulates the four checks on fills of size n drawn from wrong laws."""

    def __init__(self, law_name: str, n: int, alpha: float, cells: int):
        right, bounds = LAWS[law_name]
        self.n, self.alpha = n, alpha
        mean, var = float(right.mean()), float(right.var())
        self.mean, self.sd = mean, math.sqrt(var)
        self.kurtosis = float(right.stats(moments="k")) + 3.0
        tails = [float(t) for t in right.ppf(TAIL_PROBABILITIES)] + list(bounds)
        grid = right.ppf(np.linspace(0.0, 1.0, cells + 1)[1:-1])
        # an upper tail counts x >= t: the edge just below t separates it
        upper = [float(np.nextafter(t, -np.inf)) for t in tails if right.cdf(t) >= 0.5]
        self.edges = np.unique(np.concatenate([grid, tails, upper]))
        self.f_edges = right.cdf(self.edges)
        self.tails = []  # (edge index, lower?, allowed count range)
        per_point = alpha / len(tails)
        for t in tails:
            f = float(right.cdf(t))
            lower = f < 0.5
            edge = t if lower else float(np.nextafter(t, -np.inf))
            p = f if lower else 1.0 - f
            self.tails.append((int(np.searchsorted(self.edges, edge)), lower,
                               statistics._binomial_bounds(n, p, per_point)))
        self.ks_threshold = statistics.dkwm_threshold(n, alpha)
        z = statistics._z(alpha / 2)
        self.mean_threshold = z * self.sd / math.sqrt(n)
        self.ratio_threshold = z * statistics._std_ratio_se(n, self.kurtosis, known_mean=True)

    def caught(self, wrong: _Law, repeats: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """For `repeats` simulated fills from `wrong`: which checks fail."""
        n = self.n
        g = np.clip(wrong.cdf(self.edges), 0.0, 1.0)
        probs = np.diff(np.concatenate(([0.0], np.maximum.accumulate(g), [1.0])))
        probs = np.maximum(probs, 0.0)
        probs /= probs.sum()
        counts = rng.multinomial(n, probs, size=repeats)
        at_edges = np.cumsum(counts[:, :-1], axis=1)  # #{x <= edge}
        ks = np.max(np.abs(at_edges / n - self.f_edges), axis=1) > self.ks_threshold
        tails = np.zeros(repeats, bool)
        for i, lower, (lo, hi) in self.tails:
            c = at_edges[:, i] if lower else n - at_edges[:, i]
            tails |= (c < lo) | (c > hi)
        # mean and mean square about the right mean: joint normal limit under `wrong`
        m1, m2, m3, m4 = _moments_about(wrong.moments, self.mean)
        cov = np.array([[m2 - m1 * m1, m3 - m1 * m2], [m3 - m1 * m2, m4 - m2 * m2]]) / n
        draws = rng.multivariate_normal([m1, m2], cov, size=repeats, method="eigh")
        mean = np.abs(draws[:, 0]) > self.mean_threshold
        ratio = np.sqrt(np.maximum(draws[:, 1], 0.0)) / self.sd
        variance = np.abs(ratio - 1.0) > self.ratio_threshold
        return {"ks": ks, "mean": mean, "variance": variance, "tails": tails}


def _caught_rate(flags: dict[str, np.ndarray]) -> float:
    """Share of fills caught by the battery, as far as the simulation can tell.

    KS and tails come from the same multinomial counts, mean and variance from
    the same joint normal draw, but the two pairs are simulated independently,
    so a fill caught by one pair only is not a fill caught by the battery: count
    the better pair.  The battery (any check failing) does at least as well.
    """
    counts_pair = np.mean(flags["ks"] | flags["tails"])
    moments_pair = np.mean(flags["mean"] | flags["variance"])
    return float(max(counts_pair, moments_pair))


def _moments_about(raw: Sequence[float], c: float) -> tuple[float, float, float, float]:
    """E[(X-c)^k], k = 1..4, from raw moments E[X^k]."""
    m = (1.0, *raw)
    return tuple(sum(math.comb(k, j) * m[j] * (-c) ** (k - j) for j in range(k + 1))
                 for k in range(1, 5))


def _sample_size(budget) -> int:
    if isinstance(budget, bool):
        raise TypeError(f"budget must be a budget name or a sample size, got {budget!r}")
    if isinstance(budget, (int, np.integer)):
        if budget < 100:
            raise ValueError(f"budget as a sample size must be >= 100, got {budget}")
        return int(budget)
    from initcheck.battery import BUDGETS

    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {', '.join(BUDGETS)} or a sample size, got {budget!r}")
    return int(BUDGETS[budget].samples)


def detection_floors(budget="quick", *, alpha: float = 1e-6, repeats: int = 400, cells: int = 512,
                     seed: int = 0, fast: bool = False, errors=None) -> list[DetectionFloor]:
    """The smallest error of each kind in `ERRORS` (or the given subset) caught by
    the battery's statistical checks in >= 99% of fills of the budget's size.

    The search bisects on a log scale between 1e-9 and the error's largest
    size until the bracket is within 2%, then confirms the bracket's upper end
    on 2 x `repeats` fresh fills, stepping up by 3% until at least 99% of them
    are caught: `caught` and `caught_by` are measured on those fills.
    """
    n = _sample_size(budget)
    alpha = statistics._check_alpha(alpha)
    if fast:
        repeats, cells = FAST["repeats"], FAST["cells"]
    repeats = statistics._check_count(repeats, "repeats", 10)
    cells = statistics._check_count(cells, "cells", 16)
    rows = []
    simulators: dict[str, _Simulator] = {}
    for law_name, error, unit, wrong, largest in (ERRORS if errors is None else errors):
        sim = simulators.get(law_name) or simulators.setdefault(
            law_name, _Simulator(law_name, n, alpha, cells))

        def evaluate(e, stream=0, times=1):
            rng = np.random.default_rng([seed, stream])
            return sim.caught(wrong(e), times * repeats, rng)

        flags = evaluate(largest)
        lo, hi = 1e-9, largest
        if _caught_rate(flags) < POWER:
            floor = math.inf
        else:
            while hi / lo > 1.02:
                mid = math.sqrt(lo * hi)
                if _caught_rate(evaluate(mid)) >= POWER:
                    hi = mid
                else:
                    lo = mid
            # The bisection stops at the first size whose `repeats` fills happened
            # to look good enough, which flatters the floor; confirm it on twice
            # as many fresh fills, stepping up 3% until they are caught too.
            floor = hi
            for step in range(1, 40):
                flags = evaluate(floor, stream=step, times=2)
                if _caught_rate(flags) >= POWER or floor >= largest:
                    break
                floor = min(floor * 1.03, largest)
        scale = 100.0 if unit.startswith("%") else 1.0
        rows.append(DetectionFloor(
            law=law_name, error=error, floor=floor * scale, unit=unit, n=n, alpha=alpha,
            caught=_caught_rate(flags), caught_by={c: float(np.mean(flags[c])) for c in CHECKS},
            repeats=repeats,
        ))
    return rows


def format_table(rows: Sequence[DetectionFloor]) -> str:
    """The rows as a Markdown table."""
    lines = ["| law | error | n | smallest caught (power >= 0.99) | caught by (share of fills at that size) |",
             "|---|---|---|---|---|"]
    for r in rows:
        size = "not caught" if math.isinf(r.floor) else (
            f"{r.floor:.3g}%" if r.unit.startswith("%") else f"{r.floor:.3g} {r.unit}")
        if r.unit.startswith("%"):
            size += " of std"
        by = ", ".join(f"{c} {100 * v:.0f}%" for c, v in sorted(r.caught_by.items(), key=lambda kv: -kv[1])
                       if v > 0)
        lines.append(f"| {r.law} | {r.error} | {r.n:.0e} | {size} | {by or '-'} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m initcheck.power",
        description="Measure, by simulation, the smallest errors the statistical checks catch.")
    parser.add_argument("budgets", nargs="*", default=["quick", "standard", "thorough"],
                        help="budget names or sample sizes. Default: all three budgets")
    parser.add_argument("--alpha", type=float, default=1e-6, metavar="A",
                        help="per-check false-failure rate. Default: 1e-6")
    parser.add_argument("--repeats", type=int, default=400, metavar="R",
                        help="simulated fills per error size. Default: 400")
    parser.add_argument("--fast", action="store_true", help="100 repeats, 256 cells")
    parser.add_argument("--seed", type=int, default=0, help="Default: 0")
    args = parser.parse_args(argv)
    for budget in args.budgets:
        b = int(float(budget)) if budget[:1].isdigit() else budget
        rows = detection_floors(b, alpha=args.alpha, repeats=args.repeats, seed=args.seed, fast=args.fast)
        print(f"\n## {budget}: n = {rows[0].n}, alpha = {args.alpha:g} per check, "
              f"{rows[0].repeats} simulated fills per size\n")
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

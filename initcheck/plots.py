"""Plots of a fill against its law, for reports (PNG).

matplotlib is imported inside the drawing functions only, and through its
object-oriented API (``Figure`` + Agg canvas) rather than ``pyplot``: drawing a report
never touches the global plotting state of the process that asked for it.

Fills are pure functions of their seed (SPEC §5), so a plot re-draws the very fill the
check judged from the backend instead of keeping every sample in memory.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from initcheck.laws import Law, law_for
from initcheck.spec import Spec

__all__ = ["PLOTTED_CHECKS", "plot_fill", "plot_file_name", "plot_result"]

#: Check kinds a plot helps with: the statistical ones and the orthogonal ones.
PLOTTED_CHECKS = frozenset(
    {"support", "ks", "mean", "variance", "tails", "orthogonal", "haar", "sparsity"}
)

#: Points drawn in a QQ plot: more adds ink, not information.
QQ_POINTS = 2000


def plot_file_name(result) -> str:
    """A short, unique, filesystem-safe name for the plot of `result`'s fill. Checks
    on the same fill (same spec, shape, dtype and seed) share it.

    >>> from initcheck.results import CheckResult
    >>> r = CheckResult("x", "HeNormal()", "HeNormal", {}, [4, 2], "float32", "ks", "failed",
    ...                 seed=7)
    >>> plot_file_name(r)
    'HeNormal-4x2-float32-b7b278f2.png'
    """
    fill = f"{result.spec}|{result.shape}|{result.dtype}|{result.seed}"
    digest = hashlib.sha1(fill.encode()).hexdigest()[:8]
    dims = "x".join(str(d) for d in result.shape or ())
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_",
                  f"{result.initializer or 'backend'}-{dims}-{result.dtype}")
    return f"{stem}-{digest}.png"


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _distribution_axes(fig, values: np.ndarray, law: Law, title: str) -> None:
    hist_ax, qq_ax = fig.subplots(1, 2)
    x = values[np.isfinite(values)]
    lo, hi = np.quantile(x, [0.0005, 0.9995]) if x.size else (-1.0, 1.0)
    if law.dist is not None:
        lo = min(lo, float(law.dist.ppf(0.0005)))
        hi = max(hi, float(law.dist.ppf(0.9995)))
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    hist_ax.hist(x, bins=80, range=(lo, hi), density=True, color="#7aa6d8",
                 label=f"fill (n={values.size})")
    if law.dist is not None:
        grid = np.linspace(lo, hi, 400)
        hist_ax.plot(grid, law.dist.pdf(grid), color="#c0392b", lw=1.5,
                     label="law's density")
    hist_ax.set_title("histogram against the law")
    hist_ax.set_xlabel("value")
    hist_ax.legend(fontsize=8, loc="lower center")

    if law.dist is not None and x.size:
        sample = np.sort(x)
        idx = np.linspace(0, sample.size - 1, min(QQ_POINTS, sample.size)).astype(int)
        probs = (idx + 0.5) / sample.size
        theory = law.dist.ppf(probs)
        qq_ax.plot(theory, sample[idx], ".", ms=2, color="#2c3e50")
        ends = [float(np.nanmin(theory)), float(np.nanmax(theory))]
        qq_ax.plot(ends, ends, color="#c0392b", lw=1, label="y = x (a correct fill)")
        qq_ax.legend(fontsize=8)
    qq_ax.set_title("QQ plot")
    qq_ax.set_xlabel("law's quantiles")
    qq_ax.set_ylabel("fill's quantiles")
    fig.suptitle(title, fontsize=9)


def _gram_axes(fig, values: np.ndarray, law: Law, title: str) -> None:
    w = values.astype(np.float64).reshape(law.rows, law.cols)
    gram = w @ w.T if law.rows <= law.cols else w.T @ w
    deviation = gram - law.gain ** 2 * np.eye(gram.shape[0])
    limit = float(np.max(np.abs(deviation))) or 1.0
    ax = fig.subplots()
    image = ax.imshow(deviation, cmap="RdBu_r", vmin=-limit, vmax=limit,
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.8)
    which = "W Wᵀ" if law.rows <= law.cols else "Wᵀ W"
    ax.set_title(f"{which} − gain²·I (all zero for an orthogonal fill)", fontsize=9)
    fig.suptitle(title, fontsize=9)


def plot_fill(path, spec: Spec, shape, dtype: str, sample: np.ndarray,
              title: str | None = None) -> Path:
    """Draw `sample` (a fill of `spec`) against its law into the PNG at `path`.

    Continuous laws: histogram with the law's density beside a QQ plot. Orthogonal
    laws: a heat map of the Gram matrix's deviation from gain²·I. Sparse laws: the
    non-zeros against N(0, sigma²).
    """
    path = Path(path)
    law = law_for(spec, tuple(shape), dtype)
    values = np.asarray(sample).astype(np.float64).reshape(-1)
    title = title or f"{spec} shape {tuple(shape)} {dtype}"
    if law.kind == "orthogonal":
        fig = _figure(6, 5)
        _gram_axes(fig, values, law, title)
    elif law.kind == "sparse":
        fig = _figure(10, 4)
        _distribution_axes(fig, values[values != 0], law, f"{title} (non-zeros)")
    elif law.kind == "continuous":
        fig = _figure(10, 4)
        _distribution_axes(fig, values, law, title)
    else:
        raise ValueError(f"no plot for the {law.kind} law of {spec}: its values are exact")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def plot_result(backend: Any, result, directory) -> Path | None:
    """Plot `result`'s fill, re-drawn from `backend`, into `directory` (once per fill:
    an existing plot of the same fill is reused); None when the check has no plot or
    the fill cannot be re-drawn."""
    if result.check not in PLOTTED_CHECKS or result.shape is None or result.seed is None:
        return None
    path = Path(directory) / plot_file_name(result)
    if path.exists():
        return path
    try:
        spec = Spec.parse(result.spec)
        law = law_for(spec, tuple(result.shape), result.dtype)
        if law.kind == "exact":
            return None
        sample = np.asarray(backend.fill(spec, tuple(result.shape), result.dtype,
                                         int(result.seed)))
    except Exception:  # the backend failed to re-draw: the report says so in words
        return None
    if sample.size != math.prod(result.shape):
        return None
    title = f"{result.spec} shape {tuple(result.shape)} {result.dtype} seed {result.seed}"
    return plot_fill(path, spec, result.shape, result.dtype, sample, title)

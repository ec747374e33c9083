"""Plots for the report as inline SVG strings (matplotlib, Agg): the page needs no network and no files.

Text stays text (svg.fonttype none), so the plots are searchable and small; each function returns a
complete <svg> element, or one saying there is nothing to plot, never an empty string.
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, and safe in worker processes
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "hawk", "font.size": 9})


def _svg(fig: Any, plot_id: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    start = text.find("<svg")
    # An id per plot, so the page and the tests can find each one.
    return text[start:].replace("<svg", f'<svg id="{plot_id}" class="plot"', 1)


def _empty(plot_id: str, title: str, why: str) -> str:
    fig, ax = plt.subplots(figsize=(6, 1.6))
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.4, why, ha="center", va="center", transform=ax.transAxes, color="#666")
    return _svg(fig, plot_id)


def speedup_distribution(speedups: dict[str, list[float]], threshold: float = 10.0) -> str:
    """One row of points per method: each correct unit's speedup over eager, log scale."""
    title = "Speedup over eager of each correct unit"
    if not any(speedups.values()):
        return _empty("plot-speedup", title, "no correct kernel with an eager time yet")
    methods = list(speedups)
    fig, ax = plt.subplots(figsize=(7, 0.7 + 0.55 * len(methods)))
    for y, m in enumerate(methods):
        vals = speedups[m]
        # Deterministic jitter: points of one method spread a little vertically so they do not hide each other.
        jitter = [((i * 0.618) % 1 - 0.5) * 0.3 for i in range(len(vals))]
        ax.scatter(vals, [y + j for j in jitter], s=18, alpha=0.75, label=m)
    ax.axvline(1.0, color="#444", lw=0.8, ls="--")
    ax.axvline(threshold, color="#c00", lw=0.8, ls=":")
    ax.text(threshold, len(methods) - 0.5, f" {threshold:g}x: implausible", color="#c00", va="top", fontsize=8)
    ax.set_xscale("log")
    lo = min(min(v) for v in speedups.values() if v)
    hi = max(max(v) for v in speedups.values() if v)
    ax.set_xlim(min(lo, 0.5) / 1.3, max(hi, threshold) * 1.3)
    ax.set_yticks(range(len(methods)), methods)
    ax.set_ylim(-0.6, len(methods) - 0.4)
    ax.set_xlabel("speedup over eager (log scale; dashed: 1x)")
    ax.set_title(title)
    return _svg(fig, "plot-speedup")


def accuracy_by_group(acc: dict[str, dict[str, float | None]], plot_id: str, group_name: str) -> str:
    """Grouped bars: {group: {method: accuracy}}."""
    title = f"Correctness rate by {group_name}"
    groups = list(acc)
    methods = sorted({m for g in acc.values() for m in g})
    if not groups or not methods:
        return _empty(plot_id, title, "no finished unit yet")
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(groups) * max(1, len(methods)) ** 0.5 + 2), 2.8))
    width = 0.8 / len(methods)
    for j, m in enumerate(methods):
        xs = [i + (j - (len(methods) - 1) / 2) * width for i in range(len(groups))]
        ys = [100 * (acc[g].get(m) or 0.0) for g in groups]
        ax.bar(xs, ys, width=width, label=m)
    ax.set_xticks(
        range(len(groups)), groups, rotation=20 if len(groups) > 4 else 0, ha="right" if len(groups) > 4 else "center"
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel("correct units (%)")
    ax.set_title(title)
    ax.legend(
        fontsize=8, ncols=min(4, len(methods)), loc="upper left", bbox_to_anchor=(0, -0.18 if len(groups) > 4 else -0.1)
    )
    return _svg(fig, plot_id)


def knowledge_growth(growth: list[dict[str, Any]]) -> str:
    """Knowledge-store items (and active items) after each finished unit, in finishing order."""
    title = "Knowledge store size over the run"
    if not growth:
        return _empty("plot-knowledge", title, "no finished unit yet")
    xs = list(range(1, len(growth) + 1))
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.step(xs, [g.get("items", 0) for g in growth], where="post", label="items")
    ax.step(xs, [g.get("active", 0) for g in growth], where="post", label="active (proven)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # units and items are counts
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("finished units (finishing order)")
    ax.set_ylabel("items")
    top = max(g.get("items", 0) for g in growth)
    ax.set_ylim(0, max(1, top) * 1.15)
    ax.set_xlim(0.5, len(xs) + 0.5)
    if top == 0:
        ax.text(0.5, 0.5, "the store stayed empty (only method hawk writes to it)", ha="center",
                transform=ax.transAxes, color="#666")  # fmt: skip
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title)
    return _svg(fig, "plot-knowledge")


def compare_bars(values: dict[str, dict[str, float | None]], metric: str, plot_id: str) -> str:
    """{run label: {method: value}} as grouped bars, for `hawk report --compare`."""
    runs = list(values)
    methods = sorted({m for v in values.values() for m in v})
    if not methods:
        return _empty(plot_id, metric, "no methods")
    fig, ax = plt.subplots(figsize=(6, 2.6))
    width = 0.8 / max(1, len(runs))
    for j, run in enumerate(runs):
        xs = [i + (j - (len(runs) - 1) / 2) * width for i in range(len(methods))]
        ys = [v if v is not None and not math.isnan(v) else 0.0 for v in (values[run].get(m) for m in methods)]
        ax.bar(xs, ys, width=width, label=run)
    ax.set_xticks(range(len(methods)), methods)
    ax.set_title(metric)
    ax.legend(fontsize=8)
    return _svg(fig, plot_id)

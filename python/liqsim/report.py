"""Figures and the Markdown / HTML report of a `liqsim.harness.Comparison`.

Figures are drawn on `matplotlib.figure.Figure` objects and saved as PNG with the Agg renderer,
so nothing here touches pyplot's global state or needs a display. `write_report` writes:

- ``price_path.png``: mark price with liquidation notional per 10 s (bars) and halts shaded,
  baseline vs each policy, first seed;
- ``depth.png``: depth within +-1% of the mid over time per policy, first seed;
- ``metrics.png``: distribution over seeds of each key metric per policy (box + points);
- ``forest.png``: per-seed differences against the baseline with the bootstrap 95% CI of the
  mean difference;
- ``liquidations.png``: distribution over seeds of how the liquidations ran per policy
  (`liqsim.analysis.summarize`: margin ratio when liquidated, notional closed underwater or
  right after reopenings, deficits, timing);
- ``report.md`` and ``report.html`` (self-contained; images by relative path).
"""

from __future__ import annotations

import html
import importlib.util
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .breakers import LiqThrottle
from .harness import HEADLINE_METRICS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .harness import Comparison
    from .policies import Policy
    from .scenarios import Scenario

__all__ = ["REPORT_METRICS", "fmt_number", "format_table", "halt_intervals", "liquidation_bars",
           "plot_price_path", "write_report"]

#: Metrics shown in the distribution and forest figures and the report's difference table.
REPORT_METRICS: tuple[str, ...] = HEADLINE_METRICS + ("insurance_fund_drawdown", "adl_notional",
                                                      "max_spread_ratio", "recovery_time_50")
#: File names of the figures `write_report` may write.
FIGURES: tuple[str, ...] = ("price_path.png", "depth.png", "metrics.png", "forest.png", "liquidations.png")
#: `liqsim.analysis.summarize` figures shown in ``liquidations.png``.
LIQUIDATION_FIGURES: tuple[str, ...] = ("margin_ratio_median", "margin_ratio_p05", "underwater_notional_share",
                                        "reopen_burst_share", "deficit_usd", "t_median")
BAR_S = 10.0
_BASE_COLOUR = "0.45"
_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink",
            "tab:olive", "tab:cyan")


# --------------------------------------------------------------------------------------------
# series helpers

def liquidation_bars(ts: pd.DataFrame, bin_s: float = BAR_S) -> tuple[np.ndarray, np.ndarray]:
    """(bin start in seconds, USD liquidated in the bin): per-sample increments of
    ``liq_long_cum + liq_short_cum`` summed over bins of ``bin_s`` seconds."""
    t = ts["t"].to_numpy(dtype=np.float64)
    cum = (ts["liq_long_cum"] + ts["liq_short_cum"]).to_numpy(dtype=np.float64)
    if t.size == 0:
        return np.empty(0), np.empty(0)
    inc = np.diff(cum, prepend=0.0)
    bins = np.floor(t / bin_s)
    starts, idx = np.unique(bins, return_inverse=True)
    return starts * bin_s, np.bincount(idx, weights=inc)


def halt_intervals(ts: pd.DataFrame) -> list[tuple[float, float]]:
    """Contiguous halted stretches as (start, end) seconds; a halted sample covers [t, t + step)."""
    t = ts["t"].to_numpy(dtype=np.float64)
    halted = ts["halted"].to_numpy(dtype=np.float64) != 0
    if not halted.any():
        return []
    step = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    edges = np.diff(np.concatenate(([0], halted.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(t[a]), float(t[b]) + step) for a, b in zip(starts, ends)]


def plot_price_path(ax: Axes, ts: pd.DataFrame, *, label: str = "", colour: str = "tab:blue",
                    bar_ax: Axes | None = None, bar_offset: float = 0.0, bar_width: float = BAR_S,
                    shade: bool = True) -> Axes:
    """Mark price (line, minutes on x) on ``ax``, liquidation notional per 10 s as bars on a twin
    axis (``bar_ax``, created if None), halts shaded. Returns the bar axis."""
    minutes = ts["t"].to_numpy(dtype=np.float64) / 60.0
    ax.plot(minutes, ts["mark"].to_numpy(dtype=np.float64), color=colour, lw=1.0, label=f"{label} mark".strip())
    if bar_ax is None:
        bar_ax = ax.twinx()
        bar_ax.set_ylabel(f"liquidations per {BAR_S:g} s (USD)")
    starts, usd = liquidation_bars(ts)
    keep = usd > 0
    bar_ax.bar((starts[keep] + bar_offset) / 60.0, usd[keep], width=bar_width / 60.0, align="edge",
               color=colour, alpha=0.45, label=f"{label} liquidations".strip())
    top = float(usd.max()) if usd.size else 0.0
    current = bar_ax.get_ylim()[1]
    bar_ax.set_ylim(0, max(current, 3.0 * top) if top > 0 else current)  # bars in the lower third
    if shade:
        for a, b in halt_intervals(ts):
            ax.axvspan(a / 60.0, b / 60.0, color=colour, alpha=0.12, lw=0)
    ax.set_xlabel("time (min)")
    ax.set_ylabel("mark (USD)")
    return bar_ax


def _depth(ts: pd.DataFrame) -> pd.Series:
    depth = (ts["depth_bid_1pct"] + ts["depth_ask_1pct"]).astype(np.float64)
    return depth.rolling(10, min_periods=1).mean()


# --------------------------------------------------------------------------------------------
# figures

def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _colour(i: int) -> str:
    return _COLOURS[i % len(_COLOURS)]


def figure_price_paths(cmp: Comparison) -> Figure:
    """Baseline vs each other policy (one panel each): mark, liquidation bars, halts (seed 1)."""
    names = cmp.policy_names
    others = [n for n in names[1:] if n in cmp.timeseries] or names[:1]
    fig = _new_figure(10, 3.2 * len(others))
    axes = fig.subplots(len(others), 1, squeeze=False)[:, 0]
    base = cmp.timeseries.get(cmp.baseline)
    for ax, name in zip(axes, others):
        bar_ax = None
        if base is not None and name != cmp.baseline:
            bar_ax = plot_price_path(ax, base, label=cmp.baseline, colour=_BASE_COLOUR, bar_width=BAR_S / 2)
        i = names.index(name)
        bar_ax = plot_price_path(ax, cmp.timeseries[name], label=name, colour=_colour(i), bar_ax=bar_ax,
                                 bar_offset=BAR_S / 2 if bar_ax is not None else 0.0,
                                 bar_width=BAR_S / 2 if bar_ax is not None else BAR_S)
        ax.axvline(cmp.scenario.shock_start_s / 60.0, color="k", ls="--", lw=0.8)
        if cmp.fork_at is not None:
            ax.axvline(cmp.fork_at / 60.0, color="k", ls=":", lw=0.8)
        lines, labels = ax.get_legend_handles_labels()
        bars, bar_labels = bar_ax.get_legend_handles_labels()
        ax.legend(lines + bars, labels + bar_labels, loc="upper right", fontsize=8)
        title = f"{name} vs {cmp.baseline}" if name != cmp.baseline else name
        ax.set_title(f"{cmp.scenario.name}, seed {cmp.seeds[0]}: {title} (shaded: halts)", fontsize=10)
    return fig


def figure_depth(cmp: Comparison) -> Figure:
    """Depth within +-1% of the perp mid (10 s mean) over time, one line per policy (seed 1)."""
    fig = _new_figure(10, 3.5)
    ax = fig.subplots()
    for i, name in enumerate(cmp.policy_names):
        ts = cmp.timeseries.get(name)
        if ts is None:
            continue
        colour = _BASE_COLOUR if i == 0 else _colour(i)
        ax.plot(ts["t"] / 60.0, _depth(ts), color=colour, lw=1.0, label=name)
    ax.axvline(cmp.scenario.shock_start_s / 60.0, color="k", ls="--", lw=0.8)
    top = max((float(_depth(ts).max()) for ts in cmp.timeseries.values()), default=0.0)
    if top > 0:  # log-like scale: post-shock depth is often orders of magnitude below normal
        ax.set_yscale("symlog", linthresh=top * 1e-3)
        ax.set_ylim(0, top * 2)
    ax.set_xlabel("time (min)")
    ax.set_ylabel("depth within ±1% (USD, 10 s mean)")
    ax.set_title(f"{cmp.scenario.name}, seed {cmp.seeds[0]}: order book depth", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def _grid(n: int, ncols: int = 5) -> tuple[int, int]:
    ncols = min(ncols, n)
    return math.ceil(n / ncols), ncols


def figure_distributions(cmp: Comparison, metrics: Sequence[str] = REPORT_METRICS,
                         table: pd.DataFrame | None = None, what: str = "metrics", ncols: int = 5) -> Figure:
    """Box plot plus the per-seed points of each metric, per policy, from ``table`` (one row per
    seed x policy; default ``cmp.results``)."""
    results = cmp.results if table is None else table
    names = cmp.policy_names
    nrows, ncols = _grid(len(metrics), ncols)
    fig = _new_figure(3.2 * ncols, 0.6 + 2.8 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    rng = np.random.default_rng(0)  # deterministic jitter
    for ax, m in zip(axes, metrics):
        data = [results.loc[results["policy"] == n, m].dropna().to_numpy(dtype=np.float64) for n in names]
        ax.boxplot([d if d.size else np.array([np.nan]) for d in data], showfliers=False,
                   medianprops={"color": "k"})
        ax.set_xticks(range(1, len(names) + 1), names, rotation=30, ha="right", fontsize=8)
        for i, d in enumerate(data):
            ax.plot(i + 1 + rng.uniform(-0.15, 0.15, d.size), d, "o", ms=3, alpha=0.6,
                    color=_BASE_COLOUR if i == 0 else _colour(i))
        ax.set_title(m, fontsize=9)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(f"{cmp.scenario.name}: {what} over {len(cmp.seeds)} seeds", fontsize=10)
    return fig


def figure_forest(cmp: Comparison, metrics: Sequence[str] = REPORT_METRICS) -> Figure | None:
    """Per-seed differences (policy - baseline) as points, mean difference with its bootstrap
    95% CI as a bar, one panel per metric; None with a single policy."""
    names = cmp.policy_names
    others = names[1:]
    if not others:
        return None
    nrows, ncols = _grid(len(metrics))
    fig = _new_figure(3.2 * ncols, 0.6 + (0.9 + 0.35 * len(others)) * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    wide = {m: cmp.results.pivot(index="seed", columns="policy", values=m) for m in metrics}
    summary = cmp.summary.set_index(["policy", "metric"])
    for ax, m in zip(axes, metrics):
        for j, name in enumerate(others):
            y = len(others) - 1 - j
            diffs = (wide[m][name] - wide[m][cmp.baseline]).dropna().to_numpy(dtype=np.float64)
            ax.plot(diffs, np.full(diffs.size, y), "|", ms=8, alpha=0.35, color=_colour(j + 1))
            row = summary.loc[(name, m)]
            lo, hi = row["ci_low"], row["ci_high"]
            if np.isfinite(row["mean_diff"]) and np.isfinite(lo) and np.isfinite(hi):
                ax.errorbar([row["mean_diff"]], [y], xerr=[[row["mean_diff"] - lo], [hi - row["mean_diff"]]],
                            fmt="o", color=_colour(j + 1), capsize=3, ms=5)
            elif np.isfinite(row["mean_diff"]):  # too few seeds for a CI: the mean alone
                ax.plot([row["mean_diff"]], [y], "o", color=_colour(j + 1), ms=5)
        ax.axvline(0.0, color="k", lw=0.8)
        ax.set_yticks(range(len(others)), list(reversed(others)), fontsize=8)
        ax.set_ylim(-0.7, len(others) - 0.3)
        ax.set_title(f"Δ {m}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(f"{cmp.scenario.name}: policy - {cmp.baseline}, per seed (ticks) and mean with 95% CI",
                 fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# tables

def fmt_number(x: Any) -> str:
    """Compact human formatting: thousands separators for large values, 4 significant digits
    otherwise, ``n/a`` for NaN/None."""
    if x is None:
        return "n/a"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if not math.isfinite(v):
            return "n/a" if math.isnan(v) else str(v)
        if v == 0:
            return "0"
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(x)


def format_table(df: pd.DataFrame, *, index: bool = True) -> str:
    """A Markdown (pipe) table of ``df`` with `fmt_number` formatting.

    Uses `DataFrame.to_markdown` when the optional ``tabulate`` package is installed, else an
    equivalent built-in formatter.
    """
    shown = df.reset_index() if index and (df.index.name is not None or not isinstance(df.index, pd.RangeIndex)) \
        else df.reset_index(drop=True)
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    cells = shown.apply(lambda col: col.map(fmt_number)).astype(str)
    if importlib.util.find_spec("tabulate") is not None:
        return str(cells.to_markdown(index=False, colalign=["right" if n else "left" for n in numeric]))
    headers = [str(c) for c in cells.columns]
    rows = cells.to_numpy().tolist()
    widths = [max([len(h)] + [len(r[k]) for r in rows]) for k, h in enumerate(headers)]

    def line(vals: Sequence[str]) -> str:
        return "| " + " | ".join(v.rjust(w) if n else v.ljust(w)
                                 for v, w, n in zip(vals, widths, numeric)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if n else (":" + "-" * (w + 1))
                          for w, n in zip(widths, numeric)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _diff_table(cmp: Comparison) -> pd.DataFrame:
    cols = ["policy", "metric", "n", "mean_diff", "median_diff", "ci_low", "ci_high", "wilcoxon_p",
            "share_helped"]
    s = cmp.summary
    return s.loc[s["metric"].isin(REPORT_METRICS), cols].reset_index(drop=True)


def _scaled_amounts(policy: Policy, scenario: Scenario) -> str:
    """The dollar amounts `policy` runs `scenario` with (its real-day amounts times the scale)."""
    breakers = policy.breakers_for(scenario)
    parts = [] if breakers is None else [p for p in breakers.policies if isinstance(p, LiqThrottle)]
    return "; ".join(f"liquidations <= ${p.global_cap:,.0f} per {p.window:g} s" for p in parts)


def _policy_table(cmp: Comparison) -> pd.DataFrame:
    return pd.DataFrame({"policy": cmp.policy_names, "description": [p.description for p in cmp.policies],
                         "in this scenario's dollars": [_scaled_amounts(p, cmp.scenario) for p in cmp.policies]})


# --------------------------------------------------------------------------------------------
# report

def write_figures(cmp: Comparison, out_dir: str | Path) -> list[Path]:
    """Draw the report figures into ``out_dir`` as PNG; returns their paths."""
    out = Path(out_dir)
    figures: list[tuple[str, Figure | None]] = []
    if cmp.timeseries:
        figures += [("price_path.png", figure_price_paths(cmp)), ("depth.png", figure_depth(cmp))]
    figures += [("metrics.png", figure_distributions(cmp)), ("forest.png", figure_forest(cmp))]
    if not cmp.liquidations.empty:
        figures.append(("liquidations.png", figure_distributions(
            cmp, LIQUIDATION_FIGURES, table=cmp.liquidations, what="how the liquidations ran", ncols=3)))
    paths = []
    for name, fig in figures:
        if fig is not None:
            fig.savefig(out / name, dpi=110)
            paths.append(out / name)
    for name in FIGURES:  # a figure this comparison has none of, left from an earlier report
        if out / name not in paths:
            (out / name).unlink(missing_ok=True)
    return paths


def _intro(cmp: Comparison) -> list[str]:
    seeds = cmp.seeds
    span = f"{seeds[0]}..{seeds[-1]}" if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))) \
        else ", ".join(map(str, seeds))
    lines = [f"Scenario `{cmp.scenario.name}` ({cmp.scenario.duration_s:g} s, shock at "
             f"{cmp.scenario.shock_start_s:g} s), {len(seeds)} paired seeds ({span}); baseline "
             f"`{cmp.baseline}`."]
    if cmp.fork_at is not None:
        lines.append(f"Counterfactual fork at {cmp.fork_at:g} s: every policy continues the baseline's "
                     "history from that state (breakers switched on at the fork).")
    return lines


_DIFF_NOTE = ("Differences are per seed, policy minus baseline; `ci_low`/`ci_high`: bootstrap 95% CI "
              "of the mean difference (n/a with fewer than 3 seeds); `wilcoxon_p`: two-sided signed-rank test; `share_helped`: share "
              "of seeds where the policy did better. All metrics: `summary.csv`; per-run values: "
              "`results.parquet`.")


_LIQ_NOTE = ("`liquidations.csv` has these per seed (`liqsim.analysis.summarize`). `margin_ratio_*`: "
             "equity / maintenance margin when a liquidation ran (below 1 at once without a breaker; "
             "far below 1 or negative: it waited, or the mark jumped); `underwater_*`: liquidations that "
             "ran with negative equity (count share, notional share); `reopen_burst_share`: share of "
             "liquidation notional closed in continuous trading within 30 s after a halt ended; "
             "`deficit_usd`: deficits recorded for the liquidated accounts (left to ADL, or paid by the "
             "fund when they ended flat below zero); `t_median`: median liquidation time (s).")


def write_report(cmp: Comparison, out_dir: str | Path) -> Path:
    """Write the figures, ``report.md`` and ``report.html`` into ``out_dir``; returns the
    path of ``report.md``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = write_figures(cmp, out)
    headline = cmp.headline()
    title = f"liqsim comparison: {cmp.scenario.name}"
    md = [f"# {title}", "", *_intro(cmp), "", "## Policies", "", format_table(_policy_table(cmp), index=False),
          "", "## Headline (medians over seeds)", "", format_table(headline), "",
          "`liq_diff_*`: per-seed difference in liquidation notional against the baseline (CI: bootstrap "
          "95% of the mean).", ""]
    if len(cmp.policies) > 1:
        md += ["## Paired differences against the baseline", "", format_table(_diff_table(cmp), index=False),
               "", _DIFF_NOTE, ""]
    if not cmp.liquidations.empty:
        md += ["## How the liquidations ran (medians over seeds)", "",
               format_table(cmp.liquidation_medians()), "", _LIQ_NOTE, ""]
    md += ["## Figures", ""] + [f"![{p.stem}]({p.name})\n" for p in figures]
    path = out / "report.md"
    path.write_text("\n".join(md))
    (out / "report.html").write_text(_html(cmp, title, headline, figures))
    return path


def _html_table(df: pd.DataFrame, *, index: bool) -> str:
    return str(df.to_html(index=index, na_rep="n/a", float_format=fmt_number, border=0, classes="t"))


def _md_inline(text: str) -> str:
    """Escape for HTML, turning Markdown `code` spans into <code> elements."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


def _html(cmp: Comparison, title: str, headline: pd.DataFrame, figures: list[Path]) -> str:
    esc = html.escape
    parts = [f"<h1>{esc(title)}</h1>", *(f"<p>{_md_inline(s)}</p>" for s in _intro(cmp)),
             "<h2>Policies</h2>", _html_table(_policy_table(cmp), index=False),
             "<h2>Headline (medians over seeds)</h2>", _html_table(headline, index=True),
             "<p><code>liq_diff_*</code>: per-seed difference in liquidation notional against the "
             "baseline (CI: bootstrap 95% of the mean).</p>"]
    if len(cmp.policies) > 1:
        parts += ["<h2>Paired differences against the baseline</h2>", _html_table(_diff_table(cmp), index=False),
                  f"<p>{_md_inline(_DIFF_NOTE)}</p>"]
    if not cmp.liquidations.empty:
        parts += ["<h2>How the liquidations ran (medians over seeds)</h2>",
                  _html_table(cmp.liquidation_medians(), index=True), f"<p>{_md_inline(_LIQ_NOTE)}</p>"]
    parts += ["<h2>Figures</h2>"] + [f'<p><img src="{esc(p.name)}" alt="{esc(p.stem)}"></p>' for p in figures]
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "table.t{border-collapse:collapse;font-size:0.9em;margin:1em 0}"
             "table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
             "img{max-width:100%}")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title><style>"
            + style + "</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")

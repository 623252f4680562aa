"""Paired comparison statistics of policies against a baseline (DESIGN section 7, Comparisons).

Runs are paired on ``seed``: the same seed means the same random streams under every policy, so
the statistic of interest is the per-seed difference ``policy - baseline`` of each metric.
`paired_summary` reports its mean and median, a percentile-bootstrap confidence interval of the
mean, the Wilcoxon signed-rank p-value, the share of seeds where the policy reduced the metric
or helped (in the metric's better direction, `liqsim.metrics.LOWER_IS_BETTER`), and tail
quantiles of the policy's values. `to_tidy` turns the per-run table into a long one.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps

from ._core import InvalidConfigError
from .metrics import LOWER_IS_BETTER

__all__ = ["SUMMARY_COLUMNS", "bootstrap_mean_ci", "paired_summary", "to_tidy", "wilcoxon_p"]

SUMMARY_COLUMNS: tuple[str, ...] = (
    "policy", "metric", "n", "baseline_mean", "policy_mean", "mean_diff", "median_diff",
    "ci_low", "ci_high", "wilcoxon_p", "share_reduced", "share_helped", "p95", "p99",
)
"""Columns of the frame `paired_summary` returns, in order."""

_KEYS = ("seed", "policy")
_BOOT_CHUNK = 4_000_000  # resampled values held in memory at once


MIN_CI_SAMPLES = 3  # fewer paired differences than this: no bootstrap CI (NaN)


def bootstrap_mean_ci(diffs: np.ndarray, *, n_boot: int = 2000, ci: float = 0.95,
                      rng: np.random.Generator) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the mean of ``diffs``.

    Draws ``n_boot`` resamples of ``diffs`` with replacement (same size) from ``rng``, takes each
    resample's mean, and returns the ``(1 - ci) / 2`` and ``1 - (1 - ci) / 2`` quantiles of
    those means (numpy's default linear interpolation). ``(nan, nan)`` for fewer than
    `MIN_CI_SAMPLES` differences: resampling one value gives a zero-width "interval" and two
    values give back the two values themselves, neither of which is a 95% CI.
    """
    d = np.asarray(diffs, dtype=np.float64)
    n = d.size
    if n < MIN_CI_SAMPLES:
        return math.nan, math.nan
    means = np.empty(n_boot)
    rows = max(1, _BOOT_CHUNK // n)
    for start in range(0, n_boot, rows):
        k = min(rows, n_boot - start)
        means[start:start + k] = d[rng.integers(0, n, size=(k, n))].mean(axis=1)
    alpha = (1.0 - ci) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def wilcoxon_p(diffs: np.ndarray) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test that ``diffs`` are symmetric about 0.

    Uses `scipy.stats.wilcoxon` with its defaults (zero differences dropped, exact distribution
    for small samples without ties, normal approximation otherwise). NaN values are dropped
    first; the result is NaN when fewer than two differences remain, when all are zero, or when
    scipy cannot compute the test.
    """
    d = np.asarray(diffs, dtype=np.float64)
    d = d[~np.isnan(d)]
    if d.size < 2 or not np.any(d != 0):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-sample / ties notices: the p-value is still given
        try:
            p = float(_sps.wilcoxon(d).pvalue)
        except (ValueError, FloatingPointError):
            return math.nan
    return p if math.isfinite(p) else math.nan


def _rng(seed: int, policy: object, metric: str) -> np.random.Generator:
    # One stream per (seed, policy, metric): a CI does not change when other policies or metrics
    # are added to the comparison, or listed in another order.
    return np.random.default_rng([seed, zlib.crc32(str(policy).encode()), zlib.crc32(metric.encode())])


def _check_frame(results: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    if not isinstance(results, pd.DataFrame):
        raise InvalidConfigError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    missing = [c for c in _KEYS if c not in results.columns]
    if missing:
        raise InvalidConfigError(f"results lacks the columns {missing} (columns: {list(results.columns)})")
    if metrics is None:
        return [str(c) for c in results.columns if c not in _KEYS]
    if isinstance(metrics, str) or not all(isinstance(m, str) for m in metrics):
        raise InvalidConfigError(f"metrics must be a list of column names, got {metrics!r}")
    out = list(metrics)
    unknown = [m for m in out if m not in results.columns]
    if unknown:
        raise InvalidConfigError(f"results has no metric columns {unknown} (columns: {list(results.columns)})")
    if any(m in _KEYS for m in out):
        raise InvalidConfigError("'seed' and 'policy' are keys, not metrics")
    if len(set(out)) != len(out):
        raise InvalidConfigError(f"metrics are listed twice: {out}")
    return out


def paired_summary(results: pd.DataFrame, baseline: str, metrics: Sequence[str], *,
                   n_boot: int = 2000, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """Paired per-seed comparison of every non-baseline policy with ``baseline``.

    Args:
        results: one row per (seed, policy) run with columns ``seed``, ``policy`` and one
            numeric column per metric.
        baseline: the ``policy`` value the others are compared against.
        metrics: the metric columns to compare.
        n_boot: bootstrap resamples per CI (>= 1).
        seed: seed (>= 0) of the bootstrap; each (policy, metric) gets its own numpy Generator
            derived from it, so the result is deterministic and independent of which other
            policies and metrics are in the table.
        ci: confidence level of the bootstrap interval, in (0, 1).

    Returns:
        One row per (policy, metric), policies in order of first appearance in ``results``
        and metrics in the given order, with the columns of `SUMMARY_COLUMNS`. For each pair,
        the per-seed difference is ``d_s = policy_s - baseline_s`` over the seeds where both
        values are non-NaN (a metric can be undefined in a run, e.g. ``long_liquidation_share``
        without liquidations); all columns refer to these ``n`` seeds:

        - ``n``: number of paired seeds used;
        - ``baseline_mean``, ``policy_mean``: means of the two values (``mean_diff`` equals their
          difference up to rounding);
        - ``mean_diff``, ``median_diff``: mean and median of ``d_s``;
        - ``ci_low``, ``ci_high``: percentile-bootstrap interval of the mean of ``d_s``
          (`bootstrap_mean_ci`);
        - ``wilcoxon_p``: two-sided Wilcoxon signed-rank p-value of ``d_s`` (`wilcoxon_p`; NaN
          when all differences are zero or n < 2);
        - ``share_reduced``: share of seeds with ``d_s < 0``;
        - ``share_helped``: share of seeds where the policy was strictly better: ``d_s < 0`` for
          lower-is-better metrics, ``d_s > 0`` for higher-is-better ones, NaN for metrics with
          no direction or not in `liqsim.metrics.LOWER_IS_BETTER`;
        - ``p95``, ``p99``: 95th / 99th percentiles of the policy's values (linear
          interpolation).

        Statistics of an empty pairing (n == 0) are NaN.

    Raises:
        InvalidConfigError: missing ``seed``/``policy``/metric columns, non-numeric metric
            values, an unknown ``baseline``, a (seed, policy) pair present twice, a policy whose
            set of seeds differs from the baseline's, or bad ``n_boot``/``seed``/``ci``.
    """
    names = _check_frame(results, metrics)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise InvalidConfigError(f"n_boot must be an integer >= 1, got {n_boot!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidConfigError(f"seed must be an integer >= 0, got {seed!r}")
    if isinstance(ci, bool) or not isinstance(ci, (int, float)) or not 0.0 < ci < 1.0:
        raise InvalidConfigError(f"ci must be a number in (0, 1), got {ci!r}")
    if results[list(_KEYS)].isna().any().any():
        raise InvalidConfigError("results has missing (NaN/None) seed or policy values")
    policies = list(pd.unique(results["policy"]))
    if baseline not in policies:
        raise InvalidConfigError(f"baseline {baseline!r} is not a policy of results (policies: {policies})")
    dup = results.duplicated(list(_KEYS), keep=False)
    if dup.any():
        pairs = results.loc[dup, list(_KEYS)].drop_duplicates().head(5).to_records(index=False).tolist()
        raise InvalidConfigError(f"results has several rows for (seed, policy) {pairs}")
    values = results[list(_KEYS)].copy()
    for m in names:
        try:
            values[m] = pd.to_numeric(results[m], errors="raise").astype(np.float64)
        except (TypeError, ValueError) as e:
            raise InvalidConfigError(f"metric column {m!r} is not numeric: {e}") from None
    by_policy = {p: g.set_index("seed")[names] for p, g in values.groupby("policy", sort=False)}
    try:  # pairs in seed order, so the bootstrap does not depend on the row order of results
        base = by_policy[baseline].sort_index()
    except TypeError:
        base = by_policy[baseline]
    base_seeds = set(base.index)
    for p in policies:
        seeds = set(by_policy[p].index)
        if seeds != base_seeds:
            lacking, extra = sorted(base_seeds - seeds), sorted(seeds - base_seeds)
            raise InvalidConfigError(
                f"policy {p!r} is not paired with baseline {baseline!r}: seeds missing "
                f"{lacking[:10]}{' ...' if len(lacking) > 10 else ''}, seeds not in the baseline "
                f"{extra[:10]}{' ...' if len(extra) > 10 else ''}")

    rows: list[dict[str, object]] = []
    for p in policies:
        if p == baseline:
            continue
        pol = by_policy[p].reindex(base.index)
        for m in names:
            b = base[m].to_numpy(dtype=np.float64)
            q = pol[m].to_numpy(dtype=np.float64)
            ok = ~(np.isnan(b) | np.isnan(q))
            b, q = b[ok], q[ok]
            rows.append(_row(p, m, b, q, n_boot=n_boot, seed=int(seed), ci=float(ci)))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype({"n": np.int64})


def _row(policy: object, metric: str, b: np.ndarray, q: np.ndarray, *, n_boot: int, seed: int,
         ci: float) -> dict[str, object]:
    n = int(b.size)
    row: dict[str, object] = {"policy": policy, "metric": metric, "n": n}
    if n == 0:
        row.update({c: math.nan for c in SUMMARY_COLUMNS[3:]})
        return row
    d = q - b
    lo, hi = bootstrap_mean_ci(d, n_boot=n_boot, ci=ci, rng=_rng(seed, policy, metric))
    lower = LOWER_IS_BETTER.get(metric)
    helped = math.nan if lower is None else float(np.mean(d < 0 if lower else d > 0))
    p95, p99 = np.quantile(q, [0.95, 0.99])
    row.update({
        "baseline_mean": float(b.mean()),
        "policy_mean": float(q.mean()),
        "mean_diff": float(d.mean()),
        "median_diff": float(np.median(d)),
        "ci_low": lo,
        "ci_high": hi,
        "wilcoxon_p": wilcoxon_p(d),
        "share_reduced": float(np.mean(d < 0)),
        "share_helped": helped,
        "p95": float(p95),
        "p99": float(p99),
    })
    return row


def to_tidy(results: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The per-run table as a long frame with columns ``seed``, ``policy``, ``metric``, ``value``.

    One row per (run, metric), ordered by metric (in column order, or the order of ``metrics``
    if given) and then by the rows of ``results``. ``metrics`` defaults to every column other
    than ``seed`` and ``policy``. Raises `InvalidConfigError` if a key or metric column is
    missing.
    """
    names = _check_frame(results, metrics)
    long = results.melt(id_vars=list(_KEYS), value_vars=names, var_name="metric", value_name="value")
    return long[["seed", "policy", "metric", "value"]].reset_index(drop=True)

"""Paired comparison statistics on synthetic per-seed results with known effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import liqsim
from liqsim.stats import SUMMARY_COLUMNS, bootstrap_mean_ci, paired_summary, to_tidy, wilcoxon_p

SEEDS = 30


def synthetic(seed: int = 1) -> pd.DataFrame:
    """30 seeds x 3 policies. `cut`: max_drawdown one lower than the baseline (noise sd 0.05),
    mm_pnl 2 higher; `same`: the baseline plus pure noise (sd 0.5); `long_liquidation_share`
    has no better direction."""
    rng = np.random.default_rng(seed)
    base = rng.normal(10.0, 2.0, SEEDS)
    pnl = rng.normal(0.0, 5.0, SEEDS)
    share = rng.uniform(0.6, 0.9, SEEDS)
    rows = []
    for s in range(SEEDS):
        rows.append(dict(seed=s, policy="none", max_drawdown=base[s], mm_pnl=pnl[s],
                         long_liquidation_share=share[s]))
    for s in range(SEEDS):
        rows.append(dict(seed=s, policy="cut", max_drawdown=base[s] - 1.0 + rng.normal(0, 0.05),
                         mm_pnl=pnl[s] + 2.0 + rng.normal(0, 0.05), long_liquidation_share=share[s]))
    for s in range(SEEDS):
        rows.append(dict(seed=s, policy="same", max_drawdown=base[s] + rng.normal(0, 0.5),
                         mm_pnl=pnl[s] + rng.normal(0, 0.5), long_liquidation_share=share[s]))
    return pd.DataFrame(rows)


METRICS = ["max_drawdown", "mm_pnl", "long_liquidation_share"]


def row(summary: pd.DataFrame, policy: str, metric: str) -> pd.Series:
    sel = summary[(summary["policy"] == policy) & (summary["metric"] == metric)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_shape_and_columns():
    s = paired_summary(synthetic(), "none", METRICS)
    assert tuple(s.columns) == SUMMARY_COLUMNS
    # non-baseline policies in order of appearance, metrics in the given order
    assert list(zip(s["policy"], s["metric"])) == [(p, m) for p in ("cut", "same") for m in METRICS]
    assert (s["n"] == SEEDS).all()


def test_known_effect_is_detected():
    data = synthetic()
    s = paired_summary(data, "none", METRICS)
    r = row(s, "cut", "max_drawdown")
    assert r["mean_diff"] == pytest.approx(-1.0, abs=0.05)
    assert r["median_diff"] == pytest.approx(-1.0, abs=0.05)
    assert r["ci_low"] < r["mean_diff"] < r["ci_high"] < 0  # CI excludes 0
    assert r["ci_low"] > -1.1 and r["ci_high"] < -0.9      # and is tight (sd 0.05 / sqrt(30))
    assert r["wilcoxon_p"] < 0.01
    assert r["share_reduced"] == 1.0
    assert r["share_helped"] == 1.0  # lower drawdown is better
    # the means are those of the two columns, and their difference is the mean difference
    base = data[data.policy == "none"]["max_drawdown"]
    cut = data[data.policy == "cut"]["max_drawdown"]
    assert r["baseline_mean"] == pytest.approx(base.mean())
    assert r["policy_mean"] == pytest.approx(cut.mean())
    assert r["mean_diff"] == pytest.approx(cut.mean() - base.mean())
    assert r["p95"] == pytest.approx(np.quantile(cut, 0.95))
    assert r["p99"] == pytest.approx(np.quantile(cut, 0.99))
    assert r["p95"] <= r["p99"] <= cut.max()


def test_higher_is_better_metric_counts_increases_as_help():
    r = row(paired_summary(synthetic(), "none", METRICS), "cut", "mm_pnl")
    assert r["mean_diff"] == pytest.approx(2.0, abs=0.05)
    assert r["ci_low"] > 0
    assert r["share_reduced"] == 0.0
    assert r["share_helped"] == 1.0


def test_null_effect_ci_contains_zero():
    r = row(paired_summary(synthetic(), "none", METRICS), "same", "max_drawdown")
    assert r["ci_low"] < 0 < r["ci_high"]
    assert abs(r["mean_diff"]) < 0.3  # sd of the mean: 0.5 / sqrt(30) = 0.09
    assert r["wilcoxon_p"] > 0.01
    assert 0.2 < r["share_reduced"] < 0.8


def test_identical_values_give_nan_wilcoxon_and_zero_ci():
    r = row(paired_summary(synthetic(), "none", METRICS), "cut", "long_liquidation_share")
    assert r["mean_diff"] == 0.0 and r["median_diff"] == 0.0
    assert r["ci_low"] == 0.0 and r["ci_high"] == 0.0
    assert math.isnan(r["wilcoxon_p"])
    assert r["share_reduced"] == 0.0
    assert math.isnan(r["share_helped"])  # no better direction


def test_bootstrap_is_deterministic_and_seeded():
    data = synthetic()
    a = paired_summary(data, "none", METRICS, seed=7)
    b = paired_summary(data, "none", METRICS, seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = paired_summary(data, "none", METRICS, seed=8)
    assert not np.array_equal(a["ci_low"].to_numpy(), c["ci_low"].to_numpy())
    # a (policy, metric) CI does not depend on which other metrics or policies are compared,
    # nor on the row order of the input
    only = paired_summary(data[data.policy != "same"].sample(frac=1.0, random_state=2), "none",
                          ["max_drawdown"], seed=7)
    r = row(a, "cut", "max_drawdown")
    assert only.iloc[0]["ci_low"] == r["ci_low"] and only.iloc[0]["ci_high"] == r["ci_high"]


def test_ci_level_widens_the_interval():
    data = synthetic()
    narrow = row(paired_summary(data, "none", METRICS, ci=0.5), "same", "max_drawdown")
    wide = row(paired_summary(data, "none", METRICS, ci=0.99), "same", "max_drawdown")
    assert wide["ci_low"] < narrow["ci_low"] < narrow["ci_high"] < wide["ci_high"]


def test_nan_values_are_dropped_pairwise():
    data = synthetic()
    data.loc[(data.policy == "cut") & (data.seed < 5), "max_drawdown"] = np.nan
    data.loc[(data.policy == "none") & (data.seed == 29), "max_drawdown"] = np.nan
    r = row(paired_summary(data, "none", METRICS), "cut", "max_drawdown")
    assert r["n"] == SEEDS - 6  # seeds 0..4 and 29 have no pair
    kept = data[(data.seed >= 5) & (data.seed < 29)]
    assert r["baseline_mean"] == pytest.approx(kept[kept.policy == "none"]["max_drawdown"].mean())


def test_small_hand_computed_example():
    data = pd.DataFrame({
        "seed": [1, 2, 3, 1, 2, 3],
        "policy": ["b", "b", "b", "p", "p", "p"],
        "bad_debt": [10.0, 20.0, 30.0, 7.0, 21.0, 25.0],
    })
    r = paired_summary(data, "b", ["bad_debt"]).iloc[0]
    # differences per seed: 7 - 10 = -3, 21 - 20 = +1, 25 - 30 = -5
    assert r["n"] == 3
    assert r["baseline_mean"] == pytest.approx(20.0)          # (10 + 20 + 30) / 3
    assert r["policy_mean"] == pytest.approx(53 / 3)           # (7 + 21 + 25) / 3
    assert r["mean_diff"] == pytest.approx(-7 / 3)             # (-3 + 1 - 5) / 3
    assert r["median_diff"] == pytest.approx(-3.0)
    assert r["share_reduced"] == pytest.approx(2 / 3)
    assert r["share_helped"] == pytest.approx(2 / 3)           # lower bad debt is better
    # bootstrap means lie between min and max difference
    assert -5.0 <= r["ci_low"] <= r["mean_diff"] <= r["ci_high"] <= 1.0
    # exact signed-rank test: |d| ranks 1 (for +1), 2 (-3), 3 (-5); W+ = 1; two-sided
    # P(W+ <= 1) over the 2^3 sign patterns: {W+ = 0, W+ = 1} -> 2/8, doubled -> 0.5
    assert r["wilcoxon_p"] == pytest.approx(0.5)
    # p95 of the policy's values 7, 21, 25 (linear): 21 + 0.9 * (25 - 21) = 24.6
    assert r["p95"] == pytest.approx(24.6)


def test_helpers():
    assert math.isnan(wilcoxon_p(np.array([1.0])))
    assert math.isnan(wilcoxon_p(np.zeros(10)))
    assert math.isnan(wilcoxon_p(np.array([np.nan, np.nan, 1.0])))
    # One or two differences are no sample to bootstrap: no interval rather than a fake one.
    for few in ([2.0], [1.0, 3.0]):
        assert all(map(math.isnan, bootstrap_mean_ci(np.array(few), rng=np.random.default_rng(0))))
    lo, hi = bootstrap_mean_ci(np.array([1.0, 2.0, 3.0]), rng=np.random.default_rng(0))
    assert 1.0 <= lo < 2.0 < hi <= 3.0
    assert all(map(math.isnan, bootstrap_mean_ci(np.array([]), rng=np.random.default_rng(0))))


def test_to_tidy():
    data = synthetic()
    long = to_tidy(data)
    assert list(long.columns) == ["seed", "policy", "metric", "value"]
    assert len(long) == len(data) * len(METRICS)
    assert set(long["metric"]) == set(METRICS)
    one = long[(long.seed == 4) & (long.policy == "cut") & (long.metric == "mm_pnl")]
    expected = data[(data.seed == 4) & (data.policy == "cut")]["mm_pnl"].iloc[0]
    assert one["value"].tolist() == [expected]
    # back to wide gives the input
    wide = long.pivot(index=["seed", "policy"], columns="metric", values="value")
    orig = data.set_index(["seed", "policy"])[sorted(METRICS)]
    pd.testing.assert_frame_equal(wide.sort_index()[sorted(METRICS)], orig.sort_index(),
                                  check_names=False)
    assert list(to_tidy(data, ["mm_pnl"])["metric"].unique()) == ["mm_pnl"]


@pytest.mark.parametrize("mutate, kwargs, words", [
    (lambda d: d, dict(baseline="nope"), "baseline"),
    (lambda d: d[~((d.policy == "cut") & (d.seed == 3))], {}, "seeds missing \\[3\\]"),
    (lambda d: d[~((d.policy == "none") & (d.seed == 3))], {}, "not in the baseline \\[3\\]"),
    (lambda d: pd.concat([d, d.iloc[[0]]]), {}, "several rows"),
    (lambda d: d.drop(columns="seed"), {}, "seed"),
    (lambda d: d, dict(metrics=["nope"]), "nope"),
    (lambda d: d, dict(metrics="max_drawdown"), "list"),
    (lambda d: d.assign(mm_pnl="x"), {}, "numeric"),
    (lambda d: d, dict(n_boot=0), "n_boot"),
    (lambda d: d, dict(ci=1.0), "ci"),
    (lambda d: d, dict(seed=-1), "seed"),
])
def test_bad_input_raises_invalid_config_error(mutate, kwargs, words):
    args = dict(baseline="none", metrics=METRICS) | kwargs
    with pytest.raises(liqsim.InvalidConfigError, match=words):
        paired_summary(mutate(synthetic()), **args)
    assert issubclass(liqsim.InvalidConfigError, ValueError)


def test_to_tidy_bad_input():
    with pytest.raises(liqsim.InvalidConfigError, match="policy"):
        to_tidy(synthetic().drop(columns="policy"))

"""Experiment harness: runs, policies, forks, paired comparisons on every backend, reports."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import liqsim
from liqsim.breakers import DCB, LULD, Breakers, LiqPause, LiqThrottle, PriceBand
from liqsim.analysis import SUMMARY_NAMES, summarize
from liqsim.harness import HEADLINE_METRICS, Comparison, compare, fork, run, simulation
from liqsim.metrics import METRIC_NAMES
from liqsim.policies import POLICIES, Policy, get_policy

SMOKE = "smoke"


def same_metrics(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal bit for bit, NaN equal to NaN."""
    return list(a) == list(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a.values(), b.values()))


@pytest.fixture(scope="module")
def smoke_run() -> liqsim.harness.RunResult:
    return run(SMOKE, "none", seed=0)


@pytest.fixture(scope="module")
def local_table() -> Comparison:
    return compare(SMOKE, ["none", "luld"], seeds=3, jobs=1, progress=False)


# --------------------------------------------------------------------------------------------
# policies

def test_named_policies() -> None:
    for name in POLICIES:
        assert get_policy(name).name == name
    assert get_policy("none").breakers is None
    assert get_policy("partial_liquidation").risk_changes == (("liquidation", "partial"),)
    assert get_policy("adl_pro_rata").risk_for(liqsim.scenarios.get(SMOKE)).adl_rule == "pro_rata"
    held = get_policy("dcb+hold_takeovers")
    assert held.risk_for(liqsim.scenarios.get(SMOKE)).unwind_interval == 1e9
    assert [type(p) for p in held.breakers.policies] == [DCB]


def test_liq_pause_has_a_halt_source() -> None:
    kinds = lambda p: [type(x) for x in p.breakers.policies]  # noqa: E731
    assert kinds(get_policy("liq_pause")) == [LULD, LiqPause]
    assert kinds(get_policy("luld+liq_pause")) == [LULD, LiqPause]
    assert kinds(get_policy("dcb+liq_pause")) == [DCB, LiqPause]  # DCB halts: no LULD added
    assert kinds(get_policy("liq_pause+liq_throttle"))[0] is LULD


def test_policy_combinations() -> None:
    p = get_policy("price_band+dcb+adl_bitmex")
    assert p.name == "price_band+dcb+adl_bitmex"
    assert [type(x) for x in p.breakers.policies] == [PriceBand, DCB]
    assert p.risk_changes == (("adl_rule", "bitmex"),)
    assert get_policy("luld+luld").breakers == get_policy("luld").breakers
    with pytest.raises(liqsim.InvalidConfigError, match="adl_rule"):
        get_policy("adl_bitmex+adl_pro_rata")


def test_policy_dollars_scale_with_the_scenario() -> None:
    """Named policies state the throttle in real-day USD ($100M per 60 s); each scenario runs it
    at its own scale, like its insurance fund."""
    caps = {name: get_policy("dcb+liq_throttle").breakers_for(liqsim.scenarios.get(name)).policies[1].global_cap
            for name in ("nov21-2025", "oct10-2025", SMOKE)}
    assert caps == {"nov21-2025": 1e6, "oct10-2025": 5e6, SMOKE: 1e4}
    nov21 = liqsim.scenarios.get("nov21-2025")
    assert get_policy("dcb+liq_throttle").breakers_for(nov21).policies[0] == DCB()  # prices and times as they are
    assert get_policy("none").breakers_for(nov21) is None
    # The market-wide cap scales; a per-account cap does not (scaled scenarios keep account sizes).
    scaled = Breakers((LiqThrottle(global_cap=4e6, account_cap=2e5, window=30.0),)).scaled(0.5).policies[0]
    assert (scaled.global_cap, scaled.account_cap, scaled.window) == (2e6, 2e5, 30.0)
    for bad in (0, -1.0, math.nan, math.inf, True):
        with pytest.raises(liqsim.InvalidConfigError, match="scale factor"):
            Breakers((LiqThrottle(),)).scaled(bad)
    # On smoke (1/10,000 scale) the throttle is $10,000 a minute and holds most liquidations back.
    held = run(SMOKE, "liq_throttle", seed=0).metrics
    free = run(SMOKE, "none", seed=0).metrics
    assert held["liquidation_count"] < free["liquidation_count"] / 4


@pytest.mark.parametrize("name", ["nope", "luld+nope", "", "luld,dcb"])
def test_unknown_policy_lists_known_ones(name: str) -> None:
    with pytest.raises(liqsim.InvalidConfigError, match="choose from none, price_band"):
        get_policy(name)


def test_custom_policy_validation() -> None:
    with pytest.raises(liqsim.InvalidConfigError, match="no field"):
        Policy("x", risk_changes=(("adl_rulez", "pro_rata"),))
    with pytest.raises(liqsim.InvalidConfigError, match="adl_rule"):
        Policy("x", risk_changes=(("adl_rule", "nonsense"),))
    with pytest.raises(liqsim.InvalidConfigError, match="Breakers"):
        Policy("x", breakers=LULD())  # type: ignore[arg-type]
    mine = Policy("tight_band", "2% price band", Breakers((PriceBand(0.02),)))
    assert get_policy(mine) is mine


# --------------------------------------------------------------------------------------------
# one run

def test_run_metrics_and_events(smoke_run: liqsim.harness.RunResult) -> None:
    r = smoke_run
    assert list(r.metrics) == list(METRIC_NAMES)
    assert (r.scenario, r.policy, r.seed) == (SMOKE, "none", 0)
    assert r.metrics["liquidation_notional"] > 0  # smoke has a liquidation wave
    assert r.exogenous_notional > 0
    by_type = r.events_by_type()
    assert {"fill", "liquidation"} <= set(by_type)
    assert sum(len(df) for df in by_type.values()) == len(r.events)
    assert (by_type["fill"]["event"] == "FILL").all()
    assert len(r.timeseries) == 601


@pytest.mark.parametrize("policy", ["none", "dcb", "partial_liquidation", "adl_at_mark", "luld+liq_pause"])
def test_run_liquidations(policy: str, smoke_run: liqsim.harness.RunResult) -> None:
    r = smoke_run if policy == "none" else run(SMOKE, policy, seed=0)
    liq = r.liquidations()
    assert len(liq) == len(r.events_by_type()["liquidation"]) > 0
    # The per-liquidation closes are exactly the fills the run metrics count.
    assert liq["closed_notional_usd"].sum() == pytest.approx(r.metrics["liquidation_notional"], rel=1e-12)
    assert r.liquidation_summary == pytest.approx(summarize(liq), nan_ok=True)
    if r.metrics["halt_count"] > 0:  # some liquidations run halted, some after a reopening
        assert liq["halted"].any() and liq["since_reopen_s"].notna().any()
        assert liq.loc[liq["halted"], "since_reopen_s"].isna().all()
    else:
        assert not liq["halted"].any() and liq["since_reopen_s"].isna().all()


def test_run_liquidations_needs_the_events(smoke_run: liqsim.harness.RunResult) -> None:
    with pytest.raises(liqsim.InvalidConfigError, match="no event log"):
        liqsim.harness.RunResult(SMOKE, "none", 0, smoke_run.metrics).liquidations()


def test_run_is_deterministic(smoke_run: liqsim.harness.RunResult) -> None:
    again = run(SMOKE, "none", seed=0)
    assert same_metrics(smoke_run.metrics, again.metrics)
    assert np.array_equal(smoke_run.events, again.events)
    other = run(SMOKE, "none", seed=1)
    assert not same_metrics(smoke_run.metrics, other.metrics)


@pytest.mark.parametrize("policy", ["none", "dcb+liq_throttle", "liq_pause", "partial_liquidation", "adl_at_mark"])
def test_conservation(policy: str) -> None:
    sim = simulation(SMOKE, policy, seed=2)
    sim.run()
    assert sim.exchange.ledger_total() == 0


def test_run_accepts_scenario_and_policy_objects() -> None:
    sc = liqsim.scenarios.get(SMOKE).replace(duration_s=300.0)
    r = run(sc, Policy("tight_band", breakers=Breakers((PriceBand(0.02),))), seed=0)
    assert r.policy == "tight_band" and len(r.timeseries) == 301


def test_run_bad_names() -> None:
    with pytest.raises(liqsim.InvalidConfigError, match="unknown scenario"):
        run("nope")
    with pytest.raises(liqsim.InvalidConfigError, match="unknown policy"):
        run(SMOKE, "nope")


def test_to_parquet_contract(smoke_run: liqsim.harness.RunResult, tmp_path: Path) -> None:
    out = smoke_run.to_parquet(tmp_path / "run")
    record = json.loads((out / "metrics.json").read_text())
    assert set(record) == set(METRIC_NAMES) | {"scenario", "policy", "seed", "exogenous_notional"}
    assert record["scenario"] == SMOKE and record["policy"] == "none" and record["seed"] == 0
    assert record["liquidation_notional"] == smoke_run.metrics["liquidation_notional"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(ts, smoke_run.timeseries)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "liquidations.parquet"), smoke_run.liquidations())
    files = {p.stem for p in (out / "events").glob("*.parquet")}
    assert files == set(smoke_run.events_by_type())
    fills = pd.read_parquet(out / "events" / "fill.parquet")
    assert len(fills) == int(np.count_nonzero(smoke_run.events["type"] == int(liqsim.EventType.FILL)))


def test_plot(smoke_run: liqsim.harness.RunResult) -> None:
    import matplotlib
    matplotlib.use("Agg")
    ax = smoke_run.plot()
    assert ax.get_title().startswith(SMOKE)
    import matplotlib.pyplot as plt
    plt.close("all")


# --------------------------------------------------------------------------------------------
# fork

def test_fork_baseline_equals_uninterrupted_run(smoke_run: liqsim.harness.RunResult) -> None:
    branches = fork(SMOKE, ["none", "dcb", "liq_throttle"], seed=0, at=200.0)
    assert list(branches) == ["none", "dcb", "liq_throttle"]
    b = branches["none"]
    assert same_metrics(b.metrics, smoke_run.metrics)
    pd.testing.assert_frame_equal(b.timeseries, smoke_run.timeseries, check_exact=True)
    assert np.array_equal(b.events, smoke_run.events)
    assert b.exogenous_notional == smoke_run.exogenous_notional
    # The throttle branch runs with the throttle scaled to smoke's 1/10,000 ($10,000 a minute).
    assert branches["liq_throttle"].metrics["liquidation_count"] < b.metrics["liquidation_count"] / 4
    # branches share the history up to the fork
    for r in branches.values():
        pre = r.timeseries[r.timeseries["t"] < 200.0]
        pd.testing.assert_frame_equal(pre, smoke_run.timeseries[smoke_run.timeseries["t"] < 200.0])


def test_fork_branch_acts_only_after_the_fork() -> None:
    """A policy branch shares the baseline's events up to the fork and changes the run after
    it: on the smoke day the DCB halts (first STATE event after 200 s) and fewer positions are
    liquidated than in the baseline branch."""
    at = 200.0
    branches = fork(SMOKE, ["none", "dcb"], seed=0, at=at)
    base, dcb = branches["none"].events, branches["dcb"].events
    assert base is not None and dcb is not None
    cut = int(at * 1e9)
    assert np.array_equal(base[base["ts"] < cut], dcb[dcb["ts"] < cut])
    state = dcb[dcb["type"] == int(liqsim.EventType.STATE)]
    assert len(state) > 0 and state["ts"].min() >= cut
    assert branches["dcb"].metrics["halted_seconds"] > 0
    assert branches["none"].metrics["halted_seconds"] == 0
    assert branches["dcb"].metrics["liquidation_notional"] < branches["none"].metrics["liquidation_notional"]


def test_fork_rejects_clearing_changes() -> None:
    with pytest.raises(liqsim.InvalidConfigError, match="clearing rules cannot be switched mid-run"):
        fork(SMOKE, ["none", "adl_pro_rata"], seed=0, at=100.0)
    with pytest.raises(liqsim.InvalidConfigError, match="fork time"):
        fork(SMOKE, ["none", "luld"], seed=0, at=1e9)
    with pytest.raises(liqsim.InvalidConfigError, match="unique"):
        fork(SMOKE, ["luld", "luld"], seed=0, at=100.0)


# --------------------------------------------------------------------------------------------
# comparisons

def test_compare_table(local_table: Comparison, smoke_run: liqsim.harness.RunResult) -> None:
    res = local_table.results
    assert res.shape == (6, 2 + len(METRIC_NAMES))
    assert list(res.columns) == ["seed", "policy", *METRIC_NAMES]
    assert res["seed"].tolist() == [0, 0, 1, 1, 2, 2]
    assert res["policy"].tolist() == ["none", "luld"] * 3
    assert set(local_table.timeseries) == {"none", "luld"}  # first seed only
    assert local_table.runs is None
    row = res[(res.seed == 0) & (res.policy == "none")].iloc[0]  # a row is that seed's run
    assert same_metrics({m: float(row[m]) for m in METRIC_NAMES}, smoke_run.metrics)
    tidy = local_table.tidy()
    assert list(tidy.columns) == ["seed", "policy", "metric", "value"]
    assert len(tidy) == 6 * len(METRIC_NAMES)
    assert set(local_table.summary["policy"]) == {"luld"}
    head = local_table.headline()
    assert list(head.index) == ["none", "luld"]
    assert list(head.columns[:len(HEADLINE_METRICS)]) == list(HEADLINE_METRICS)
    assert math.isnan(head.loc["none", "liq_diff_median"])
    liq = local_table.liquidations
    assert list(liq.columns) == ["seed", "policy", *SUMMARY_NAMES]
    assert liq[["seed", "policy"]].equals(res[["seed", "policy"]])
    assert liq.iloc[0][list(SUMMARY_NAMES)].tolist() == pytest.approx(list(smoke_run.liquidation_summary.values()),
                                                                      nan_ok=True)
    med = local_table.liquidation_medians()
    assert list(med.index) == ["none", "luld"]
    assert med.loc["luld", "liquidations"] == liq[liq.policy == "luld"]["liquidations"].median()


def test_liquidation_medians_without_liquidations(local_table: Comparison) -> None:
    bare = Comparison(scenario=local_table.scenario, policies=local_table.policies, seeds=local_table.seeds,
                      results=local_table.results)
    med = bare.liquidation_medians()
    assert list(med.index) == ["none", "luld"] and list(med.columns) == list(SUMMARY_NAMES)
    assert med.isna().all().all()


def test_compare_process_pool_matches_in_process(local_table: Comparison) -> None:
    pooled = compare(SMOKE, ["none", "luld"], seeds=3, jobs=2, progress=False)
    pd.testing.assert_frame_equal(pooled.results, local_table.results, check_exact=True)


def test_compare_dask_local_cluster_matches_local(local_table: Comparison) -> None:
    dask = compare(SMOKE, ["none", "luld"], seeds=3, backend="dask", jobs=2, progress=False)
    pd.testing.assert_frame_equal(dask.results, local_table.results, check_exact=True)
    forked = compare(SMOKE, ["none", "dcb"], seeds=[4, 5], backend="dask", jobs=2, progress=False, fork_at=150.0)
    local = compare(SMOKE, ["none", "dcb"], seeds=[4, 5], jobs=1, progress=False, fork_at=150.0)
    pd.testing.assert_frame_equal(forked.results, local.results, check_exact=True)


def test_compare_fork_rows_match_fork() -> None:
    cmp = compare(SMOKE, ["none", "dcb"], seeds=[1], jobs=1, progress=False, fork_at=150.0, keep_runs=True)
    branches = fork(SMOKE, ["none", "dcb"], seed=1, at=150.0)
    for name, r in branches.items():
        assert same_metrics(cmp.runs[(1, name)].metrics, r.metrics)
        assert np.array_equal(cmp.runs[(1, name)].events, r.events)


def test_compare_validation() -> None:
    with pytest.raises(liqsim.InvalidConfigError, match="backend"):
        compare(SMOKE, ["none"], 1, backend="ray", progress=False)
    with pytest.raises(liqsim.InvalidConfigError, match="unique"):
        compare(SMOKE, ["none", "none"], 1, progress=False)
    with pytest.raises(liqsim.InvalidConfigError, match="seeds"):
        compare(SMOKE, ["none"], 0, progress=False)
    with pytest.raises(liqsim.InvalidConfigError, match="clearing rules"):
        compare(SMOKE, ["none", "partial_liquidation"], 1, fork_at=100.0, progress=False)
    with pytest.raises(liqsim.InvalidConfigError, match="jobs"):
        compare(SMOKE, ["none"], 1, jobs=0, progress=False)


def test_report_files(local_table: Comparison, tmp_path: Path) -> None:
    out = local_table.report(tmp_path / "cmp")
    for name in ("results.parquet", "summary.csv", "liquidations.csv", "report.md", "report.html", "price_path.png",
                 "depth.png", "metrics.png", "forest.png", "liquidations.png"):
        assert (out / name).is_file(), name
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), local_table.results)
    md = (out / "report.md").read_text()
    assert "## Headline" in md and "![price_path](price_path.png)" in md
    assert "## How the liquidations ran" in md
    pd.testing.assert_frame_equal(pd.read_csv(out / "liquidations.csv"), local_table.liquidations)
    assert 'src="forest.png"' in (out / "report.html").read_text()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == len(METRIC_NAMES)  # one policy against the baseline


def test_report_states_the_scaled_throttle(tmp_path: Path) -> None:
    cmp = compare(SMOKE, ["none", "dcb+liq_throttle"], seeds=1, jobs=1, progress=False)
    md = (cmp.report(tmp_path) / "report.md").read_text()
    assert "liquidations <= $10,000 per 60 s" in md  # $100M real-day at smoke's 1/10,000


def test_report_single_policy(tmp_path: Path) -> None:
    cmp = compare(SMOKE, ["luld"], seeds=2, jobs=1, progress=False)
    out = cmp.to_dir(tmp_path)
    assert (out / "report.md").is_file() and not (out / "forest.png").exists()


def test_headline_difference_columns_by_hand(local_table: Comparison) -> None:
    # Four seeds with liquidation notional differences (luld - none) of -3, +1, -5, -10:
    # median -4, mean -4.25, 3 of 4 reduced; the CI brackets the mean inside [-10, +1].
    res = local_table.results.iloc[:0].copy()
    base = [10.0, 20.0, 30.0, 40.0]
    diffs = [-3.0, 1.0, -5.0, -10.0]
    rows = []
    for seed, (b, d) in enumerate(zip(base, diffs)):
        for policy, v in (("none", b), ("luld", b + d)):
            row = {m: 1.0 for m in METRIC_NAMES}
            row.update(seed=seed, policy=policy, liquidation_notional=v)
            rows.append(row)
    res = pd.DataFrame(rows, columns=list(res.columns))
    cmp = Comparison(scenario=local_table.scenario, policies=local_table.policies, seeds=[0, 1, 2, 3],
                     results=res)
    head = cmp.headline()
    luld = head.loc["luld"]
    assert luld["liq_diff_median"] == pytest.approx(-4.0)
    assert luld["liq_diff_mean"] == pytest.approx(-4.25)
    assert luld["liq_share_reduced"] == pytest.approx(0.75)
    assert -10.0 <= luld["liq_diff_ci_low"] < -4.25 < luld["liq_diff_ci_high"] <= 1.0
    assert head.loc["luld", "liquidation_notional"] == pytest.approx(np.median([7.0, 21.0, 25.0, 30.0]))
    assert head.loc["none", "liquidation_notional"] == pytest.approx(25.0)

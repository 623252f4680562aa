"""Experiment harness: one run, counterfactual forks, and paired comparisons of policies.

    res = run("nov21-2025", "luld", seed=3)          # metrics, events, time series
    res.to_parquet("out/luld-3")                      # the `liqsim run --out` contract
    branches = fork("nov21-2025", ["none", "luld"], seed=3, at=5400)
    cmp = compare("nov21-2025", ["none", "luld", "dcb"], seeds=20, jobs=2)
    print(cmp.headline()); cmp.report("out/cmp")

Every run is deterministic: the same scenario, policy and seed give the same metrics on every
backend. `compare` pairs runs by seed (same random streams for every policy) and compares each
policy with the first one, the baseline (DESIGN section 7).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np
import pandas as pd

from ._core import InvalidConfigError
from .codes import EventType
from .events import events_frame
from .analysis import SUMMARY_NAMES, liquidation_table, summarize
from .metrics import METRIC_NAMES, RunContext, compute_metrics
from .policies import Policy, PolicyLike, get_policy
from .scenarios import Scenario, get
from .simulation import Simulation

__all__ = ["HEADLINE_METRICS", "Comparison", "RunResult", "ScenarioLike", "compare", "fork", "run",
           "simulation"]

ScenarioLike = Union[str, Scenario]
"""A preset name (see `liqsim.scenarios.names()`) or a `Scenario`."""

#: Metrics of the headline table (medians per policy), in column order.
HEADLINE_METRICS: tuple[str, ...] = ("liquidation_notional", "amplification", "max_drawdown",
                                     "depth_1pct_min_ratio", "bad_debt", "halted_seconds")

_EVENT_FILE_NAMES = {int(t): t.name.lower() for t in EventType}


# --------------------------------------------------------------------------------------------
# one run

@dataclass
class RunResult:
    """The outcome of one run (scenario x policy x seed).

    Attributes:
        scenario, policy, seed: what ran.
        metrics: ``{name: float}`` with the keys of `liqsim.metrics.METRIC_NAMES`, in order.
        timeseries: the 1 s time series (`Simulation.timeseries`); None in `compare` results
            for seeds other than the first unless ``keep_runs``.
        events: the event log (structured array, `liqsim.EVENT_DTYPE`); None in `compare`
            results unless ``keep_runs``.
        exogenous_notional: USD executed by the meta-orders (denominator of amplification).
        context: the run's units and constants (`liqsim.metrics.RunContext`), which turn the
            event log's integers into USD.
        liquidation_summary: `liqsim.analysis.summarize` of the run's liquidations (how late
            they ran, how much closed right after reopenings, the deficits recorded for them).
    """

    scenario: str
    policy: str
    seed: int
    metrics: dict[str, float]
    timeseries: pd.DataFrame | None = None
    events: np.ndarray | None = None
    exogenous_notional: float = math.nan
    context: RunContext | None = None
    liquidation_summary: dict[str, float] = field(default_factory=dict)

    def liquidations(self) -> pd.DataFrame:
        """One row per liquidation: when it ran, the account's equity / maintenance margin by
        then, what it closed and the deficit it left (`liqsim.analysis.liquidation_table`)."""
        if self.events is None or self.context is None:
            raise InvalidConfigError("this result kept no event log (use run(), or compare(keep_runs=True))")
        return liquidation_table(self.events, self.context)

    def events_by_type(self) -> dict[str, pd.DataFrame]:
        """The event log split by type: ``{"fill": df, "liquidation": df, ...}`` (lower-case
        `EventType` names, only types present), each a `liqsim.events_frame` DataFrame."""
        if self.events is None:
            raise InvalidConfigError("this result kept no event log (use run(), or compare(keep_runs=True))")
        df = events_frame(self.events)
        return {_EVENT_FILE_NAMES[int(t)]: g.reset_index(drop=True)
                for t, g in df.groupby("type", sort=True)}

    def metrics_record(self) -> dict[str, Any]:
        """The flat ``metrics.json`` object: every metric (NaN as None), then ``scenario``,
        ``policy``, ``seed`` and ``exogenous_notional``."""
        out: dict[str, Any] = {m: _json_number(self.metrics[m]) for m in METRIC_NAMES}
        out.update(scenario=self.scenario, policy=self.policy, seed=int(self.seed),
                   exogenous_notional=_json_number(self.exogenous_notional))
        return out

    def to_parquet(self, out: str | os.PathLike[str]) -> Path:
        """Write the `liqsim run --out DIR` contract and return DIR.

        - ``DIR/metrics.json``: `metrics_record` (strict JSON; undefined metrics are null);
        - ``DIR/timeseries.parquet``: the time series;
        - ``DIR/events/<type>.parquet``: one file per event type present (``fill.parquet``,
          ``liquidation.parquet``, ...; see `events_by_type`);
        - ``DIR/liquidations.parquet``: `liquidations` (one row per liquidation, in USD).
        """
        if self.timeseries is None or self.events is None or self.context is None:
            raise InvalidConfigError("to_parquet needs the time series, the event log and the run context "
                                     "(use run(), or compare(keep_runs=True))")
        path = Path(out)
        (path / "events").mkdir(parents=True, exist_ok=True)
        for stale in (path / "events").glob("*.parquet"):  # from an earlier run into the same DIR
            stale.unlink()
        (path / "metrics.json").write_text(json.dumps(self.metrics_record(), indent=2, allow_nan=False) + "\n")
        self.timeseries.to_parquet(path / "timeseries.parquet", index=False)
        for name, df in self.events_by_type().items():
            df.to_parquet(path / "events" / f"{name}.parquet", index=False)
        self.liquidations().to_parquet(path / "liquidations.parquet", index=False)
        return path

    def plot(self, ax: Any = None) -> Any:
        """Mark price with liquidation notional per 10 s (bars) and halts shaded; returns the axes."""
        from .report import plot_price_path

        if self.timeseries is None:
            raise InvalidConfigError("this result kept no time series")
        if ax is None:
            import matplotlib.pyplot as plt
            _, ax = plt.subplots(figsize=(10, 4))
        plot_price_path(ax, self.timeseries, label=self.policy)
        ax.set_title(f"{self.scenario}: {self.policy}, seed {self.seed}")
        return ax


def _json_number(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _scenario(scenario: ScenarioLike) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str):
        return get(scenario)
    raise InvalidConfigError(f"scenario must be a preset name or a liqsim Scenario, got {type(scenario).__name__}")


def _policies(policies: Iterable[PolicyLike] | PolicyLike) -> list[Policy]:
    if isinstance(policies, (str, Policy)):
        policies = [policies]
    out = [get_policy(p) for p in policies]
    if not out:
        raise InvalidConfigError("give at least one policy")
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise InvalidConfigError(f"policy names must be unique, got {names}")
    return out


def _seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise InvalidConfigError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return int(seed)


def simulation(scenario: ScenarioLike, policy: PolicyLike = "none", seed: int = 0) -> Simulation:
    """The (not yet run) `Simulation` of ``scenario`` under ``policy`` with ``seed``: what `run`
    runs, for when you want to step it, inspect the exchange or add Python agents yourself."""
    sc, pol = _scenario(scenario), get_policy(policy)
    return Simulation(sc, _seed(seed), breakers=pol.breakers_for(sc), risk=pol.risk_for(sc))


def _result(sim: Simulation, policy: str, *, keep_timeseries: bool = True,
            keep_events: bool = True) -> RunResult:
    ts, events, ctx = sim.timeseries(), sim.events(), sim.run_context()
    return RunResult(scenario=sim.scenario.name, policy=policy, seed=sim.seed,
                     metrics=compute_metrics(events, ts, ctx),
                     timeseries=ts if keep_timeseries else None,
                     events=events if keep_events else None,
                     exogenous_notional=sim.exogenous_notional, context=ctx,
                     liquidation_summary=summarize(liquidation_table(events, ctx)))


def run(scenario: ScenarioLike, policy: PolicyLike = "none", seed: int = 0, *,
        progress: bool = False) -> RunResult:
    """Run ``scenario`` under ``policy`` with ``seed`` to the end; metrics, events, time series.

    Raises `InvalidConfigError` for an unknown scenario or policy name.
    """
    sc, pol = _scenario(scenario), get_policy(policy)
    sim = simulation(sc, pol, _seed(seed))
    sim.run(progress=progress)
    return _result(sim, pol.name)


# --------------------------------------------------------------------------------------------
# counterfactual fork

def _check_fork(sc: Scenario, policies: Sequence[Policy], at: object) -> float:
    if isinstance(at, bool) or not isinstance(at, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(at)) or not 0 <= float(at) <= sc.duration_s:
        raise InvalidConfigError(f"fork time must be in [0, {sc.duration_s}] seconds, got {at!r}")
    base = policies[0].risk_for(sc)
    for p in policies[1:]:
        if p.risk_for(sc) != base:
            fields = sorted({f for f, _ in p.risk_changes} | {f for f, _ in policies[0].risk_changes})
            raise InvalidConfigError(
                f"policy {p.name!r} changes clearing rules ({', '.join(fields)}) relative to the baseline "
                f"{policies[0].name!r}; clearing rules cannot be switched mid-run, only breakers can. "
                "Compare it with full runs instead (no fork / fork_at=None).")
    return float(at)


def _fork(sc: Scenario, policies: Sequence[Policy], seed: int, at: float, *, keep_timeseries: bool = True,
          keep_events: bool = True, progress: bool = False) -> list[RunResult]:
    base = simulation(sc, policies[0], seed)
    base.run(until=at, progress=progress)
    out = []
    for p in policies:
        branch = base.copy()
        if p.breakers != policies[0].breakers:
            branch.set_breakers(p.breakers_for(sc))
        branch.run(progress=progress)
        out.append(_result(branch, p.name, keep_timeseries=keep_timeseries, keep_events=keep_events))
        del branch
    return out


def fork(scenario: ScenarioLike, policies: Sequence[PolicyLike], seed: int, at: float, *,
         progress: bool = False) -> dict[str, RunResult]:
    """Counterfactual fork: one shared history up to ``at`` seconds, then every policy.

    The run goes to ``at`` under the first policy (the baseline), is snapshotted
    (`Simulation.copy`), and each policy continues from that exact state: the baseline unchanged
    (so its branch equals an uninterrupted run bit for bit), the others with their breakers
    switched on at ``at`` (`Simulation.set_breakers`; their reference windows start there).

    Returns ``{policy name: RunResult}`` in policy order; each result covers the whole run
    (shared prefix included). Raises `InvalidConfigError` if a policy changes clearing rules
    relative to the baseline (those cannot be switched mid-run) or ``at`` is outside the run.
    """
    sc, pols = _scenario(scenario), _policies(policies)
    at_s = _check_fork(sc, pols, at)
    return {r.policy: r for r in _fork(sc, pols, _seed(seed), at_s, progress=progress)}


# --------------------------------------------------------------------------------------------
# comparisons

def _run_task(sc: Scenario, policy: Policy, seed: int, keep_timeseries: bool,
              keep_events: bool) -> list[RunResult]:
    sim = simulation(sc, policy, seed)
    sim.run()
    return [_result(sim, policy.name, keep_timeseries=keep_timeseries, keep_events=keep_events)]


def _fork_task(sc: Scenario, policies: list[Policy], seed: int, at: float, keep_timeseries: bool,
               keep_events: bool) -> list[RunResult]:
    return _fork(sc, policies, seed, at, keep_timeseries=keep_timeseries, keep_events=keep_events)


Task = tuple[Callable[..., list[RunResult]], tuple[Any, ...]]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _progress_bar(total: int, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, unit="task", desc=desc)


def _execute_local(tasks: list[Task], jobs: int, bar: Any) -> list[list[RunResult]]:
    if jobs == 1 or len(tasks) == 1:
        out = []
        for fn, args in tasks:
            out.append(fn(*args))
            bar.update()
        return out
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        futures: list[Future[list[RunResult]]] = [pool.submit(fn, *args) for fn, args in tasks]
        pending = set(futures)
        while pending:
            # FIRST_COMPLETED, not FIRST_EXCEPTION: the latter only returns early on an error,
            # so the progress bar would sit at 0 until every run had finished.
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                exc = f.exception()
                if exc is not None:
                    for p in pending:
                        p.cancel()
                    raise exc
            bar.update(len(done))
        return [f.result() for f in futures]


def _execute_dask(tasks: list[Task], jobs: int | None, address: Any, bar: Any) -> list[list[RunResult]]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if isinstance(address, Client):
        client, own = address, False
    elif address is not None:
        try:
            client, own = Client(address), True
        except (OSError, ValueError, TimeoutError) as e:  # unreachable or malformed address
            raise InvalidConfigError(f"cannot connect to the Dask scheduler at {address!r}: {e}") from None
    else:
        cluster = LocalCluster(n_workers=jobs or _cpus(), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client, own = Client(cluster), True
    try:
        futures = [client.submit(fn, *args, pure=False) for fn, args in tasks]
        for _ in as_completed(futures):
            bar.update()
        return list(client.gather(futures))
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()


def compare(scenario: ScenarioLike, policies: Sequence[PolicyLike], seeds: int | Iterable[int], *,
            backend: str = "local", jobs: int | None = None, dask_address: Any = None,
            fork_at: float | None = None, progress: bool = True, keep_runs: bool = False) -> Comparison:
    """Paired runs of every policy on every seed, compared with the first policy (the baseline).

    Args:
        scenario: preset name or `Scenario`.
        policies: names (``"luld"``, ``"dcb+liq_throttle"``) or `Policy` objects; the first is
            the baseline. Names must be unique.
        seeds: a count N (seeds 0..N-1) or the seeds themselves. Every policy runs every seed
            with the same random streams.
        backend: ``"local"`` (a process pool of ``jobs`` workers, default one per CPU;
            ``jobs=1`` runs in this process) or ``"dask"`` (a dask.distributed cluster:
            ``dask_address`` is a scheduler address or a `distributed.Client`; without one a
            LocalCluster of ``jobs`` single-threaded worker processes is started and closed).
            Dask workers need liqsim installed; scripts using process-based backends should
            guard their entry point with ``if __name__ == "__main__":``.
        fork_at: if set, each seed is one task that runs the baseline to ``fork_at`` seconds and
            forks every policy from that state (see `fork`); policies may then change breakers
            only, not clearing rules.
        progress: a tqdm bar over completed tasks.
        keep_runs: keep every run's event log and time series (`Comparison.runs`); by default
            workers send back only metrics, and time series for the first seed (figures).

    Each task is deterministic, so the table is identical on every backend; rows are sorted by
    seed, then policy order.
    """
    sc, pols = _scenario(scenario), _policies(policies)
    seed_list = _seed_list(seeds)
    if backend not in ("local", "dask"):
        raise InvalidConfigError(f"backend must be 'local' or 'dask', got {backend!r}")
    if dask_address is not None and backend != "dask":
        raise InvalidConfigError("dask_address needs backend='dask'")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InvalidConfigError(f"jobs must be an integer >= 1, got {jobs!r}")
    at = _check_fork(sc, pols, fork_at) if fork_at is not None else None

    tasks: list[Task] = []
    for s in seed_list:
        keep_ts = keep_runs or s == seed_list[0]
        if at is not None:
            tasks.append((_fork_task, (sc, pols, s, at, keep_ts, keep_runs)))
        else:
            tasks.extend((_run_task, (sc, p, s, keep_ts, keep_runs)) for p in pols)
    bar = _progress_bar(len(tasks), progress, f"{sc.name} x {len(pols)} policies x {len(seed_list)} seeds")
    try:
        if backend == "dask":
            outputs = _execute_dask(tasks, jobs, dask_address, bar)
        else:
            outputs = _execute_local(tasks, jobs or _cpus(), bar)
    finally:
        bar.close()
    results = [r for out in outputs for r in out]  # task order = seed, then policy order
    table = pd.DataFrame([{"seed": r.seed, "policy": r.policy, **r.metrics} for r in results],
                         columns=["seed", "policy", *METRIC_NAMES])
    table = table.astype({"seed": np.uint64 if seed_list and max(seed_list) >= 2**63 else np.int64})
    liquidations = pd.DataFrame([{"seed": r.seed, "policy": r.policy, **r.liquidation_summary} for r in results],
                                columns=["seed", "policy", *SUMMARY_NAMES]).astype({"seed": table["seed"].dtype})
    first = {r.policy: r.timeseries for r in results if r.seed == seed_list[0] and r.timeseries is not None}
    return Comparison(scenario=sc, policies=tuple(pols), seeds=tuple(seed_list), results=table,
                      liquidations=liquidations,
                      timeseries=first, runs={(r.seed, r.policy): r for r in results} if keep_runs else None,
                      fork_at=at)


def _seed_list(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise InvalidConfigError(f"seeds must be >= 1, got {seeds!r}")
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise InvalidConfigError(f"seeds must be a count or a list of seeds, got {seeds!r}")
    out = [_seed(s) for s in seeds]
    if not out:
        raise InvalidConfigError("seeds must not be empty")
    if len(set(out)) != len(out):
        raise InvalidConfigError(f"seeds must be unique, got {out}")
    return out


@dataclass(eq=False)
class Comparison:
    """Paired results of `compare`.

    Attributes:
        scenario: the `Scenario` that ran.
        policies: the policies, baseline first.
        seeds: the seeds, in order.
        results: one row per seed x policy (sorted by seed, then policy order): ``seed``,
            ``policy`` and one column per metric (`liqsim.metrics.METRIC_NAMES`).
        liquidations: one row per seed x policy like ``results``, with the run's
            `liqsim.analysis.summarize` figures (`liqsim.analysis.SUMMARY_NAMES`): how far past
            their margin accounts were when liquidated, how much closed right after reopenings.
        timeseries: ``{policy: time series}`` of the first seed (for figures).
        runs: ``{(seed, policy): RunResult}`` with events and time series if ``keep_runs``.
        fork_at: the fork time in seconds, or None for independent full runs.
    """

    scenario: Scenario
    policies: tuple[Policy, ...]
    seeds: tuple[int, ...]
    results: pd.DataFrame
    liquidations: pd.DataFrame = field(default_factory=pd.DataFrame)
    timeseries: dict[str, pd.DataFrame] = field(default_factory=dict)
    runs: dict[tuple[int, str], RunResult] | None = None
    fork_at: float | None = None

    @property
    def baseline(self) -> str:
        """Name of the baseline policy (the first)."""
        return self.policies[0].name

    @property
    def policy_names(self) -> list[str]:
        """Policy names in order."""
        return [p.name for p in self.policies]

    def liquidation_medians(self) -> pd.DataFrame:
        """One row per policy: medians over seeds of the `liquidations` figures (NaN where a
        policy has none, as in a `Comparison` built without them)."""
        if self.liquidations.empty:
            return pd.DataFrame(np.nan, index=pd.Index(self.policy_names, name="policy"), columns=list(SUMMARY_NAMES))
        med = self.liquidations.groupby("policy", sort=False)[list(SUMMARY_NAMES)].median()
        med = med.reindex(self.policy_names)
        med.index.name = "policy"
        return med

    def tidy(self) -> pd.DataFrame:
        """Long table: one row per seed x policy x metric (``seed, policy, metric, value``)."""
        from .stats import to_tidy
        return to_tidy(self.results, METRIC_NAMES)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """`liqsim.stats.paired_summary` of every metric, each policy against the baseline."""
        from .stats import paired_summary
        return paired_summary(self.results, self.baseline, METRIC_NAMES)

    def headline(self) -> pd.DataFrame:
        """Compact table, one row per policy: medians over seeds of `HEADLINE_METRICS`, then the
        per-seed difference of ``liquidation_notional`` against the baseline: its median
        (``liq_diff_median``), mean (``liq_diff_mean``) with the bootstrap 95% CI of the mean
        (``liq_diff_ci_low``, ``liq_diff_ci_high``), and the share of seeds where it fell
        (``liq_share_reduced``). Difference columns are NaN on the baseline row."""
        med = self.results.groupby("policy", sort=False)[list(HEADLINE_METRICS)].median()
        med = med.reindex(self.policy_names)
        s = self.summary
        s = s[s["metric"] == "liquidation_notional"].set_index("policy")
        cols = {"median_diff": "liq_diff_median", "mean_diff": "liq_diff_mean", "ci_low": "liq_diff_ci_low",
                "ci_high": "liq_diff_ci_high", "share_reduced": "liq_share_reduced"}
        diff = s[list(cols)].rename(columns=cols).reindex(self.policy_names)
        out = pd.concat([med, diff], axis=1)
        out.index.name = "policy"
        return out

    def to_dir(self, out: str | os.PathLike[str]) -> Path:
        """Write the `liqsim compare --out DIR` contract and return DIR: ``results.parquet``,
        ``summary.csv``, ``liquidations.csv`` (`liquidations`), ``report.md``, ``report.html``
        and the PNG figures."""
        from .report import write_report

        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        self.results.to_parquet(path / "results.parquet", index=False)
        self.summary.to_csv(path / "summary.csv", index=False)
        self.liquidations.to_csv(path / "liquidations.csv", index=False)
        write_report(self, path)
        return path

    def report(self, out: str | os.PathLike[str]) -> Path:
        """Same as `to_dir`."""
        return self.to_dir(out)

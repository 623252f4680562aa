"""Does the backstop's selling decide whether the DCB helps? nov21-2025 run with the insurance
fund unwinding its takeovers as configured and with it holding them to the end of the day
(docs/experiments.md, "what puts seeds 4-6 on the bad path").

Under the DCB a liquidation during a halt is taken over by the insurance fund at the
bankruptcy price, and the fund sells the position back into the book with IOCs at mark -
`unwind_slippage` every `unwind_interval`. This script runs each seed under `none` and `dcb`
with four backstops: as configured (1 s, 1%), unwinding ten times slower (10 s), with a tighter
limit (0.1%), and holding everything it took over to the end of the run. It prints one row per
(backstop, policy, seed) and the medians, and draws the mark, the halts and the cumulative
liquidation and unwind notional of one seed, as configured and held, to `--figure`.

The fund's equity is valued at the mark (`Exchange.insurance_fund`), so what it still holds
counts: `fund day $M` is its equity at the end minus at the start, `fund drawdown` the metric
of the same name; ADL and bad debt show whether holding moves losses elsewhere.

Run: python examples/dcb_unwind.py [--seeds 8] [--jobs 2] [--seed-plot 4] [--figure PATH]
(about 1.5 min on 2 cores).
"""

from __future__ import annotations

import argparse
import dataclasses
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

import liqsim
from liqsim import EventType, Reason
from liqsim.policies import get_policy
from liqsim.report import format_table

SCENARIO = "nov21-2025"
# name -> RiskConfig fields changed; "held" is the `hold_takeovers` policy (an unwind interval
# longer than the run: the fund never sells back).
BACKSTOPS: dict[str, dict[str, float]] = {
    "as configured": {},
    "10 s interval": {"unwind_interval": 10.0},
    "0.1% limit": {"unwind_slippage": 0.001},
    "held": dict(get_policy("hold_takeovers").risk_changes),
}


def scenario(backstop: str) -> liqsim.scenarios.Scenario:
    """nov21-2025 with the named backstop behaviour."""
    sc = liqsim.scenarios.get(SCENARIO)
    return sc.replace(risk=dataclasses.replace(sc.risk, **BACKSTOPS[backstop]))


def fund_trades(res: liqsim.RunResult) -> tuple[np.ndarray, np.ndarray, float]:
    """The run's TAKEOVER events, its backstop-unwind FILLs and USD per tick-lot."""
    ev, ctx = res.events, res.context
    assert ev is not None and ctx is not None
    takeovers = ev[ev["type"] == int(EventType.TAKEOVER)]
    unwinds = ev[(ev["type"] == int(EventType.FILL)) & (ev["code"] == int(Reason.BACKSTOP_UNWIND))]
    return takeovers, unwinds, ctx.cash_per_tick_lot * ctx.cash_unit


def row(args: tuple[str, str, int]) -> dict[str, object]:
    """One run's liquidations and drawdown, what the fund took over and sold back, and how its
    equity (at mark, so positions it still holds count) ended the day."""
    backstop, policy, seed = args
    res = liqsim.run(scenario(backstop), policy, seed)
    takeovers, unwinds, usd = fund_trades(res)
    fund = res.timeseries["insurance_fund"].dropna().to_numpy()

    def notional_m(ev: np.ndarray) -> float:
        return float((ev["price"].astype(np.float64) * ev["qty"]).sum()) * usd / 1e6

    m = res.metrics
    return {
        "backstop": backstop, "policy": policy, "seed": seed,
        "liq $M": m["liquidation_notional"] / 1e6,
        "max_drawdown": m["max_drawdown"],
        "taken over $M": notional_m(takeovers),
        "sold back $M": notional_m(unwinds),
        "fund day $M": (fund[-1] - fund[0]) / 1e6,
        "fund drawdown": m["insurance_fund_drawdown"],
        "adl $M": m["adl_notional"] / 1e6,
        "bad debt $M": m["bad_debt"] / 1e6,
    }


def plot(seed: int, path: Path) -> None:
    """Mark, halts, and cumulative liquidation and unwind notional of `seed` under the DCB,
    as configured (top) and held (bottom)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6.5), constrained_layout=True)
    axes = fig.subplots(2, 1, sharex=True)
    for ax, backstop in zip(axes, ("as configured", "held")):
        res = liqsim.run(scenario(backstop), "dcb", seed)
        ts = res.timeseries
        ax.plot(ts["t"], ts["mark"], color="black", lw=1, label="mark")
        halted = ts["halted"].to_numpy() > 0
        ax.fill_between(ts["t"], 0, 1, where=halted, transform=ax.get_xaxis_transform(),
                        color="tab:orange", alpha=0.25, lw=0, label="halted")
        ax.set_ylabel("mark (USD)")
        takeovers, unwinds, usd = fund_trades(res)
        twin = ax.twinx()
        liq = res.liquidations()
        order = np.argsort(liq["t"].to_numpy(), kind="stable")
        twin.plot(liq["t"].to_numpy()[order], np.cumsum(liq["closed_notional_usd"].to_numpy()[order]) / 1e6,
                  color="tab:red", lw=1.5, label="liquidated, cumulative $M")
        t_uw = unwinds["ts"] / 1e9
        twin.plot(t_uw, np.cumsum(unwinds["price"].astype(np.float64) * unwinds["qty"]) * usd / 1e6,
                  color="tab:blue", lw=1.5, label="fund sold back, cumulative $M")
        twin.set_ylabel("$M")
        ax.set_title(f"{SCENARIO}, DCB, seed {seed}: backstop {backstop} "
                     f"(liquidated ${res.metrics['liquidation_notional'] / 1e6:.1f}M, "
                     f"drawdown {res.metrics['max_drawdown']:.1%})")
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="lower left", fontsize=8)
    axes[-1].set_xlabel("t (s)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed-plot", type=int, default=4, help="seed drawn in the figure")
    ap.add_argument("--figure", type=Path, default=Path("out/dcb_unwind.png"))
    args = ap.parse_args()

    runs = [(b, p, s) for b in BACKSTOPS for p in ("none", "dcb") for s in range(args.seeds)]
    with ProcessPoolExecutor(args.jobs) as pool:
        df = pd.DataFrame(pool.map(row, runs))
    print(format_table(df.round(3), index=False))

    wide = df.pivot_table(index=["backstop", "seed"], columns="policy", values="liq $M")
    wide["dcb - none"] = wide["dcb"] - wide["none"]
    per = wide.groupby(level="backstop", sort=False)
    summary = pd.DataFrame({
        "none liq $M (median)": per["none"].median(),
        "dcb liq $M (median)": per["dcb"].median(),
        "dcb - none (median)": per["dcb - none"].median(),
        "seeds dcb worse": per["dcb - none"].apply(lambda d: f"{int((d > 0).sum())} of {len(d)}"),
        "dcb liq $M (max)": per["dcb"].max(),
        "dcb drawdown (max)": df[df.policy == "dcb"].groupby("backstop", sort=False)["max_drawdown"].max(),
    }).reindex(list(BACKSTOPS))
    print()
    print(format_table(summary.round(3)))
    plot(args.seed_plot, args.figure)
    print(f"\nfigure: {args.figure}")


if __name__ == "__main__":
    main()

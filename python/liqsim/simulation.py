"""`Simulation`: a scenario running in the C++ engine, with optional Python agents."""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._core import InvalidConfigError
from .agents import MarketView, PythonAgent, submit_orders
from .breakers import Breakers
from .codes import EventType
from .config import RiskConfig
from .events import events_frame
from .exchange import Exchange
from .metrics import RunContext, compute_metrics
from .scenarios.config import Scenario

NS = 1_000_000_000
PERP, SPOT = 0, 1
#: Spot is an instrument with 100% initial margin (50% maintenance x 2) and no funding.
SPOT_TIERS: tuple[tuple[float, float], ...] = ((1e12, 0.5),)


def build_exchange(scenario: Scenario, *, breakers: Breakers | None = None,
                   risk: RiskConfig | None = None) -> Exchange:
    """The configured (empty) exchange of a scenario: BTC-PERP (id 0) and BTC-SPOT (id 1).

    `breakers` apply to the perp; `risk` replaces the scenario's clearing rules (policies).
    """
    ex = Exchange(risk=risk if risk is not None else scenario.risk)
    ex.add_instrument("BTC-PERP", tick_size=scenario.tick_size, lot_size=scenario.lot_size,
                      taker_fee=scenario.taker_fee, maker_fee=scenario.maker_fee,
                      tiers=scenario.tiers, mark_source=scenario.mark_source, breakers=breakers)
    ex.add_instrument("BTC-SPOT", tick_size=scenario.tick_size, lot_size=scenario.lot_size,
                      taker_fee=scenario.taker_fee, maker_fee=scenario.maker_fee,
                      tiers=SPOT_TIERS, initial_margin_multiplier=2.0, mark_source="last")
    return ex


class Simulation:
    """One seeded run of a scenario: exchange + C++ agent populations + your Python agents.

    The C++ loop runs with the GIL released; Python agents act every `agent.dt` seconds of
    simulated time through the batch API. Same scenario, policy and seed: same event log, bit
    for bit. `copy()` snapshots the whole run; the copy continues identically.
    """

    def __init__(self, scenario: Scenario, seed: int = 0, *, breakers: Breakers | None = None,
                 risk: RiskConfig | None = None, agents: Sequence[PythonAgent] = (),
                 event_mask: Iterable[int] | None = None) -> None:
        if not isinstance(scenario, Scenario):
            raise InvalidConfigError(f"scenario must be a liqsim Scenario, got {type(scenario).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
            raise InvalidConfigError(f"seed must be an integer in [0, 2**64), got {seed!r}")
        for a in agents:
            if not isinstance(a, PythonAgent):
                raise InvalidConfigError(f"agents must be liqsim.PythonAgent instances, got {type(a).__name__}")
            if not (isinstance(a.dt, (int, float)) and math.isfinite(a.dt) and a.dt > 0):
                raise InvalidConfigError(f"{type(a).__name__}.dt must be > 0 seconds, got {a.dt!r}")
        self.scenario = scenario
        self.seed = int(seed)
        self.breakers = breakers
        template = build_exchange(scenario, breakers=breakers, risk=risk)
        spec = scenario.market_spec(template.cash_unit)
        if event_mask is not None:
            spec.event_mask = _event_mask(event_mask)
        self._sim = _core.Simulation(template._engine, spec, self.seed)
        self.exchange = Exchange._attach(self._sim.engine, template, drain=self._sim.take_events)
        self._event_chunks: list[np.ndarray] = []
        self.agents = list(agents)
        self._next_act = [0] * len(self.agents)
        for a in self.agents:
            a.setup(self)

    # -- running ---------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated time in seconds."""
        return self._sim.now / NS

    @property
    def done(self) -> bool:
        """True once the scenario's duration has been simulated."""
        return bool(self._sim.done)

    def run(self, until: float | None = None, *, progress: bool = False, chunk: float = 60.0) -> "Simulation":
        """Simulate up to `until` seconds (default: the end). `progress` shows a tqdm bar."""
        end = self._sim.end if until is None else round(_seconds("until", until) * NS)
        end = min(end, self._sim.end)
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=round((end - self._sim.now) / NS), unit="sim s", desc=self.scenario.name)
        if (isinstance(chunk, bool) or not isinstance(chunk, (int, float, np.integer, np.floating))
                or not math.isfinite(chunk) or chunk < 1e-3):
            raise InvalidConfigError(f"chunk must be a time >= 0.001 seconds, got {chunk!r}")
        step = round(chunk * NS)
        while self._sim.now < end:
            # Run to the next agent turn (or the next chunk); agents due now act first.
            target = min([end, self._sim.now + step, *self._next_act])
            before = self._sim.now
            if target > self._sim.now:
                self._sim.run_until(target)
            self._run_agents()
            self._event_chunks.append(self._sim.take_events())
            if bar is not None:
                bar.update(round((self._sim.now - before) / NS))
        if bar is not None:
            bar.close()
        return self

    def _run_agents(self) -> None:
        now = self._sim.now
        for i, agent in enumerate(self.agents):
            if self._next_act[i] > now:
                continue
            orders = agent.act(MarketView(self, agent))
            if orders is not None:
                submit_orders(self.exchange, orders, ts=now)
            self._next_act[i] = now + max(1, round(agent.dt * NS))

    def copy(self) -> "Simulation":
        """An independent snapshot of the whole run (engine, agents, queue, random streams).

        Python agents are shared with the original; give them no mutable state, or copy them.
        """
        out = object.__new__(Simulation)
        out.scenario, out.seed, out.breakers = self.scenario, self.seed, self.breakers
        out._sim = self._sim.copy()
        out.exchange = Exchange._attach(out._sim.engine, self.exchange, drain=out._sim.take_events)
        out._event_chunks = list(self._event_chunks)
        out.agents = list(self.agents)
        out._next_act = list(self._next_act)
        return out

    def set_breakers(self, breakers: Breakers | None) -> None:
        """Switch the perp's breakers from now on (a policy fork; reference windows restart)."""
        ins = self.exchange.instrument(PERP)
        control = (breakers or Breakers()).to_spec(ins.tick_size, self.exchange.cash_unit)
        self._sim.engine.set_control(PERP, control, self._sim.now)
        self.breakers = breakers

    # -- results ---------------------------------------------------------------------------
    def events(self) -> np.ndarray:
        """Every recorded event so far (structured array, liqsim.EVENT_DTYPE)."""
        self._event_chunks.append(self._sim.take_events())
        if len(self._event_chunks) > 1:
            self._event_chunks = [np.concatenate(self._event_chunks)]
        return self._event_chunks[0]

    def events_df(self) -> pd.DataFrame:
        """The recorded events as a DataFrame (see `liqsim.events_frame`)."""
        return events_frame(self.events())

    def timeseries(self) -> pd.DataFrame:
        """The 1 s time series (USD; depth within +-1% / +-2% of the perp mid; cumulative
        liquidation and ADL notional by side; halted flag)."""
        return pd.DataFrame(self._sim.series())

    def run_context(self) -> RunContext:
        """What the run metrics need besides events and time series: units, the perp's id, the
        shock start, the executed exogenous notional and the duration (`liqsim.metrics`)."""
        sc = self.scenario
        return RunContext(cash_unit=float(self.exchange.cash_unit), perp=PERP,
                          cash_per_tick_lot=int(self.exchange.instrument(PERP).cash_per_tick_lot),
                          shock_start=float(sc.shock_start_s), exogenous_notional=self.exogenous_notional,
                          duration=float(sc.duration_s))

    def metrics(self) -> dict[str, float]:
        """Every run metric so far (`liqsim.metrics.compute_metrics` on this run's events and
        time series), keyed as `liqsim.metrics.METRIC_NAMES`."""
        return compute_metrics(self.events(), self.timeseries(), self.run_context())

    @property
    def exogenous_notional(self) -> float:
        """USD of meta-order fills so far (the denominator of amplification)."""
        return float(self._sim.exogenous_notional)

    @property
    def events_emitted(self) -> int:
        """Engine events so far, including those the event mask does not store."""
        return int(self._sim.events_emitted)

    def accounts(self) -> dict[str, np.ndarray]:
        """Account ids by role: traders, makers, arbitrageurs, basis, noise, meta."""
        first, n = self._sim.first_trader, self._sim.trader_count
        return {"traders": np.arange(first, first + n, dtype=np.int32),
                "makers": self._sim.maker_accounts, "arbitrageurs": self._sim.arbitrageur_accounts,
                "breakout": self._sim.breakout_accounts,
                "basis": self._sim.basis_accounts, "noise": self._sim.noise_accounts,
                "meta": self._sim.meta_accounts}

    def liquidation_map(self) -> pd.DataFrame:
        """Per trader: side, lots, entry, leverage, collateral and current liquidation price.

        Call before `run()` to see the map the shock will walk into.
        """
        qty = self._sim.trader_qty
        entry = self._sim.trader_entry
        lot = self.scenario.lot_size
        return pd.DataFrame({
            "account": self.accounts()["traders"],
            "side": np.where(qty > 0, "long", "short"),
            "qty": qty * lot,
            "entry": entry,
            "notional": np.abs(qty) * lot * entry,
            "leverage": self._sim.trader_leverage,
            "collateral": self._sim.trader_collateral,
            "liquidation_price": self._sim.trader_liquidation_prices(),
        })

    def plot_liquidation_map(self, ax: Any = None, bins: int = 120) -> Any:
        """Histogram of liquidation notional by price (longs below, shorts above P0)."""
        import matplotlib.pyplot as plt

        df = self.liquidation_map().dropna(subset=["liquidation_price"])
        p0 = self.scenario.price0
        df = df[(df.liquidation_price > 0.5 * p0) & (df.liquidation_price < 1.5 * p0)]
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4))
        edges = np.linspace(0.8 * p0, 1.2 * p0, bins + 1)
        for side, colour in (("long", "tab:red"), ("short", "tab:green")):
            d = df[df.side == side]
            ax.hist(d.liquidation_price, bins=edges, weights=d.notional / 1e6, color=colour,
                    alpha=0.7, label=f"{side}s")
        ax.axvline(p0, color="k", lw=1, ls="--", label="P0")
        ax.set_xlabel("liquidation price (USD)")
        ax.set_ylabel("position notional (USD m)")
        ax.set_title(f"{self.scenario.name}: liquidation map, seed {self.seed}")
        ax.legend()
        return ax


def _event_mask(types: Iterable[int]) -> int:
    """Bit mask of the `EventType` codes in `types` (each once; unknown codes raise)."""
    if isinstance(types, (str, bytes)) or not isinstance(types, Iterable):
        raise InvalidConfigError(f"event_mask must be an iterable of EventType codes, got {types!r}")
    known = {int(t) for t in EventType}
    mask = 0
    for t in types:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or int(t) not in known:
            raise InvalidConfigError(f"event_mask: {t!r} is not an EventType code ({min(known)}..{max(known)})")
        mask |= 1 << int(t)
    return mask


def _seconds(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise InvalidConfigError(f"{name} must be a time >= 0 in seconds, got {v!r}")
    return float(v)

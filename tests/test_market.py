"""The market model: determinism, common random numbers, conservation, snapshots, agents,
liquidation map and configuration errors (DESIGN sections 5 and 9)."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import liqsim
from liqsim import scenarios
from liqsim.scenarios import ExternalVenue, Makers, Traders
from liqsim.simulation import Simulation

SMOKE = scenarios.get("smoke")


def run(scenario=SMOKE, seed=1, **kw) -> Simulation:
    return Simulation(scenario, seed=seed, **kw).run()


def test_same_seed_same_event_log_and_series():
    a, b = run(), run()
    assert a.events().tobytes() == b.events().tobytes()
    assert a.timeseries().equals(b.timeseries())
    assert a.events_emitted == b.events_emitted > 10_000


def test_different_seeds_differ():
    assert run(seed=1).events().tobytes() != run(seed=2).events().tobytes()


def test_run_in_pieces_equals_one_run():
    whole = run()
    pieces = Simulation(SMOKE, seed=1)
    for t in (7.5, 100.0, 333.3, 599.0):
        pieces.run(until=t)
    pieces.run()
    assert pieces.events().tobytes() == whole.events().tobytes()


def test_snapshot_continues_bit_identically():
    whole = run()
    sim = Simulation(SMOKE, seed=1).run(until=200.0)
    snap = sim.copy()
    sim.run()
    snap.run()
    assert snap.events().tobytes() == whole.events().tobytes() == sim.events().tobytes()
    assert snap.timeseries().equals(whole.timeseries())


def test_draining_events_mid_run_keeps_the_running_totals():
    """Draining the exchange's events mid-run (between the 1 s samples, as a hand-driven loop
    or an agent might) takes them away from `events()`, but the simulation's running totals
    (liquidations in the time series, which also drive the makers) still see every event."""
    whole = run()
    sim = Simulation(SMOKE, seed=1)
    taken = []
    t = 0.0
    while t < 600.0:
        t = min(600.0, t + 7.3)
        sim._sim.run_until(round(t * 1e9))
        taken.append(sim.exchange.drain_events())
    taken_all = np.concatenate(taken)
    assert (taken_all["type"] == liqsim.EventType.LIQUIDATION).sum() > 0
    assert len(sim.events()) == 0
    assert taken_all.tobytes() == whole.events().tobytes()
    assert sim.timeseries().equals(whole.timeseries())


def test_money_and_positions_are_conserved():
    sim = run()
    ex = sim.exchange
    assert ex.ledger_total() == 0
    for inst in (0, 1):
        qty, _, _ = ex._engine.position_table(inst)  # system accounts included
        assert int(qty.sum()) == 0
    ev = sim.events()
    assert (ev["type"] == liqsim.EventType.LIQUIDATION).sum() > 0  # the smoke day has a wave


def test_common_random_numbers_with_a_breaker():
    """A breaker changes nothing before it first acts: same set-up draws, same events."""
    off = run()
    dcb = liqsim.Breakers((liqsim.DCB(band=0.005, lookback=600.0, halt=30.0),))
    on = run(breakers=dcb)
    for name in ("trader_qty", "trader_entry", "trader_leverage", "trader_collateral"):
        assert np.array_equal(getattr(on._sim, name), getattr(off._sim, name))
    e_on, e_off = on.events(), off.events()
    halts = e_on[e_on["type"] == liqsim.EventType.STATE]
    assert len(halts) > 0, "the tight DCB must halt the smoke day"
    t_halt = halts["ts"][0]
    before_on, before_off = e_on[e_on["ts"] < t_halt], e_off[e_off["ts"] < t_halt]
    assert before_on.tobytes() == before_off.tobytes()
    assert not np.array_equal(e_on["ts"][-100:], e_off["ts"][-100:])


def test_breaker_that_never_fires_changes_nothing():
    off = run()
    wide = run(breakers=liqsim.Breakers((liqsim.DCB(band=0.9),)))
    assert wide.events().tobytes() == off.events().tobytes()


def test_liquidation_map_before_the_run():
    sim = Simulation(SMOKE, seed=3)
    m = sim.liquidation_map()
    assert len(m) == SMOKE.traders.count
    p0 = SMOKE.price0
    longs, shorts = m[m.side == "long"], m[m.side == "short"]
    # Nobody starts within min_distance of liquidation.
    assert (longs.liquidation_price < p0 * (1 - SMOKE.traders.min_distance) + 1).all()
    assert (shorts.liquidation_price > p0 * (1 + SMOKE.traders.min_distance) - 1).all()
    assert 0.7 < len(longs) / len(m) < 0.9  # long_share 0.8
    assert (m.leverage >= 1).all() and (m.leverage <= 125).all()


def test_time_series_columns_and_sampling():
    ts = run().timeseries()
    assert list(ts.t[:3]) == [0.0, 1.0, 2.0]
    assert len(ts) == int(SMOKE.duration_s) + 1
    for col in ("mark", "index", "perp_mid", "spot_mid", "best_bid", "best_ask", "depth_bid_1pct",
                "depth_ask_2pct", "open_interest", "insurance_fund", "liq_long_cum",
                "liq_short_cum", "adl_long_cum", "adl_short_cum", "halted"):
        assert col in ts
    assert (ts.depth_bid_2pct >= ts.depth_bid_1pct).all()
    assert (np.diff(ts.liq_long_cum) >= 0).all()
    assert ts.liq_long_cum.iloc[-1] > 0


def test_python_agent_example_runs():
    path = Path(__file__).parent.parent / "examples" / "python_agent.py"
    spec = importlib.util.spec_from_file_location("python_agent", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    agent = mod.DipBuyer(trigger=0.005, clip=5_000.0, max_clips=3)
    sim = Simulation(SMOKE, seed=1, agents=[agent]).run()
    assert agent.clips == 3
    assert sim.exchange.position(agent.account, 0) > 0
    assert sim.exchange.ledger_total() == 0


def test_python_agent_with_a_bad_order_raises():
    from liqsim.agents import PythonAgent

    class BadAgent(PythonAgent):
        dt = 10.0

        def act(self, view):
            return {"instrument": 0, "account": 10**6, "side": 1, "kind": 0, "price": 1, "qty": 1}

    with pytest.raises(liqsim.UnknownAccountError):
        Simulation(SMOKE, seed=1, agents=[BadAgent()]).run(until=30.0)


@pytest.mark.parametrize("change, field", [
    (lambda s: s.replace(traders=dataclasses.replace(s.traders, count=-5)), "traders.count"),
    (lambda s: s.replace(traders=dataclasses.replace(s.traders, leverage_median=0.5)), "traders.leverage_median"),
    (lambda s: s.replace(traders=dataclasses.replace(s.traders, long_share=1.5)), "traders.long_share"),
    (lambda s: s.replace(external=ExternalVenue(weight_spot=0.7, weight_external=0.7)), "weight_external"),
    (lambda s: s.replace(perp_makers=dataclasses.replace(s.perp_makers, floor=0.0)), "perp_makers.floor"),
    (lambda s: s.replace(perp_makers=dataclasses.replace(s.perp_makers, count=-1)), "perp_makers.count"),
    (lambda s: s.replace(duration_s=float("nan")), "duration_s"),
    (lambda s: s.replace(price0=-1.0), "price0"),
])
def test_bad_scenario_parameters_name_the_field(change, field):
    with pytest.raises(liqsim.InvalidConfigError, match=field.replace(".", r"\.")):
        change(SMOKE)


def test_bad_scenario_types_and_names():
    with pytest.raises(liqsim.InvalidConfigError, match="unknown scenario"):
        scenarios.get("nov22-2025")
    with pytest.raises(liqsim.InvalidConfigError, match="integer"):
        SMOKE.replace(traders=Traders(count=1.5))  # type: ignore[arg-type]
    with pytest.raises(liqsim.InvalidConfigError, match="seed"):
        Simulation(SMOKE, seed=-1)
    with pytest.raises(liqsim.InvalidConfigError):
        Simulation(SMOKE, seed=1, agents=[object()])  # type: ignore[list-item]
    assert isinstance(liqsim.InvalidConfigError("x"), ValueError)


def test_presets_are_listed_and_documented():
    assert scenarios.names() == ["nov21-2025", "nov3-2025", "oct10-2025", "jan2026-etf", "smoke"]
    for name in scenarios.names():
        sc = scenarios.get(name)
        assert sc.name == name
        assert "Scale" in sc.description and "Public facts" in sc.description or name == "smoke"
        assert sc.targets, name


def test_makers_pull_depth_under_stress():
    ts = run().timeseries()
    assert ts.mm_depth_factor.iloc[0] == 1.0
    assert ts.mm_depth_factor.min() < 0.5  # the smoke sell-off stresses the makers


def test_breakout_entries_rejected_by_an_empty_book_are_retried():
    """At the cliff the bid side empties and breakout market sells are rejected (NO_LIQUIDITY);
    with `retries` they try again later and most of the shorts open (nov21, seed 0, first
    30 simulated minutes: 1,276 of 5,000 without retries, 4,325 with 30)."""
    base = scenarios.get("nov21-2025")
    opened = {}
    for retries in (0, 30):
        sc = base.replace(breakout=dataclasses.replace(base.breakout, retries=retries))
        sim = Simulation(sc, seed=0)
        bo = sim.accounts()["breakout"]
        sim.run(until=1800.0)
        ev = sim.events()
        entries = ev[(ev["type"] == liqsim.EventType.FILL) & np.isin(ev["account"], bo)
                     & (ev["side"] == -1) & (ev["code"] == 0)]
        opened[retries] = len(np.unique(entries["account"]))
        assert sim.exchange.ledger_total() == 0
    assert opened[0] < 0.5 * len(bo)
    assert opened[30] > 0.8 * len(bo)

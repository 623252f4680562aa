"""Parking of accounts the liquidation throttle certainly keeps waiting (docs/clearing.md).

Parking only saves work: every run must give the same event log with `park_waiting` on and off.
Checked on a hand-built cascade with known outcomes, on a scaled-down preset day, and on random
command streams (hypothesis) that move the index, trade, deposit, halt and cross throttle
windows under every backstop setting that changes how many rounds a risk stage runs.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import liqsim
from liqsim import DCB, Breakers, EventType, LiqThrottle, scenarios
from liqsim.simulation import Simulation

S = 1_000_000_000


def liquidated(ev: np.ndarray) -> list[int]:
    return ev["account"][ev["type"] == EventType.LIQUIDATION].tolist()


def five_longs(park: bool) -> tuple[liqsim.Exchange, list[int]]:
    """Five longs of 0.5 BTC bought at 50,000 with 5,000 USD each: equity 0.5 x mark - 20,000
    USD, below maintenance (0.5% of ~20,000 USD) under ~40,200. A 30,000 USD/min throttle lets
    one ~20,000 USD liquidation through per window."""
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig())
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, mark_source="index",
                      breakers=Breakers((LiqThrottle(global_cap=30_000, window=60),)))
    ex.park_waiting = park
    mm = ex.add_account()
    longs = list(ex.add_accounts(5))
    ex.deposit(mm, 10_000_000)
    for a in longs:
        ex.deposit(a, 5_000)
    ex.fund_insurance(1_000_000)
    ex.set_index(0, 50_000, ts=0)
    ex.submit(0, mm, "sell", 50_000, 2.5, ts=0)
    for a in longs:
        ex.submit(0, a, "buy", 50_000, 0.5, ts=0)
    ex.submit(0, mm, "buy", 39_000, 5.0, ts=0)  # liquidity below
    ex.drain_events()
    return ex, longs


def test_waiting_longs_are_parked_until_the_mark_or_the_window_could_change_their_fate():
    ex, longs = five_longs(park=True)
    plain, _ = five_longs(park=False)
    steps = [("index", 1, 40_100, [longs[0]], 4),  # all due; one fits the window, four wait, parked
             ("index", 2, 40_050, [], 4),  # lower: still due, still too large for the room
             ("index", 3, 45_000, [], 0),  # above their due range: back, and no longer due
             ("index", 4, 40_000, [], 4),  # due again in the same window: wait, parked again
             ("index", 30, 39_900, [], 4),
             ("advance", 61, None, [longs[1]], 3),  # a new window lets the next one go
             ("advance", 121, None, [longs[2]], 2)]
    for what, t, px, liq, parked in steps:
        for x in (ex, plain):
            if what == "index":
                x.set_index(0, px, ts=t * S)
            else:
                x.advance(t * S)
        ev, ev_plain = ex.drain_events(), plain.drain_events()
        assert liquidated(ev) == liq, (t, px)
        assert ex.parked_accounts == parked, (t, px)
        assert plain.parked_accounts == 0
        assert ev.tobytes() == ev_plain.tobytes(), (t, px)
    # Parked four, then four, three and two: none re-parked when the mark moved within range.
    assert ex.parkings == 13 and plain.parkings == 0
    assert [ex.account(a).liquidatable for a in longs] == [False, False, False, True, True]
    assert ex.ledger_total() == 0


def test_turning_parking_off_puts_parked_accounts_back():
    ex, longs = five_longs(park=True)
    plain, _ = five_longs(park=False)
    for x in (ex, plain):
        x.set_index(0, 40_100, ts=1 * S)
    assert ex.parked_accounts == 4
    ex.park_waiting = False
    assert ex.parked_accounts == 0 and not ex.park_waiting
    for x in (ex, plain):
        x.set_index(0, 40_000, ts=2 * S)
        x.advance(61 * S)
    assert ex.drain_events().tobytes() == plain.drain_events().tobytes()
    with pytest.raises(liqsim.InvalidConfigError, match="park_waiting"):
        ex.park_waiting = "yes"  # type: ignore[assignment]


def test_a_booking_in_another_instrument_lists_the_parked_accounts_like_the_rest():
    """A review found this one: A waits parked on BTC while a bankrupt ETH long is booked. A
    listing would have stamped A after that booking (it sorts after the ETH long); a stage
    later, with nothing changed, A then waits again without being re-valued. A stamp from before
    the booking would re-value it into the due list and run another round, whose backstop unwind
    try is an IOC in the log with unwind_interval=0."""
    def run(park: bool) -> tuple[list[bytes], int]:
        ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig(unwind_interval=0.0))
        ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, mark_source="index",
                          breakers=Breakers((LiqThrottle(global_cap=30_000, window=60),)))
        ex.add_instrument("ETH", tick_size=1.0, lot_size=0.001, mark_source="index")
        ex.park_waiting = park
        mm = ex.add_account()
        c, a, b = ex.add_accounts(3)
        ex.deposit(mm, 10_000_000)
        ex.fund_insurance(1_000_000)
        for acct, usd in ((c, 500), (a, 1_200), (b, 200)):
            ex.deposit(acct, usd)
        ex.set_index(0, 50_000, ts=0)
        ex.set_index(1, 3_000, ts=0)
        ex.submit(0, mm, "sell", 50_000, 1.5, ts=0)
        ex.submit(0, c, "buy", 50_000, 0.5, ts=0)
        ex.submit(0, a, "buy", 50_000, 1.0, ts=0)
        ex.submit(1, mm, "sell", 3_000, 1.0, ts=0)
        ex.submit(1, b, "buy", 3_000, 1.0, ts=0)
        logs = [ex.drain_events().tobytes()]
        ex.set_index(0, 48_990, ts=1 * S)  # c fits the empty window, a does not fit what is left
        logs.append(ex.drain_events().tobytes())
        parked = ex.parked_accounts
        ex.set_index(1, 2_700, ts=2 * S)  # ETH: b bankrupt, booked
        logs.append(ex.drain_events().tobytes())
        ex.advance(3 * S)  # nothing changes
        logs.append(ex.drain_events().tobytes())
        return logs, parked

    (on, parked), (off, _) = run(True), run(False)
    assert parked == 1
    assert on == off


def test_a_short_with_a_liquidation_price_below_one_tick_is_searched_at_positive_prices_only():
    """Also from the review: funding drains a waiting short down to a liquidation price between
    0 and 1 tick (trigger key -1); the search for its due range must not value it at price <= 0
    (a negative notional, which the margin tiers refuse)."""
    def run(park: bool) -> list[bytes]:
        ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig())
        ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, mark_source="index",
                          breakers=Breakers((LiqThrottle(global_cap=30_000, window=600),)))
        ex.park_waiting = park
        mm = ex.add_account()
        c, short = ex.add_accounts(2)
        ex.deposit(mm, 10_000_000)
        ex.fund_insurance(10_000_000)
        ex.deposit(c, 500)
        ex.deposit(short, 450)
        ex.set_index(0, 50_000, ts=0)
        ex.submit(0, mm, "sell", 50_000, 0.5, ts=0)
        ex.submit(0, c, "buy", 50_000, 0.5, ts=0)
        ex.submit(0, mm, "buy", 50_000, 1.0, ts=0)
        ex.submit(0, short, "sell", 50_000, 1.0, ts=0)
        ex.set_index(0, 49_000, ts=1 * S)  # c due in an empty window: goes, the window has use
        ex.set_index(0, 50_000, ts=2 * S)
        logs = [ex.drain_events().tobytes()]
        ex.apply_funding(0, -1.0, ts=3 * S)  # the short pays its whole notional: due, waits
        logs.append(ex.drain_events().tobytes())
        ex.apply_funding(0, -0.008999, ts=4 * S)  # cash ~0.05 USD: liquidation price < 1 tick
        logs.append(ex.drain_events().tobytes())
        ex.advance(700 * S)  # next window: it goes
        logs.append(ex.drain_events().tobytes())
        return logs

    assert run(True) == run(False)


def digest(sim: Simulation) -> tuple[str, str]:
    h = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
    return h(sim.events().tobytes()), h(sim.timeseries().to_numpy().tobytes())


@pytest.mark.parametrize("extra", [(), (DCB(band=0.02, halt=30),)], ids=["throttle", "dcb+throttle"])
def test_a_throttled_preset_day_is_the_same_with_and_without_parking(extra):
    # oct10 at 1/400 of the real day (5,000 traders), the throttle cap scaled alike.
    scenario = scenarios.get("oct10-2025").scaled(0.05)
    runs = []
    for park in (True, False):
        sim = Simulation(scenario, seed=3, breakers=Breakers((LiqThrottle(global_cap=250_000), *extra)))
        sim.exchange.park_waiting = park
        sim.run()
        runs.append((digest(sim), sim.exchange.parkings))
    (with_parking, parkings), (without, none) = runs
    assert parkings > 1_000 and none == 0
    assert with_parking == without


# -- random streams ----------------------------------------------------------------------------
P0 = 50_000


@st.composite
def streams(draw):
    n = draw(st.integers(3, 9))
    config = dict(
        deposits=draw(st.lists(st.integers(1_000, 6_000), min_size=n, max_size=n)),
        leverage=draw(st.lists(st.integers(8, 18), min_size=n, max_size=n)),
        crowd_short=draw(st.booleans()),  # the crowd's side; the index moves against it
        contrarian=draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)),  # 4: other side
        cap=draw(st.sampled_from([5_000, 20_000, 60_000])),
        window=draw(st.sampled_from([10, 60])),
        dcb=draw(st.booleans()),
        risk=dict(backstop=draw(st.sampled_from(["insurance_fund", "vault"])),
                  unwind_interval=draw(st.sampled_from([0.0, 1.0, 60.0])),
                  adl_at_mark=draw(st.booleans())),
        insurance=draw(st.sampled_from([0, 2_000, 1_000_000])),
    )
    ops = draw(st.lists(st.one_of(
        st.tuples(st.just("index"), st.integers(0, 600)),  # bp against the crowd
        st.tuples(st.just("index"), st.integers(-150, 300)),
        st.tuples(st.just("index"), st.integers(-100, 100)),
        st.tuples(st.just("wait"), st.integers(1, 40)),  # seconds
        st.tuples(st.just("quote"), st.integers(-800, 800)),  # market maker limit, bp off index
        st.tuples(st.just("deposit"), st.integers(0, n - 1)),
        st.tuples(st.just("trade"), st.integers(0, n - 1)),
    ), min_size=8, max_size=40))
    return config, ops


def replay(config: dict, ops: list, park: bool) -> tuple[list[bytes], int]:
    breakers = [LiqThrottle(global_cap=config["cap"], window=config["window"])]
    if config["dcb"]:
        breakers.append(DCB(band=0.03, halt=20))
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig(**config["risk"]))
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, mark_source="index",
                      breakers=Breakers(tuple(breakers)))
    ex.park_waiting = park
    mm = ex.add_account()
    traders = list(ex.add_accounts(len(config["deposits"])))
    ex.deposit(mm, 50_000_000)
    if config["insurance"]:
        ex.fund_insurance(config["insurance"])
    ex.set_index(0, P0, ts=0)
    shorts = [config["crowd_short"] != (c == 4) for c in config["contrarian"]]
    for a, usd, lev, short in zip(traders, config["deposits"], config["leverage"], shorts):
        ex.deposit(a, usd)
        size = round(usd * lev / P0, 3)
        ex.submit(0, mm, "buy" if short else "sell", P0, size, ts=0)
        ex.submit(0, a, "sell" if short else "buy", P0, size, ts=0)
    ex.submit(0, mm, "buy", P0 * 0.9, 20.0, ts=0)
    ex.submit(0, mm, "sell", P0 * 1.1, 20.0, ts=0)
    logs = [ex.drain_events().tobytes()]
    index, now = P0, 0
    for op, x in ops:
        now += S // 2
        if op == "index":
            against = 1 if config["crowd_short"] else -1
            index = max(1_000, round(index * (1 + against * x / 10_000)))
            ex.set_index(0, index, ts=now)
        elif op == "wait":
            now += x * S
            ex.advance(now)
        elif op == "quote":
            price = max(1_000, round(index * (1 + x / 10_000)))
            ex.submit(0, mm, "buy" if x < 0 else "sell", price, 0.3, ts=now)
        elif op == "deposit":
            ex.deposit(traders[x], 500, ts=now)
        else:  # a trader adds to its position against the market maker's resting orders
            ex.submit(0, traders[x], "sell" if shorts[x] else "buy", index, 0.1, kind="ioc", ts=now)
        logs.append(ex.drain_events().tobytes())
        assert ex.ledger_total() == 0
    return logs, ex.parkings


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_random_throttled_streams_give_the_same_log_with_and_without_parking(stream):
    config, ops = stream
    parked, parkings = replay(config, ops, park=True)
    plain, none = replay(config, ops, park=False)
    event("parked some" if parkings else "parked none")
    assert none == 0
    for k, (a, b) in enumerate(zip(parked, plain)):
        assert a == b, f"event logs differ after op {k}: {ops[k - 1] if k else 'set-up'}"


def test_a_snapshot_taken_while_accounts_are_parked_continues_like_the_original():
    scenario = scenarios.get("oct10-2025").scaled(0.05)
    breakers = Breakers((LiqThrottle(global_cap=250_000),))
    sim = Simulation(scenario, seed=1, breakers=breakers)
    sim.run(until=1500.0)
    assert sim.exchange.parked_accounts > 0
    fork = sim.copy()
    sim.run()
    fork.run()
    plain = Simulation(scenario, seed=1, breakers=breakers)
    plain.exchange.park_waiting = False
    plain.run()
    assert digest(fork) == digest(sim) == digest(plain)

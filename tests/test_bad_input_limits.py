"""Bad input at the edges: id and amount ranges, wrong Python types, failed configuration.

Each case raises the package's own exception naming the field and leaves the exchange as it
was (balances and positions included, which `test_bad_input.snapshot` does not cover).
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import liqsim
from liqsim import EventType, Reason


def state(ex: liqsim.Exchange) -> tuple:
    """Books, positions, balances, clock, next id and pending events."""
    books = tuple((tuple(map(tuple, ex.depth(i, 100).values())), tuple(ex.positions(i)))
                  for i in range(len(ex.instruments)))
    return (books, tuple(ex.balances().tolist()), ex.now, ex._engine.next_order_id,
            ex._engine.pending_events, ex.insurance_fund)


@pytest.fixture
def cents():
    """Default grid (tick 0.1, lot 0.001, cash unit 1e-6 USD: 100 cash units per tick-lot)."""
    ex = liqsim.Exchange()
    ex.add_instrument("BTC")
    ex.add_accounts(3)
    return ex


# -- order ids: the engine's own start at 2**62 ---------------------------------------------
@pytest.mark.parametrize("oid", [2**62, 2**62 + 5, 2**63 - 1])
def test_order_ids_from_2_62_are_the_engines(ex, oid):
    before = state(ex)
    with pytest.raises(liqsim.InvalidOrderError, match=r"order_id must be in 1\.\.2\^62-1"):
        ex.submit(0, 0, "buy", 100, 1, order_id=oid)
    with pytest.raises(liqsim.InvalidOrderError, match="row 1: order_id") as e:
        ex.submit_batch(order_id=[7, oid], side=1, price=90, qty=1, account=0)
    assert e.value.row == 1
    assert ex.order(7)["price"] == 90  # the rows before the bad one stay applied
    ex.cancel(7)
    ex.drain_events()
    assert state(ex)[0] == before[0]


def test_highest_user_id_and_engine_ids_never_meet():
    # A resting order with the highest id a caller may use survives a liquidation (whose IOC
    # the engine numbers 2**62) and can still be cancelled.
    ex = liqsim.Exchange(risk=liqsim.RiskConfig())
    ex.add_instrument("BTC")
    ex.add_accounts(4)
    for a, usd in enumerate([200.0, 1e6, 1e6, 1e6]):
        ex.deposit(a, usd)
    ex.fund_insurance(1e5)
    ex.submit(0, 1, "sell", 10000.0, 1.0)
    ex.submit(0, 0, "buy", 10000.0, 1.0)
    top = 2**62 - 1
    ex.submit(0, 3, "buy", 9700.0, 5.0, order_id=top)
    # (automatic ids would now be 2**62: the rest are given)
    ex.submit(0, 2, "sell", 9800.0, 0.1, order_id=10)
    ex.submit(0, 1, "buy", 9800.0, 0.1, order_id=11)  # marks 9800: account 0 is liquidated
    ev = ex.drain_events()
    assert (ev["type"] == EventType.LIQUIDATION).sum() == 1
    engine_ids = ev["order_id"][ev["order_id"] >= 2**62]
    assert engine_ids.size and engine_ids.min() == 2**62
    assert ex.order(top)["leaves"] > 0
    ex.cancel(top)
    assert ex.drain_events()["type"].tolist() == [EventType.CANCEL]


# -- notional and cash ranges -----------------------------------------------------------------
def test_order_notional_is_capped_at_1e18_cash_units(cents):
    # 100 cash units per tick-lot: 1e8 ticks x 1e8 lots x 100 = 1e18 exactly, the largest allowed.
    cents.submit_ticks(0, 0, -1, 10**8, 10**8)
    before = state(cents)
    for call in (lambda: cents.submit_ticks(0, 1, -1, 10**8, 10**8 + 1),
                 lambda: cents.submit_ticks(0, 1, -1, 10**8, 10**9),
                 lambda: cents.submit_batch(order_id=[99], side=-1, price=10**8, qty=10**9, account=1)):
        with pytest.raises(liqsim.InvalidOrderError, match="exceeds 1e18 cash units"):
            call()
        assert state(cents) == before


def test_market_order_and_amend_notional_checked(cents):
    cents.submit_ticks(0, 0, -1, 10**7, 10, order_id=1)  # an ask at 1e7 ticks
    before = state(cents)
    # Market buy: priced at the best ask + 5% band = 1.05e7 ticks; 1e18 / (100 x 1.05e7) ~ 9.5e8 lots.
    with pytest.raises(liqsim.InvalidOrderError, match="exceeds 1e18"):
        cents.submit_ticks(0, 1, 1, 0, 10**9, kind=int(liqsim.Kind.MARKET))
    with pytest.raises(liqsim.InvalidOrderError, match="exceeds 1e18"):
        cents._engine.amend(1, 0, 10**12, cents.now)
    assert state(cents) == before
    assert cents.order(1)["leaves"] == 10


def test_deposits_are_capped(cents):
    # Balances and the total deposited stay below 2**62 cash units (4.6e12 USD at 1e-6).
    cents.deposit(0, 4.6e12)
    before = state(cents)
    with pytest.raises(liqsim.InvalidOrderError, match=r"balance of account 0 over 2\^62"):
        cents.deposit(0, 0.1e12)
    with pytest.raises(liqsim.InvalidOrderError, match=r"total deposited over 2\^62"):
        cents.deposit(1, 0.02e12)
    with pytest.raises(liqsim.InvalidOrderError, match=r"total deposited over 2\^62"):
        cents.fund_insurance(0.02e12)
    with pytest.raises(liqsim.InvalidOrderError, match="out of range"):
        cents.deposit(2, 1e30)
    assert state(cents) == before
    cents.deposit(1, 0.01e12)  # 4.61e18 in all: still below 2**62 = 4.611686e18
    assert cents.balances()[1] == 10**16


def test_deposit_batch_checks_rows_like_deposit(cents):
    before = state(cents)
    cases = [([0, 1], [1.0, 1.5e-6], "row 1", 1),       # off the cash grid: not rounded
             ([0, 1], [1.0, math.nan], "row 1", 1),
             ([0, 1, 2], [2e12, 2e12, 2e12], "row 2: deposits up to this row", 2),
             ([0, 1], [1.0, -2.0], "row 1: deposit amount must be > 0", 1),
             ([0, 1], [1.0, 1e30], "row 1", 1)]
    for accounts, usd, words, row in cases:
        with pytest.raises(liqsim.InvalidOrderError, match=words) as e:
            cents.deposit_batch(accounts, usd)
        assert e.value.row == row
        assert state(cents) == before
    for accounts, usd, words in [([0, 1], ["1", "2"], "numeric"), ([0, 1], [True, False], "numeric"),
                                 ([0, 1, 2], [1.0, 2.0], "shape")]:
        with pytest.raises(liqsim.InvalidOrderError, match=words):
            cents.deposit_batch(accounts, usd)
    cents.deposit_batch([], [])  # nothing to do is not an error
    assert state(cents) == before
    cents.deposit_batch([0, 0], [2.5, 0.000001])
    assert cents.balances()[0] == 2_500_001


# -- halts --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seconds", [-1e-9, 0, 0.0, math.nan, math.inf, "5", True, 1e10])
def test_bad_halt_durations(ex, seconds):
    before = state(ex)
    with pytest.raises(liqsim.InvalidOrderError, match="seconds must be"):
        ex.halt(0, seconds)
    assert ex.trading_state(0) == liqsim.TradingState.CONTINUOUS
    assert state(ex) == before


def test_halt_past_the_last_timestamp(ex):
    ex.advance(2**63 - 10)
    before = state(ex)
    with pytest.raises(liqsim.InvalidOrderError, match="past the largest timestamp"):
        ex.halt(0, 1.0)
    assert ex.trading_state(0) == liqsim.TradingState.CONTINUOUS
    assert state(ex) == before


# -- accounts -----------------------------------------------------------------------------------
def test_entry_price_and_realized_pnl_check_the_account(ex):
    ex.submit(0, 1, "sell", 100, 1)
    ex.submit(0, 2, "buy", 100, 1)
    assert ex.entry_price(2, 0) == 100.0
    for bad in (-5, 3, 2**31):
        for call in (ex.entry_price, ex.realized_pnl):
            with pytest.raises(liqsim.UnknownAccountError):
                call(bad, 0)


def test_failed_add_accounts_changes_nothing():
    # Out of memory part way: every per-account array goes back and the count stays.
    code = textwrap.dedent("""
        import resource, liqsim
        ex = liqsim.Exchange(); ex.add_instrument("BTC"); ex.add_accounts(2); ex.deposit(1, 5.0)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (used + 512 * 2**20, hard))
        try:
            ex.add_accounts(2**30)
        except MemoryError:
            print("MemoryError")
        print(ex.num_accounts, ex.balances()[1], int(ex.add_accounts(1)[0]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    # (an editable install may print its rebuild first)
    assert out.stdout.split()[-4:] == ["MemoryError", "2", "5000000", "2"]


# -- wrong Python types ---------------------------------------------------------------------
@pytest.mark.parametrize("call, exc, words", [
    (lambda ex: ex.submit(0, 2**31, "buy", 100, 1), liqsim.UnknownAccountError, "unknown account"),
    (lambda ex: ex.submit(0, True, "buy", 100, 1), liqsim.InvalidOrderError, "account must be an integer"),
    (lambda ex: ex.submit(0, 0, "buy", 100, 1, order_id=7.0), liqsim.InvalidOrderError, "order_id must be an integer"),
    (lambda ex: ex.submit(0, 0, "buy", "100", 1), liqsim.InvalidOrderError, "price must be a number"),
    (lambda ex: ex.submit(0, 0, "buy", True, 1), liqsim.InvalidOrderError, "price must be a number"),
    (lambda ex: ex.submit(0, 0, "buy", 100, True), liqsim.InvalidOrderError, "qty must be a number"),
    (lambda ex: ex.submit(0, 0, "buy", 10**400, 1), liqsim.InvalidOrderError, "price .* out of range"),
    (lambda ex: ex.submit(0, 0, True, 100, 1), liqsim.InvalidOrderError, "side"),
    (lambda ex: ex.submit(0, 0, 1.0, 100, 1), liqsim.InvalidOrderError, "side"),
    (lambda ex: ex.submit(0, 0, "buy", 100, 1, reduce_only=2), liqsim.InvalidOrderError, "reduce_only"),
    (lambda ex: ex.submit(True, 0, "buy", 100, 1), liqsim.UnknownInstrumentError, "instrument"),
    (lambda ex: ex.submit_ticks(0, 0, 1, 100, 2**63), liqsim.InvalidOrderError, "qty_lots .* out of range"),
    (lambda ex: ex.submit_ticks(0, 0, 1, 100, 1.5), liqsim.InvalidOrderError, "qty_lots must be an integer"),
    (lambda ex: ex.submit_ticks(0, 0, 1, 100, 1, ts=1.5), liqsim.InvalidOrderError, "ts must be an integer"),
    (lambda ex: ex.cancel(2**63), liqsim.InvalidOrderError, "order_id .* out of range"),
    (lambda ex: ex.cancel("1"), liqsim.InvalidOrderError, "order_id must be an integer"),
    (lambda ex: ex.amend(2**63, qty=1), liqsim.InvalidOrderError, "order_id .* out of range"),
    (lambda ex: ex.amend(1, qty="2"), liqsim.InvalidOrderError, "qty must be a number"),
    (lambda ex: ex.order(2**63), liqsim.InvalidOrderError, "order_id .* out of range"),
    (lambda ex: ex.advance(1.5), liqsim.InvalidOrderError, "ts must be an integer"),
    (lambda ex: ex.depth(0, 2**64), liqsim.InvalidOrderError, "out of range"),
    (lambda ex: ex.deposit("0", 1.0), liqsim.InvalidOrderError, "account must be an integer"),
    (lambda ex: ex.bbo("0"), liqsim.InvalidOrderError, "instrument must be an integer"),
    (lambda ex: ex.submit_batch(order_id=[5], side=1, price=np.array([True]), qty=1),
     liqsim.InvalidOrderError, "price must be an integer array"),
])
def test_wrong_types_raise_package_errors(ex, call, exc, words):
    ex.submit(0, 0, "buy", 90, 1, order_id=1)
    before = state(ex)
    with pytest.raises(exc, match=words):
        call(ex)
    assert state(ex) == before


# -- configuration that fails part way --------------------------------------------------------
def test_failed_add_instrument_keeps_the_cash_unit():
    ex = liqsim.Exchange()
    with pytest.raises(liqsim.InvalidConfigError, match="taker_fee"):
        ex.add_instrument("X", cash_unit=1e-4, taker_fee=5.0)
    assert ex.cash_unit == 1e-6 and ex.instruments == []
    with pytest.raises(liqsim.InvalidConfigError, match="tick_size"):
        ex.add_instrument("X", tick_size=True)
    with pytest.raises(liqsim.InvalidConfigError, match="funding_interval"):
        ex.add_instrument("X", funding_interval="8h")
    ex.add_instrument("X", cash_unit=1e-4)  # nothing fixed the unit: the first instrument may
    assert ex.cash_unit == 1e-4


def test_risk_amounts_need_the_cash_unit_at_creation():
    ex = liqsim.Exchange(risk=liqsim.RiskConfig(partial_threshold=1000.0))
    with pytest.raises(liqsim.InvalidConfigError, match="takes its cash_unit at creation"):
        ex.add_instrument("X", cash_unit=1e-4)
    assert ex.cash_unit == 1e-6 and ex.instruments == []


def test_amend_up_needs_initial_margin():
    ex = liqsim.Exchange(risk=liqsim.RiskConfig())
    ex.add_instrument("BTC")
    ex.add_accounts(2)
    ex.deposit(0, 100.0)
    ex.deposit(1, 1e9)
    ex.drain_events()
    ex.submit(0, 0, "buy", 10000.0, 10.0)  # $100k of notional on $100: rejected
    assert ex.drain_events()["code"].tolist() == [Reason.INSUFFICIENT_MARGIN]
    oid = ex.submit(0, 0, "buy", 10000.0, 0.001)  # $10: fine
    ex.amend(oid, qty=10.0)
    ev = ex.drain_events()
    assert ev["type"].tolist() == [EventType.ACCEPT, EventType.AMEND_REJECT]
    assert ev["code"][-1] == Reason.INSUFFICIENT_MARGIN
    assert ex.order(oid)["leaves"] == 1  # lots: 0.001 BTC
    ex.amend(oid, qty=0.002)  # $20 of notional still fits $100
    assert ex.drain_events()["type"].tolist() == [EventType.AMEND]
    assert ex.order(oid)["leaves"] == 2
    ex.amend(oid, price=9000.0, qty=0.002)  # a new price: checked as a replacement, fits
    assert ex.drain_events()["type"].tolist() == [EventType.AMEND]


# -- simulation options ------------------------------------------------------------------------
def test_simulation_event_mask_and_chunk():
    sc = liqsim.scenarios.get("smoke")
    for bad in ([0], [99], [-1], "fill", 3, [True]):
        with pytest.raises(liqsim.InvalidConfigError, match="event_mask"):
            liqsim.Simulation(sc, event_mask=bad)
    sim = liqsim.Simulation(sc, event_mask=[EventType.FILL, EventType.FILL])
    sim.run(until=30.0)
    types = set(sim.events()["type"].tolist())
    assert types == {int(EventType.FILL)}
    for bad in (0, -5, 1e-9, math.nan, "x"):
        with pytest.raises(liqsim.InvalidConfigError, match="chunk"):
            sim.run(until=40.0, chunk=bad)
    assert sim.now == 30.0


# -- harness and command line --------------------------------------------------------------------
class _Bar:
    """Records the progress updates a run makes."""

    def __init__(self) -> None:
        self.updates: list[int] = []

    def update(self, n: int = 1) -> None:
        self.updates.append(n)


def test_process_pool_progress_moves_as_runs_finish():
    import time

    from liqsim.harness import _execute_local

    bar = _Bar()
    tasks = [(time.sleep, (0.05,)), (time.sleep, (0.05,)), (time.sleep, (1.0,))]
    _execute_local(tasks, 2, bar)
    # The two short runs are counted before the long one ends, not all three at the end.
    assert sum(bar.updates) == 3 and len(bar.updates) >= 2


def test_cli_bad_out_dir_fails_before_running(tmp_path):
    from click.testing import CliRunner

    from liqsim.cli import main

    blocker = tmp_path / "afile"
    blocker.write_text("")
    runner = CliRunner()
    for args in (["run", "smoke", "--out", str(blocker / "sub")],
                 ["compare", "smoke", "--policies", "none", "--seeds", "1", "--out", str(blocker / "sub")]):
        res = runner.invoke(main, args)
        assert res.exit_code == 2, res.output
        assert "cannot write to" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["compare", "smoke", "--policies", "none", "--seeds", "1",
                               "--dask", "notanaddress", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "cannot connect to the Dask scheduler" in res.output


@pytest.mark.parametrize("make, words", [
    (lambda: liqsim.RiskConfig(partial_threshold=1e30), "partial_threshold .* out of range"),
    (lambda: liqsim.RiskConfig(partial_cooldown=1e12), "partial_cooldown"),
    (lambda: liqsim.RiskConfig(unwind_interval=1e12), "unwind_interval"),
    (lambda: liqsim.RiskConfig(max_per_step=2**70), "max_per_step"),
    (lambda: liqsim.RiskConfig(max_per_step=True), "max_per_step"),
    (lambda: liqsim.RiskConfig(adl_seed=True), "adl_seed"),
    (lambda: liqsim.RiskConfig(adl_at_mark="no"), "adl_at_mark"),
    (lambda: liqsim.RiskConfig(vault_trigger="0.5"), "vault_trigger"),
    (lambda: liqsim.Breakers((liqsim.LULD(halt=1e12),)), "luld.halt"),
    (lambda: liqsim.Breakers((liqsim.Velocity(max_move=1e30),)), "velocity.max_move"),
    (lambda: liqsim.Breakers((liqsim.Velocity(max_move="3"),)), "velocity.max_move"),
    (lambda: liqsim.Breakers((liqsim.LiqThrottle(global_cap="5"),)), "global_cap"),
    (lambda: liqsim.Breakers(liqsim.LULD()), "policies must be a tuple"),
    (lambda: liqsim.Breakers.of("liq_throttle").scaled(1e300), "out of range"),
    (lambda: liqsim.Breakers(seed=True), "seed"),
    (lambda: liqsim.Breakers((liqsim.MarketWide(reference=0.4),)), "at least one tick"),
    (lambda: liqsim.scenarios.get("smoke").replace(taker_fee=-1), "taker_fee"),
    (lambda: liqsim.scenarios.get("smoke").replace(tiers=5), "tiers"),
    (lambda: liqsim.scenarios.get("smoke").replace(tiers=((1e20, 0.01),)), "out of range"),
    (lambda: liqsim.scenarios.get("smoke").replace(funding="no"), "funding"),
    (lambda: liqsim.scenarios.get("smoke").replace(shock_start_s="5"), "shock_start_s"),
    (lambda: liqsim.scenarios.get("smoke").replace(mark_source="x"), "mark_source"),
])
def test_bad_configuration_values(make, words):
    with pytest.raises(liqsim.InvalidConfigError, match=words):
        make()


def test_python_side_indexing_takes_integer_accounts_only(ex):
    # Found by tests/test_bad_input_fuzz.py: numpy float scalars convert to C++ ints silently,
    # and 1.5 then indexed the position table.
    ex.submit(0, 1, "sell", 100, 1)
    ex.submit(0, 2, "buy", 100, 1)
    for bad in (np.float32(1.5), 1.0, "1", True):
        for call in (ex.entry_price, ex.realized_pnl):
            with pytest.raises(liqsim.InvalidOrderError, match="account must be an integer"):
                call(bad, 0)
    assert ex.entry_price(np.int64(2), 0) == 100.0


def test_lean_path_takes_integers_only(ex):
    # submit_ticks/cancel/amend go straight to the engine: numpy integers work, numpy floats
    # and None are refused instead of truncated or read as False.
    before = state(ex)
    for kw, words in ((dict(account=np.float32(1.5)), "account must be an integer"),
                      (dict(qty=np.float32(2.0)), "qty_lots must be an integer"),
                      (dict(reduce_only=None), "reduce_only must be True or False")):
        args = dict(instrument=0, account=0, side=1, price=100, qty=1)
        args.update(kw)
        with pytest.raises(liqsim.InvalidOrderError, match=words):
            ex.submit_ticks(**args)
    with pytest.raises(liqsim.InvalidOrderError, match="order_id must be an integer"):
        ex.cancel(np.float32(1.0))
    assert state(ex) == before
    oid = ex.submit_ticks(np.int32(0), np.int64(1), np.int8(1), np.int64(100), np.uint16(3))
    assert ex.order(oid)["leaves"] == 3

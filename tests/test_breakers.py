"""Circuit breakers at the exchange level: hand-built price paths that must trigger each policy
at the right time and for the right length (and not just below the threshold), halts with the
reopening call auction, liquidation controls, and conservation through it all.
Units: 1 tick = 1 USD, 1 lot = 0.001 BTC, cash unit 0.001 USD; S = one second in ns."""

from __future__ import annotations

import numpy as np
import pytest

import liqsim
from liqsim import (DCB, LULD, Breakers, EventType, HaltReason, LiqPause, LiqThrottle, MarketWide,
                    PriceBand, Reason, SystemAccount, TradingState, Velocity)

S = 1_000_000_000


def make(breakers: Breakers, risk: liqsim.RiskConfig | None = None, **inst) -> liqsim.Exchange:
    ex = liqsim.Exchange(cash_unit=0.001, risk=risk)
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, breakers=breakers, **inst)
    ids = ex.add_accounts(4)
    ex.deposit_batch(ids, 100_000_000)
    return ex


def trade(ex: liqsim.Exchange, price: float, ts: int, qty: float = 0.001) -> None:
    ex.submit(0, 0, "sell", price, qty, ts=ts)
    ex.submit(0, 1, "buy", price, qty, ts=ts)


def states(ev: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    st = ev[ev["type"] == EventType.STATE]
    return [(int(e["side"]), int(e["code"]), int(e["price"]), int(e["qty"]), int(e["leaves"])) for e in st]


def test_dcb_halts_at_the_band_not_one_tick_inside_and_reopens_with_an_auction():
    ex = make(Breakers((DCB(),)))
    trade(ex, 100_000, 1 * S)
    trade(ex, 96_501, 2 * S)  # above 100,000 x (1 - 3.5%) = 96,500: no halt
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    ex.drain_events()
    trade(ex, 96_500, 3 * S)
    assert states(ex.drain_events()) == [(1, HaltReason.DCB, 96_500, 0, 3 * S + 120 * S)]
    assert ex.trading_state(0) == TradingState.HALTED

    # During the halt: IOCs are refused, limits rest unmatched (the book may cross), cancels work.
    ex.submit(0, 2, "buy", 97_000, 0.001, kind="ioc", order_id=100, ts=10 * S)
    ex.submit(0, 2, "buy", 97_000, 0.001, order_id=101, ts=10 * S)
    ex.submit(0, 3, "sell", 96_000, 0.001, order_id=102, ts=11 * S)
    ex.submit(0, 3, "sell", 95_000, 0.001, order_id=103, ts=11 * S)
    ex.cancel(103, ts=12 * S)
    ev = ex.drain_events()
    assert ev["code"][ev["type"] == EventType.REJECT].tolist() == [Reason.HALTED]
    assert ev[ev["type"] == EventType.FILL].size == 0
    assert ex.bbo(0) == (97_000, 1, 96_000, 1)  # crossed while halted

    ex.advance(123 * S - 1)  # one ns before the end of the 2-minute halt
    assert ex.trading_state(0) == TradingState.HALTED
    ex.advance(123 * S)
    ev = ex.drain_events()
    # Candidates 96,000 and 97,000 both execute 1 lot with no imbalance and are 500 from the
    # reference (last trade 96,500): the lower price wins.
    fills = ev[ev["type"] == EventType.FILL]
    assert [(int(f["order_id"]), int(f["other_order_id"]), int(f["price"]), int(f["qty"]), int(f["code"]))
            for f in fills] == [(101, 102, 96_000, 1, 1)]
    assert states(ev) == [(0, 0, 96_000, 1, 0)]
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    # The lookback restarted at the reopen price: 96,000 x 0.965 = 92,640 is the new floor.
    trade(ex, 92_641, 124 * S)
    assert ex.trading_state(0) == TradingState.CONTINUOUS


def test_luld_slides_prices_into_the_band_and_halts_after_15_s_in_limit_state():
    ex = make(Breakers((LULD(),)))
    trade(ex, 100_000, 1 * S)  # first trade: reference 100,000, bands 95,000..105,000
    ex.drain_events()
    ex.submit(0, 2, "sell", 90_000, 0.001, order_id=50, ts=2 * S)
    acc = ex.drain_events()
    assert acc["price"][acc["type"] == EventType.ACCEPT].tolist() == [95_000]  # slid to the band
    # The offer sits at the lower band: limit state since 2 s.
    ex.advance(17 * S - 1)
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    ex.advance(17 * S)
    # Halted at the band price for 5 minutes.
    assert states(ex.drain_events()) == [(1, HaltReason.LULD, 95_000, 0, 17 * S + 300 * S)]
    assert ex.trading_state(0) == TradingState.HALTED


def test_price_band_rejects_beyond_the_mark_and_admits_at_the_boundary():
    ex = make(Breakers((PriceBand(0.05),)))
    trade(ex, 100_000, 1 * S)
    ex.drain_events()
    ex.submit(0, 2, "buy", 105_001, 0.001, order_id=10, ts=2 * S)
    ex.submit(0, 2, "buy", 105_000, 0.001, order_id=11, ts=2 * S)
    ex.submit(0, 3, "sell", 94_999, 0.001, order_id=12, ts=2 * S)
    ex.submit(0, 3, "sell", 95_000, 0.001, order_id=13, ts=2 * S)
    ev = ex.drain_events()
    rej = ev[ev["type"] == EventType.REJECT]
    assert rej["order_id"].tolist() == [10, 12] and set(rej["code"].tolist()) == {Reason.PRICE_BAND}


def test_market_wide_level_3_closes_for_the_rest_of_the_run():
    ex = make(Breakers((MarketWide(reference=100_000),)))
    trade(ex, 93_001, 1 * S)  # -6.999%: nothing
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    ex.drain_events()
    trade(ex, 80_000, 2 * S)  # -20% at once: level 3 only
    assert states(ex.drain_events()) == [(2, HaltReason.MARKET_WIDE_3, 80_000, 0, -1)]
    ex.advance(10**6 * S)
    assert ex.trading_state(0) == TradingState.CLOSED
    ex.submit(0, 2, "buy", 80_000, 0.001, order_id=99, ts=10**6 * S)
    ev = ex.drain_events()
    assert ev["code"][ev["type"] == EventType.REJECT].tolist() == [Reason.HALTED]


def test_velocity_pauses_when_the_range_in_the_window_exceeds_max_move():
    # max - min of trade prices within 1 s above 300 USD pauses for 5 s (Python config -> engine).
    ex = make(Breakers((Velocity(max_move=300.0, window=1.0, pause=5.0),)))
    trade(ex, 100_000, 1 * S)
    trade(ex, 100_300, 1 * S + S // 2)  # range exactly 300: not more
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    trade(ex, 100_000, 3 * S)  # 1.5 s later: 100,300 left the window, range 0
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    ex.drain_events()
    trade(ex, 99_699, 3 * S + S // 4)  # range 301 within 0.25 s
    assert states(ex.drain_events()) == [(1, HaltReason.VELOCITY, 99_699, 0, 3 * S + S // 4 + 5 * S)]
    ex.advance(8 * S + S // 4 - 1)
    assert ex.trading_state(0) == TradingState.HALTED
    ex.advance(8 * S + S // 4)
    assert ex.trading_state(0) == TradingState.CONTINUOUS


def test_market_wide_level_1_halts_for_its_configured_length_once():
    # Level 1 at -7% of the reference: a 60 s halt (configured, not the default 15 min), and
    # only once: a second -7% print after the reopening does not halt again.
    ex = make(Breakers((MarketWide(reference=100_000, halts=(60.0, 120.0)),)))
    trade(ex, 93_001, 1 * S)  # -6.999%: nothing
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    ex.drain_events()
    trade(ex, 93_000, 2 * S)  # -7.000%
    assert states(ex.drain_events()) == [(1, HaltReason.MARKET_WIDE_1, 93_000, 0, 62 * S)]
    ex.advance(62 * S - 1)
    assert ex.trading_state(0) == TradingState.HALTED
    ex.advance(62 * S)
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    ex.drain_events()
    trade(ex, 92_000, 63 * S)
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    trade(ex, 87_000, 64 * S)  # -13%: level 2, 120 s
    assert states(ex.drain_events()) == [(1, HaltReason.MARKET_WIDE_2, 87_000, 0, 184 * S)]


def leveraged_long(risk_breakers: Breakers, **inst):
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig())
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, breakers=risk_breakers,
                      mark_source="index", **inst)
    mm, a, b = ex.add_account(), ex.add_account(), ex.add_account()
    ex.deposit(mm, 10_000_000)
    ex.deposit(a, 5_000)
    ex.deposit(b, 5_000)
    ex.fund_insurance(1_000_000)
    ex.set_index(0, 50_000, ts=0)
    ex.submit(0, mm, "sell", 50_000, 1.0, ts=0)
    ex.submit(0, a, "buy", 50_000, 0.5, ts=0)  # bankrupt at 40,000
    ex.submit(0, b, "buy", 50_000, 0.5, ts=0)
    ex.submit(0, mm, "buy", 39_000, 2.0, ts=0)  # liquidity below
    ex.drain_events()
    return ex, mm, a, b


def test_liq_pause_defers_liquidations_until_the_reopen():
    ex, mm, a, b = leveraged_long(Breakers((LiqPause(),)))
    ex.halt(0, 60, ts=1 * S)
    ex.set_index(0, 40_100, ts=2 * S)  # mark follows the index during the halt: a is under water
    assert ex.account(a).liquidatable
    ev = ex.drain_events()
    assert ev[ev["type"] == EventType.LIQUIDATION].size == 0
    ex.advance(61 * S)
    ev = ex.drain_events()
    kinds = ev["type"].tolist()
    assert EventType.STATE in kinds and EventType.LIQUIDATION in kinds
    assert kinds.index(EventType.STATE) < kinds.index(EventType.LIQUIDATION)  # after the reopen
    assert ex.position(a, 0) == 0 and ex.ledger_total() == 0


def test_without_liq_pause_liquidations_go_straight_to_the_backstop_during_a_halt():
    ex, mm, a, b = leveraged_long(Breakers())
    ex.halt(0, 60, ts=1 * S)
    ex.set_index(0, 40_100, ts=2 * S)
    ev = ex.drain_events()
    take = ev[ev["type"] == EventType.TAKEOVER]
    assert set(take["account"].tolist()) == {a, b}  # the halted book could not take the IOCs
    assert ex.ledger_total() == 0


def test_frozen_mark_ignores_the_index_while_halted():
    ex, mm, a, b = leveraged_long(Breakers(halt_mark="frozen"))
    ex.halt(0, 60, ts=1 * S)
    ex.set_index(0, 40_100, ts=2 * S)
    assert ex.mark(0) == 50_000 and not ex.account(a).liquidatable
    ex.advance(61 * S)  # reopen: the mark catches up with the index and liquidates
    assert ex.mark(0) == 40_100 and ex.position(a, 0) == 0


def test_last_trade_mark_follows_trades_and_takes_the_reopening_auction_price():
    # Mark = last trade: it follows every trade, holds while the halted book trades nothing
    # (frozen mode) and takes the reopening auction's price at the reopen.
    ex = make(Breakers(halt_mark="frozen"))
    assert ex.mark(0) is None
    trade(ex, 50_000, 1 * S)
    assert ex.mark(0) == 50_000
    trade(ex, 50_010, 1 * S)
    assert ex.mark(0) == 50_010
    ex.halt(0, 60, ts=2 * S)
    ex.submit(0, 2, "sell", 49_000, 0.002, ts=3 * S)  # the book crosses, nothing trades yet
    ex.submit(0, 3, "buy", 49_500, 0.001, ts=3 * S)
    assert ex.mark(0) == 50_010
    ex.drain_events()
    ex.advance(63 * S)  # reopen: the auction prints and the mark takes its price
    assert ex.trading_state(0) == TradingState.CONTINUOUS
    ev = ex.drain_events()
    auction = ev[(ev["type"] == EventType.FILL) & (ev["code"] == 1)]
    assert auction["price"].tolist() == [49_500] and ex.mark(0) == 49_500


def test_auction_fill_charges_both_sides_the_maker_fee():
    # No aggressor in the reopening auction: buyer and seller both pay the maker fee, rounded
    # up per side; a continuous fill before it charges taker and maker fees as usual.
    ex = make(Breakers(), taker_fee=0.0005, maker_fee=0.0002)
    trade(ex, 49_000, 1 * S)  # the auction's reference price
    before = ex.balances().copy()
    ex.halt(0, 60, ts=1 * S)
    ex.submit(0, 2, "sell", 49_000, 0.001, ts=2 * S)
    ex.submit(0, 3, "buy", 49_500, 0.001, ts=2 * S)
    ex.advance(61 * S)  # uncross at 49,000 (any price crosses; the reference is 49,000): 49 USD
    bal = ex.balances()
    fee = 10  # ceil(49,000 cash units x 200 / 1e6) = ceil(9.8)
    assert bal[3] - before[3] == -49_000 - fee
    assert bal[2] - before[2] == 49_000 - fee
    assert bal[int(SystemAccount.FEE_POOL)] - before[int(SystemAccount.FEE_POOL)] == 2 * fee
    trade(ex, 49_500, 62 * S)  # continuous: seller 0 is the maker, buyer 1 the taker
    fee, taker_fee = 10, 25  # ceil(49,500 x 200 / 1e6) = ceil(9.9), ceil(49,500 x 500 / 1e6)
    assert ex.balances()[int(SystemAccount.FEE_POOL)] - bal[int(SystemAccount.FEE_POOL)] == taker_fee + fee
    assert ex.balances().sum() == 0


def test_liq_throttle_spreads_liquidations_over_windows():
    # Each long is 0.5 BTC (~20,050 USD at the mark): a 30,000 USD cap per minute lets one through.
    ex, mm, a, b = leveraged_long(Breakers((LiqThrottle(global_cap=30_000, window=60),)))
    ex.set_index(0, 40_100, ts=1 * S)
    liq = lambda ev: ev["account"][ev["type"] == EventType.LIQUIDATION].tolist()  # noqa: E731
    first = liq(ex.drain_events())
    assert len(first) == 1
    ex.advance(59 * S)
    assert liq(ex.drain_events()) == []
    ex.advance(60 * S)
    assert liq(ex.drain_events()) == [({a, b} - set(first)).pop()]
    assert ex.ledger_total() == 0


def test_money_and_positions_are_conserved_through_halts_and_auctions():
    ex = make(Breakers((DCB(band=0.01, halt=5),)), risk=None)
    rng = np.random.default_rng(5)
    ts = 0
    for k in range(400):
        ts += int(rng.integers(0, 2 * S))
        acct = int(rng.integers(0, 4))
        side = "buy" if rng.random() < 0.5 else "sell"
        price = float(100_000 + rng.integers(-3_000, 3_000))
        kind = "limit" if rng.random() < 0.7 else "ioc"
        if ex.trading_state(0) != TradingState.CONTINUOUS:
            kind = "limit"
        ex.submit(0, acct, side, price, 0.001 * int(rng.integers(1, 5)), kind=kind, ts=ts)
        assert ex.ledger_total() == 0 and ex.positions(0).sum() == 0
    ev = ex.drain_events()
    st = ev[ev["type"] == EventType.STATE]
    assert (st["side"] == 1).sum() >= 3 and (st["side"] == 0).sum() >= 3  # several halts/reopens
    assert (ev[ev["type"] == EventType.FILL]["code"] == 1).sum() >= 1     # auction fills happened


@pytest.mark.parametrize("build, words", [
    (lambda: Breakers((DCB(band=-0.01),)), "dcb.band"),
    (lambda: Breakers((LULD(limit_state=0),)), "luld.limit_state"),
    (lambda: Breakers((LiqThrottle(global_cap=0, account_cap=0),)), "liq_throttle"),
    (lambda: Breakers((MarketWide(levels=(0.2, 0.1, 0.3)),)), "level"),
    (lambda: Breakers.of("luld", "circuit_magic"), "unknown breaker policy"),
    (lambda: Breakers(halt_mark="melted"), "halt_mark"),
    (lambda: Breakers((DCB(), DCB())), "once"),
])
def test_bad_breaker_parameters(build, words):
    with pytest.raises(liqsim.InvalidConfigError, match=words):
        build()

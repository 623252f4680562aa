"""Clearing with hand-computed figures: settlement and fees, margin tiers, liquidation and
bankruptcy prices, liquidation with surplus, insurance-fund takeover, and ADL under each rule.

Units: 1 tick = 1 USD, 1 lot = 0.001 BTC, 1 cash unit = 0.001 USD, so notional in cash units is
ticks x lots and `ex.to_usd` divides by 1000.
"""

from __future__ import annotations

import pytest

import liqsim
from conftest import setup_liquidation
from liqsim import EventType, SystemAccount

IF = int(SystemAccount.INSURANCE_FUND)


def make(risk: liqsim.RiskConfig | None = None, **inst) -> liqsim.Exchange:
    ex = liqsim.Exchange(cash_unit=0.001, risk=risk)
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, **inst)
    return ex


def events_of(ex: liqsim.Exchange, kind: EventType):
    ev = ex.drain_events()
    return ev[ev["type"] == kind]


def test_fill_moves_cash_positions_and_fees_exactly():
    ex = make(taker_fee=0.0005, maker_fee=0.0002)
    a, b = ex.add_account(), ex.add_account()
    ex.deposit(a, 100_000)
    ex.deposit(b, 100_000)
    ex.submit(0, a, "sell", 50_000, 1.0)
    ex.submit(0, b, "buy", 50_000, 1.0)
    # notional 50,000 USD; taker fee 25, maker fee 10
    assert ex.account(a).cash == pytest.approx(100_000 + 50_000 - 10)
    assert ex.account(b).cash == pytest.approx(100_000 - 50_000 - 25)
    assert ex.to_usd(ex.balances()[int(SystemAccount.FEE_POOL)]) == pytest.approx(35)
    assert ex.balances().sum() == 0
    assert (ex.position(a, 0), ex.position(b, 0)) == (-1000, 1000)
    assert ex.entry_price(b, 0) == pytest.approx(50_000)
    assert ex.account(b).equity == pytest.approx(100_000 - 25)


def test_maker_rebate_is_paid_from_the_fee_pool_rounded_down():
    ex = make(taker_fee=0.0005, maker_fee=-0.0001)
    a, b = ex.add_account(), ex.add_account()
    ex.deposit(a, 1_000)
    ex.deposit(b, 1_000)
    ex.submit(0, a, "sell", 33_333, 0.003)  # notional 99.999 USD = 99,999 cash units
    ex.submit(0, b, "buy", 33_333, 0.003)
    bal = ex.balances()
    # taker pays ceil(99,999 * 500 / 1e6) = 50 units; maker gets floor(99,999 * 100 / 1e6) = 9
    assert bal[b] == 1_000_000 - 99_999 - 50
    assert bal[a] == 1_000_000 + 99_999 + 9
    assert bal[int(SystemAccount.FEE_POOL)] == 41
    assert bal.sum() == 0


def test_realized_pnl_and_entry_price_follow_average_cost():
    ex = make()
    a, b = ex.add_account(), ex.add_account()
    ex.deposit(a, 1e6)
    ex.deposit(b, 1e6)
    ex.submit(0, a, "sell", 50_000, 1.0)
    ex.submit(0, b, "buy", 50_000, 1.0)
    ex.submit(0, a, "sell", 52_000, 1.0)
    ex.submit(0, b, "buy", 52_000, 1.0)
    assert ex.entry_price(b, 0) == pytest.approx(51_000)
    ex.submit(0, a, "buy", 53_000, 0.5)
    ex.submit(0, b, "sell", 53_000, 0.5)
    assert ex.realized_pnl(b, 0) == pytest.approx(0.5 * (53_000 - 51_000))
    assert ex.entry_price(b, 0) == pytest.approx(51_000)


def test_maintenance_margin_uses_the_cumulative_amount():
    ex = make()
    mm = lambda usd: ex.to_usd(ex._engine.maintenance_for(0, ex.to_cash(usd)))  # noqa: E731
    assert mm(50_000) == pytest.approx(200)               # 0.4%, cum 0
    assert mm(100_000) == pytest.approx(100_000 * 0.005 - 50)
    assert mm(5_000_000) == pytest.approx(108_700)        # 2.5% - 16,300
    assert mm(400_000_000) == pytest.approx(400e6 * 0.5 - 100_016_300)
    cums = [round(ex.to_usd(t[2])) for t in ex._engine.tier_table(0)]
    assert cums == [0, 50, 1_300, 16_300, 266_300, 1_266_300, 2_516_300, 5_016_300,
                    25_016_300, 100_016_300]


def long_position(ex, wallet: float, qty: float, price: float) -> int:
    """An account holding `qty` BTC long bought at `price` with `wallet` USD of collateral."""
    seller, acct = ex.add_account(), ex.add_account()
    ex.deposit(seller, 10_000_000)
    ex.deposit(acct, wallet)
    ex.submit(0, seller, "sell", price, qty)
    ex.submit(0, acct, "buy", price, qty)
    return acct


def test_liquidation_and_bankruptcy_price_single_tier():
    ex = make(liqsim.RiskConfig())
    a = long_position(ex, 10_000, 1.0, 50_000)
    # Binance: LP = (WB + cum - Q*EP) / (Q*MMR - Q) = (10,000 - 50,000) / (0.004 - 1)
    assert ex.liquidation_price(a, 0) == pytest.approx(40_000 / 0.996)
    assert ex.bankruptcy_price(a, 0) == pytest.approx(40_000)


def test_liquidation_price_is_re_solved_when_it_lands_in_another_bracket():
    ex = make(liqsim.RiskConfig())
    a = long_position(ex, 15_000, 1.1, 50_000)  # notional 55k: bracket 2 (0.5%, cum 50)
    # bracket 2 gives (15,000 + 50 - 55,000) / (1.1*0.005 - 1.1) = 36,500.7 -> notional 40,150,
    # which is bracket 1: re-solve with (0.4%, 0): (15,000 - 55,000) / (1.1*0.004 - 1.1)
    assert ex.liquidation_price(a, 0) == pytest.approx(40_000 / (1.1 * 0.996))


def test_short_liquidation_price_and_cross_margin_with_two_instruments():
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig())
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001)
    ex.add_instrument("ETH", tick_size=1.0, lot_size=0.001)
    mm, a = ex.add_account(), ex.add_account()
    ex.deposit(mm, 10_000_000)
    ex.deposit(a, 10_000)
    ex.submit(0, mm, "buy", 50_000, 1.0)
    ex.submit(0, a, "sell", 50_000, 1.0)
    # short: LP = (WB + cum + Q*EP) / (Q*MMR + Q); bracket 1 gives 60,000 / 1.004 = 59,761,
    # a 59.8k notional, so it is re-solved in bracket 2: (60,000 + 50) / 1.005
    assert ex.liquidation_price(a, 0) == pytest.approx(60_050 / 1.005)
    ex.submit(1, mm, "sell", 2_000, 5.0)
    ex.submit(1, a, "buy", 2_000, 5.0)
    # Cross: the ETH position (10,000 notional, MM 40, no PnL yet) joins the wallet:
    # LP = (WB - TMM1 + UPNL1 + cum + Q*EP) / (Q*MMR + Q) = (10,000 - 40 + 50 + 50,000) / 1.005
    assert ex.liquidation_price(a, 0) == pytest.approx(60_010 / 1.005)


def test_liquidation_in_the_book_leaves_surplus_to_the_fund():
    ex, (L, W, S1, S2, M) = setup_liquidation(insurance=1_000, bid=40_100)
    ex.set_mark(0, 40_150)  # equity 75 < maintenance 0.5 * 40,150 * 0.4% = 80.3
    ev = ex.drain_events()
    liq = ev[ev["type"] == EventType.LIQUIDATION]
    assert len(liq) == 1 and liq["account"][0] == L
    assert liq["cash"][0] < liq["other_leaves"][0]  # below maintenance when triggered
    fills = ev[ev["type"] == EventType.FILL]
    assert fills["price"].tolist() == [40_100] and fills["qty"].tolist() == [500]
    # Sold at 40,100 > bankruptcy 40,000: surplus 50 USD; clearance fee 0.5% x 20,050 = 100.25
    # caps at the surplus, so the fund gets all 50 and L ends at exactly zero.
    assert ex.position(L, 0) == 0 and ex.account(L).cash == 0
    assert ex.insurance_fund == pytest.approx(1_050)
    assert ex.balances().sum() == 0


def test_insurance_fund_takes_over_below_bankruptcy():
    ex, (L, *_rest) = setup_liquidation(insurance=5_000, bid=38_500)
    ex.set_mark(0, 39_000)  # L equity -500: bankrupt; the IOC at 40,000 finds no bid
    ev = ex.drain_events()
    take = ev[ev["type"] == EventType.TAKEOVER]
    assert (take["account"][0], take["other_account"][0], take["price"][0], take["qty"][0]) == (L, IF, 40_000, 500)
    # The fund bought 0.5 BTC at 40,000 with the mark at 39,000: a 500 USD loss.
    assert ex.insurance_fund == pytest.approx(4_500)
    assert ex.position(IF, 0) == 500 and ex.position(L, 0) == 0
    assert ex.account(L).cash == 0
    assert ex.bad_debt == 0
    assert ex.balances().sum() == 0


def test_backstop_unwind_fills_are_not_counted_as_liquidations_again():
    """The fund sells off the taken-over long through the book: those fills carry code
    BACKSTOP_UNWIND, and the liquidation metrics count the position once (the TAKEOVER)."""
    from liqsim import Reason
    from liqsim.metrics import RunContext, liquidation_notional

    ex, (L, W, S1, S2, M) = setup_liquidation(insurance=5_000, bid=38_500)
    ex.set_mark(0, 39_000)  # L bankrupt: taken over by the fund at 40,000 (as above)
    ex.submit(0, M, "buy", 38_700, 0.5)  # within 1% unwind slippage of the 39,000 mark
    ex.advance(2_000_000_000)  # 2 s: past the 1 s unwind interval, the fund unwinds
    ev = ex.drain_events()
    fund_fills = ev[(ev["type"] == EventType.FILL) & (ev["account"] == IF)]
    assert fund_fills["qty"].sum() == 500 and set(fund_fills["price"]) == {38_700}
    assert set(fund_fills["code"]) == {int(Reason.BACKSTOP_UNWIND)}
    assert ex.position(IF, 0) == 0
    # 0.5 BTC taken over at 40,000 = 20,000 USD, not 20,000 + 19,350 from the unwind.
    ctx = RunContext(cash_unit=0.001, perp=0, cash_per_tick_lot=1, shock_start=0.0,
                     exogenous_notional=0.0, duration=10.0)
    assert liquidation_notional(ev, ctx) == pytest.approx(20_000)


@pytest.mark.parametrize("rule, expected", [
    # S1: PnL% 22%, equity 36,600, notional 23,400; S2: PnL% 22%, equity 9,400, notional 15,600
    ("pnl_leverage", {"S2": 400, "S1": 100}),       # 0.22 x 62.4/9,400 > 0.22 x 93.6/36,600
    ("bitmex", {"S2": 400, "S1": 100}),             # 0.22 x 1.66 > 0.22 x 0.64
    ("leverage_draining", {"S2": 400, "S1": 100}),  # leverage 1.66 > 0.64
    ("pro_rata", {"S1": 300, "S2": 200}),           # 500 x 600/1000, 500 x 400/1000
    ("capped_pro_rata", {"S1": 250, "S2": 250}),    # cap c: min(600, c) + min(400, c) = 500
])
def test_fund_exhausted_triggers_adl_with_exact_counterparties(rule, expected):
    from liqsim.metrics import RunContext, bad_debt

    ex, (L, W, S1, S2, M) = setup_liquidation(insurance=400, bid=None, adl_rule=rule)
    ex.set_mark(0, 39_000)  # loss at takeover would be 500 > fund 400: deleverage instead
    ev = ex.drain_events()
    adl = ev[ev["type"] == EventType.ADL_FILL]
    names = {S1: "S1", S2: "S2"}
    got = {names[int(r["other_account"])]: int(r["qty"]) for r in adl}
    assert got == expected
    assert set(adl["price"].tolist()) == {40_000} and set(adl["account"].tolist()) == {L}
    assert ev[ev["type"] == EventType.TAKEOVER].size == 0
    # The counterparties closed at the bankruptcy price: L ends at exactly zero, and the 500 USD
    # L was under water is the bad debt ADL covered; the fund is untouched.
    assert ex.position(L, 0) == 0 and ex.account(L).cash == 0
    assert ex.bad_debt == pytest.approx(500)
    ctx = RunContext(cash_unit=0.001, perp=0, cash_per_tick_lot=1, shock_start=0.0,
                     exogenous_notional=0.0, duration=10.0)
    assert bad_debt(ev, ctx) == pytest.approx(500)  # the run metric: all of it covered by ADL
    assert ex.insurance_fund == pytest.approx(400)
    assert ex.position(S1, 0) == -600 + expected["S1"] and ex.position(S2, 0) == -400 + expected["S2"]
    assert ex.balances().sum() == 0
    assert sum(ex.positions(0)) + ex.position(IF, 0) == 0


def test_loss_beyond_the_fund_is_socialized_and_counted_as_bad_debt():
    """L closes its own long far under the mark (a reduce-only sell skips the margin check):
    it ends flat at -2,500 USD. The fund (1,000) pays it and goes 1,500 below zero; the 1,500
    are socialized over the traders with equity, and the run metric counts exactly those."""
    from liqsim import Reason
    from liqsim.metrics import RunContext, bad_debt

    ex, (L, W, S1, S2, M) = setup_liquidation(insurance=1_000, bid=None)
    ex.submit(0, M, "buy", 35_000, 0.5)
    # L sells 0.5 at 35,000: realizes -7,500 on 5,000 USD -> -2,500 (bankruptcy was 40,000)
    ex.submit(0, L, "sell", 35_000, 0.5, kind="ioc", reduce_only=True)
    ev = ex.drain_events()
    assert ex.position(L, 0) == 0 and ex.account(L).cash == 0
    bd = ev[ev["type"] == EventType.BAD_DEBT]
    paid = bd[bd["code"] == 0]
    assert paid["other_account"].tolist() == [IF] and paid["cash"].tolist() == [2_500_000]
    shares = bd[bd["code"] == int(Reason.SOCIALIZED)]
    assert set(shares["account"].tolist()) == {IF} and shares["cash"].sum() == 1_500_000
    assert ex.insurance_fund == 0 and ex.balances().sum() == 0
    ctx = RunContext(cash_unit=0.001, perp=0, cash_per_tick_lot=1, shock_start=0.0,
                     exogenous_notional=0.0, duration=10.0)
    assert bad_debt(ev, ctx) == pytest.approx(1_500)
    # The exchange's own counter agrees: the 2,500 the fund paid are not bad debt, only the
    # 1,500 socialized beyond it (it used to say 4,000: both, added up).
    assert ex.bad_debt == pytest.approx(1_500)


def test_random_adl_is_seeded_and_closes_exactly_the_shortfall():
    runs = []
    for _ in range(2):
        ex, (L, W, S1, S2, M) = setup_liquidation(insurance=400, bid=None, adl_rule="random")
        ex.set_mark(0, 39_000)
        adl = events_of(ex, EventType.ADL_FILL)
        # Seed 0's draw starts the walk at S1 (candidates in account order), whose 600 lots
        # cover the 500 needed: one fill.
        assert [(int(r["other_account"]), int(r["qty"])) for r in adl] == [(S1, 500)]
        runs.append(adl.tobytes())
    assert runs[0] == runs[1]


def test_adl_lights_rank_the_queue():
    ex, (L, W, S1, S2, M) = setup_liquidation(insurance=400, bid=None)
    ex.set_mark(0, 45_000)
    lights = ex.adl_lights(0, "sell")
    assert lights[S2] > lights[S1]


def test_initial_margin_pre_check_rejects_and_reducing_orders_pass():
    ex = make(liqsim.RiskConfig())
    mm, a = ex.add_account(), ex.add_account()
    ex.deposit(mm, 10_000_000)
    ex.deposit(a, 1_000)
    ex.submit(0, mm, "sell", 50_000, 10.0)
    # 1,000 USD supports 125x at most on the first bracket: 125,000 notional... but bracket 2
    # (0.5% MMR -> 1% IM) applies above 50k, so 2.5 BTC = 125k needs 1,250: rejected.
    ex.submit(0, a, "buy", 50_000, 2.5, order_id=100)
    rej = events_of(ex, EventType.REJECT)
    assert rej["code"].tolist() == [liqsim.Reason.INSUFFICIENT_MARGIN]
    ex.submit(0, a, "buy", 50_000, 1.0, order_id=101)  # IM 400
    assert ex.position(a, 0) == 1000
    ex.submit(0, a, "sell", 49_000, 1.0, kind="ioc", order_id=102)  # reduces: always allowed
    assert events_of(ex, EventType.REJECT).size == 0


def test_withdrawal_beyond_free_margin_is_refused_and_changes_nothing():
    ex = make(liqsim.RiskConfig())
    a = long_position(ex, 10_000, 1.0, 50_000)
    before = ex.balances().copy()
    with pytest.raises(liqsim.InsufficientFundsError, match="free margin"):
        ex.withdraw(a, 9_700)  # equity 10,000 - IM 400 = 9,600 free
    assert (ex.balances() == before).all()
    ex.withdraw(a, 9_600)
    assert ex.account(a).equity == pytest.approx(400)


def test_funding_is_paid_between_accounts_and_conserves_cash():
    ex = make(mark_source="external")
    a, b = ex.add_account(), ex.add_account()
    ex.deposit(a, 100_000)
    ex.deposit(b, 100_000)
    ex.submit(0, a, "sell", 50_000, 0.333)
    ex.submit(0, b, "buy", 50_000, 0.333)
    ex.set_mark(0, 50_001)
    ex.apply_funding(0, 0.0001)
    fund = events_of(ex, EventType.FUNDING)
    # long pays ceil(333 x 50,001 x 100 / 1e6) = 1,666 units; short receives floor(...) = 1,665
    assert {int(r["account"]): int(r["cash"]) for r in fund} == {b: 1_666, a: -1_665}
    assert ex.balances()[int(SystemAccount.FEE_POOL)] == 1
    assert ex.balances().sum() == 0


@pytest.mark.parametrize("kwargs, words", [
    (dict(liquidation="gentle"), "liquidation"),
    (dict(adl_rule="lottery"), "adl_rule"),
    (dict(clearance_fee=-0.1), "clearance_fee"),
    (dict(partial_fraction=0.0), "partial_fraction"),
    (dict(max_per_step=-1), "max_per_step"),
    (dict(backstop="treasury"), "backstop"),
])
def test_bad_risk_config(kwargs, words):
    with pytest.raises(liqsim.InvalidConfigError, match=words):
        liqsim.RiskConfig(**kwargs)


@pytest.mark.parametrize("kwargs, words", [
    (dict(tiers=((100_000, 0.01), (50_000, 0.02))), "caps must increase"),
    (dict(tiers=((50_000, 1.5),)), "mmr"),
    (dict(tiers=((50_000, 0.02), (100_000, 0.01))), "must not decrease"),
    (dict(tiers=()), "empty"),
    (dict(taker_fee=0.0002, maker_fee=-0.0005), "maker_fee"),
    (dict(mark_source="vibes"), "mark_source"),
])
def test_bad_instrument_clearing_config(kwargs, words):
    ex = liqsim.Exchange(cash_unit=0.001)
    with pytest.raises(liqsim.InvalidConfigError, match=words):
        ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, **kwargs)
    assert ex.instruments == []


def test_adl_rule_names_reach_the_engine_unchanged():
    # Every named rule maps to its own engine rule and back (the ranking tests above cannot
    # tell pnl_leverage, bitmex and leverage_draining apart on their two counterparties).
    from liqsim.config import ADL_RULES

    seen = set()
    for rule in ADL_RULES:
        spec = liqsim.RiskConfig(adl_rule=rule).to_spec(1e-6)
        assert spec.adl_rule == rule
        seen.add(spec.adl_rule)
    assert len(seen) == len(ADL_RULES) == 6
    with pytest.raises(liqsim.InvalidConfigError, match="adl_rule"):
        liqsim.RiskConfig(adl_rule="fifo")

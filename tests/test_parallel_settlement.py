"""Large matching-only batches settle their fills on a second thread (Exchange.parallel_settlement).

The results must be exactly those of inline settlement: hand-computed balances and positions
for a small batch forced onto the thread, the same events and state as inline settlement over
random streams (hypothesis), rows before a bad row settled when the batch stops, and the cases
that must stay inline. tests/cpp/test_parallel_settlement.cpp checks the same under
ThreadSanitizer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import liqsim
from liqsim import Cmd, EventType, Kind

DEPOSIT = 10_000_000


def exchange(parallel: int | None, *, taker_fee: float = 0.001, maker_fee: float = -0.0002,
             accounts: int = 4) -> liqsim.Exchange:
    """Tick 1, lot 1, cash unit 1: a fill's notional is price x qty cash units."""
    ex = liqsim.Exchange(cash_unit=1.0)
    ex.add_instrument("X", tick_size=1.0, lot_size=1.0, taker_fee=taker_fee, maker_fee=maker_fee)
    ex.add_instrument("Y", tick_size=1.0, lot_size=1.0)
    ex.add_accounts(accounts)
    for a in range(accounts):
        ex.deposit(a, DEPOSIT)
    ex.parallel_settlement = parallel
    return ex


def state(ex: liqsim.Exchange) -> tuple:
    """Everything settlement writes: positions (qty, basis, realized), ledger, open interest;
    and the last trade and mark of each instrument (a parallel batch updates them at its end)."""
    tables = tuple(a.tobytes() for i in range(2) for a in ex._engine.position_table(i))
    prices = tuple((ex._engine.last_trade(i), ex.mark(i)) for i in range(2))
    return tables + (ex._engine.balances().tobytes(), ex._engine.open_interest(0),
                     ex._engine.open_interest(1)) + prices


def rows(*r: tuple) -> dict[str, np.ndarray]:
    """Batch columns from (cmd, order_id, account, side, kind, price, qty, reduce_only) rows."""
    cols = list(zip(*r))
    return dict(cmd=np.array(cols[0], np.uint8), order_id=np.array(cols[1], np.int64),
                account=np.array(cols[2], np.int32), side=np.array(cols[3], np.int8),
                kind=np.array(cols[4], np.uint8), price=np.array(cols[5], np.int64),
                qty=np.array(cols[6], np.int64), reduce_only=np.array(cols[7], np.uint8))


def test_forced_parallel_batch_settles_fills_fees_and_reduce_only_caps_exactly():
    ex = exchange(parallel=1)
    ex.submit_batch(**rows(
        (Cmd.NEW, 1, 0, -1, Kind.LIMIT, 1000, 10, 0),   # maker sells 10 @ 1000
        (Cmd.NEW, 2, 1, 1, Kind.IOC, 1000, 40, 0),      # taker buys 10 of 40, rest expires
        (Cmd.NEW, 3, 2, 1, Kind.LIMIT, 990, 50, 0),     # a bid for the reduce-only sell
        (Cmd.NEW, 4, 1, -1, Kind.IOC, 990, 25, 1),      # reduce-only: capped at the 10 bought
    ))
    assert ex._engine.parallel_batches == 1
    # Fill 1: 10 x 1000 = 10,000 cash. Taker fee ceil(10,000 x 0.001) = 10, maker rebate
    # floor(10,000 x 0.0002) = 2. Fill 2: 10 x 990 = 9,900; taker fee ceil(9.9) = 10, rebate
    # floor(1.98) = 1 to account 2.
    bal = ex.balances()
    assert bal[0] == DEPOSIT + 10_000 + 2
    assert bal[1] == DEPOSIT - 10_000 - 10 + 9_900 - 10
    assert bal[2] == DEPOSIT - 9_900 + 1
    assert bal[-3] == 10 - 2 + 10 - 1  # the fee pool
    assert [ex.position(a, 0) for a in range(3)] == [-10, 0, 10]
    assert ex.realized_pnl(1, 0) == pytest.approx(9_900 - 10_000)
    assert ex._engine.open_interest(0) == 10
    assert ex.ledger_total() == 0
    # The last trade (990) and the mark that follows it, set when the batch ended; Y never traded.
    assert ex._engine.last_trade(0) == 990 and ex.mark(0) == 990.0
    assert ex._engine.last_trade(1) is None and ex.mark(1) is None
    ev = ex.drain_events()
    accept4 = ev[(ev["type"] == EventType.ACCEPT) & (ev["order_id"] == 4)]
    assert accept4["qty"].tolist() == [10]  # the cap read the position the worker settled


def test_a_bad_row_stops_the_batch_with_earlier_fills_settled():
    ex = exchange(parallel=1)
    with pytest.raises(liqsim.InvalidOrderError) as err:
        ex.submit_batch(**rows(
            (Cmd.NEW, 1, 0, -1, Kind.LIMIT, 1000, 5, 0),
            (Cmd.NEW, 2, 1, 1, Kind.IOC, 1000, 5, 0),
            (Cmd.NEW, 3, 1, 1, Kind.IOC, 1000, 0, 0),   # qty 0
            (Cmd.NEW, 4, 0, -1, Kind.LIMIT, 1000, 5, 0),
        ))
    assert err.value.row == 2
    assert ex.position(1, 0) == 5 and ex.position(0, 0) == -5
    assert ex.balances()[1] == DEPOSIT - 5_000 - 5
    assert not ex._engine.order_seen(4)


def test_batches_that_must_settle_inline_do():
    r = rows((Cmd.NEW, 1, 0, -1, Kind.LIMIT, 1000, 5, 0), (Cmd.NEW, 2, 1, 1, Kind.IOC, 1000, 5, 0))
    below = exchange(parallel=3)
    below.submit_batch(**r)
    never = exchange(parallel=None)
    never.submit_batch(**r)
    masked = exchange(parallel=1)
    masked._engine.event_mask = ~(1 << int(EventType.FILL)) & 0xFFFFFFFF
    masked.submit_batch(**r)
    risky = liqsim.Exchange(cash_unit=1.0, risk=liqsim.RiskConfig())
    risky.add_instrument("X", tick_size=1.0, lot_size=1.0)
    risky.add_accounts(2)
    for a in range(2):
        risky.deposit(a, DEPOSIT)
    risky.parallel_settlement = 1
    risky.submit_batch(**r)
    assert [x._engine.parallel_batches for x in (below, never, masked, risky)] == [0, 0, 0, 0]
    assert all(x.position(1, 0) == 5 for x in (below, never, masked, risky))
    forced = exchange(parallel=2)
    forced.submit_batch(**r)
    assert forced._engine.parallel_batches == 1
    assert state(forced) == state(below)


def test_parallel_settlement_setting():
    ex = liqsim.Exchange()
    assert ex.parallel_settlement == 16384
    ex.parallel_settlement = None
    assert ex.parallel_settlement is None
    ex.parallel_settlement = 0
    assert ex.parallel_settlement == 0
    for bad in (-1, 2.5, "1", True):
        with pytest.raises(liqsim.InvalidConfigError):
            ex.parallel_settlement = bad
    assert ex.parallel_settlement == 0


ROW = st.tuples(
    st.sampled_from([Cmd.NEW] * 6 + [Cmd.CANCEL, Cmd.AMEND]),
    st.integers(0, 1),                       # instrument
    st.integers(0, 5),                       # account
    st.sampled_from([1, -1]),
    st.sampled_from([Kind.LIMIT, Kind.LIMIT, Kind.IOC, Kind.FOK, Kind.POST_ONLY, Kind.MARKET]),
    st.integers(-4, 4),                      # ticks through the mid of 100
    st.integers(1, 30),
    st.booleans() | st.just(False),          # reduce-only about a quarter of the time
    st.integers(0, 10**6),                   # which earlier order a cancel or amend names
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(st.lists(ROW, min_size=1, max_size=120), min_size=1, max_size=6),
       isolated=st.booleans())
def test_parallel_and_inline_settlement_agree(batches: list[list[tuple]], isolated: bool) -> None:
    par, inl = exchange(parallel=1, accounts=6), exchange(parallel=None, accounts=6)
    if isolated:  # account 5 trades Y from its own bucket
        for ex in (par, inl):
            ex.set_margin_mode(5, 1, "isolated")
            ex.add_margin(5, 1, 1_000_000)
    next_id = 1
    for batch in batches:
        cols: dict[str, list] = {k: [] for k in ("cmd", "instrument", "order_id", "account", "side", "kind",
                                                 "price", "qty", "reduce_only")}
        for cmd, inst, acct, side, kind, through, qty, ro, pick in batch:
            if cmd == Cmd.NEW or next_id == 1:
                oid, cmd = next_id, Cmd.NEW
                next_id += 1
            else:
                oid = 1 + pick % (next_id - 1)
            for k, v in zip(cols, (cmd, inst, oid, acct, side, kind, 100 + side * through,
                                   qty if cmd != Cmd.AMEND else qty % 5, ro)):
                cols[k].append(v)
        arrays = {k: np.asarray(v, np.uint8 if k in ("cmd", "reduce_only") else None)
                  for k, v in cols.items()}
        errors = []
        for ex in (par, inl):
            try:
                ex.submit_batch(**arrays)
                errors.append(None)
            except liqsim.LiqsimError as e:  # an amend of a done order id is fine; others too
                errors.append((type(e), getattr(e, "row", None)))
        assert errors[0] == errors[1]
        assert par.drain_events().tobytes() == inl.drain_events().tobytes()
        assert state(par) == state(inl)
        assert par.ledger_total() == 0
    assert par._engine.parallel_batches == len(batches)

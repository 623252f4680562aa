"""Hand-computed checks of the pure-Python reference matcher (liqsim.testing.reference).

The reference is the oracle the C++ engine is compared against, so it is checked on its own here
against event sequences worked out by hand from docs/matching.md. These tests do not need the
compiled engine: if `liqsim` cannot be imported, reference.py is loaded straight from its file.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from types import ModuleType

import numpy as np
import pytest


def _load_reference() -> ModuleType:
    try:
        from liqsim.testing import reference
        return reference
    except ImportError:  # no compiled engine: load the module by path, without liqsim/__init__
        path = pathlib.Path(__file__).parents[1] / "python" / "liqsim" / "testing" / "reference.py"
        spec = importlib.util.spec_from_file_location("liqsim_reference_standalone", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


ref = _load_reference()
ReferenceExchange = ref.ReferenceExchange

BUY, SELL = 1, -1
LIMIT, IOC, FOK, POST_ONLY, MARKET = 0, 1, 2, 3, 4
ACCEPT, REJECT, FILL, CANCEL, EXPIRE, AMEND, CANCEL_REJECT, AMEND_REJECT = range(1, 9)
(NONE, USER_CANCEL, SELF_TRADE, REDUCE_ONLY, POST_ONLY_WOULD_CROSS, IOC_REMAINDER,
 FOK_UNFILLABLE, MARKET_REMAINDER, NO_LIQUIDITY, TOO_LATE) = range(10)

Row = tuple[int, int, int, int, int, int, int, int, bool, int]


def new(oid: int, account: int, side: int, kind: int, price: int, qty: int, *,
        inst: int = 0, ro: bool = False, ts: int = 0) -> Row:
    """A NEW batch row."""
    return (0, inst, oid, account, side, kind, price, qty, ro, ts)


def cancel(oid: int, *, ts: int = 0) -> Row:
    """A CANCEL batch row."""
    return (1, 0, oid, 0, 0, 0, 0, 0, False, ts)


def amend(oid: int, price: int, qty: int, *, ts: int = 0) -> Row:
    """An AMEND batch row (0 keeps the current price / leaves)."""
    return (2, 0, oid, 0, 0, 0, price, qty, False, ts)


def run(ex: ReferenceExchange, *rows: Row) -> None:
    """Submit `rows` as one batch."""
    cols = list(zip(*rows))
    dtypes = (np.uint8, np.int32, np.int64, np.int32, np.int8, np.uint8, np.int64, np.int64,
              np.bool_, np.int64)
    a = [np.array(c, dtype=d) for c, d in zip(cols, dtypes)]
    ex.submit_batch(cmd=a[0], instrument=a[1], order_id=a[2], account=a[3], side=a[4],
                    kind=a[5], price=a[6], qty=a[7], reduce_only=a[8], ts=a[9])


Ev = tuple[int, ...]


def accept(oid: int, acct: int, side: int, kind: int, price: int, qty: int) -> Ev:
    return (ACCEPT, kind, oid, acct, side, price, qty, qty, 0, 0, 0)


def reject(oid: int, acct: int, side: int, reason: int, price: int, qty: int) -> Ev:
    return (REJECT, reason, oid, acct, side, price, qty, 0, 0, 0, 0)


def fill(taker: int, tacct: int, side: int, price: int, qty: int, leaves: int, maker: int,
         macct: int, mleaves: int) -> Ev:
    return (FILL, 0, taker, tacct, side, price, qty, leaves, maker, macct, mleaves)


def cancel_ev(oid: int, acct: int, side: int, reason: int, price: int, qty: int,
              leaves: int = 0) -> Ev:
    return (CANCEL, reason, oid, acct, side, price, qty, leaves, 0, 0, 0)


def expire(oid: int, acct: int, side: int, reason: int, price: int, qty: int) -> Ev:
    return (EXPIRE, reason, oid, acct, side, price, qty, 0, 0, 0, 0)


def amend_ev(oid: int, acct: int, side: int, code: int, price: int, qty: int) -> Ev:
    return (AMEND, code, oid, acct, side, price, qty, qty, 0, 0, 0)


def events(ex: ReferenceExchange, instrument: int = 0) -> list[Ev]:
    """Drain events as (type, code, order_id, account, side, price, qty, leaves,
    other_order_id, other_account, other_leaves); also checks seq, ts, instrument, cash."""
    ev = ex.drain_events()
    assert ev.dtype == ref.REF_EVENT_DTYPE
    if len(ev):
        assert np.all(np.diff(ev["seq"]) == 1)
    assert np.all(ev["cash"] == 0)
    assert np.all(ev["instrument"] == instrument)
    names = ("type", "code", "order_id", "account", "side", "price", "qty", "leaves",
             "other_order_id", "other_account", "other_leaves")
    return [tuple(int(r[n]) for n in names) for r in ev]


def make(stp: str = "none", accounts: int = 4) -> ReferenceExchange:
    ex = ReferenceExchange()
    ex.add_instrument(stp=stp, market_band_ppm=50_000)
    ex.add_accounts(accounts)
    return ex


def book(ex: ReferenceExchange, inst: int = 0) -> dict[str, list[int]]:
    return {k: v.tolist() for k, v in ex.depth(inst, 10).items()}


def test_event_dtype_layout() -> None:
    assert ref.REF_EVENT_DTYPE.itemsize == 88
    try:
        import liqsim
    except ImportError:
        return
    assert ref.REF_EVENT_DTYPE == liqsim.EVENT_DTYPE


def test_crossing_limit_sweeps_two_levels_and_rests() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 5), new(2, 0, SELL, LIMIT, 101, 5),
        new(3, 1, BUY, LIMIT, 101, 8))
    assert events(ex) == [
        accept(1, 0, SELL, LIMIT, 100, 5),
        accept(2, 0, SELL, LIMIT, 101, 5),
        accept(3, 1, BUY, LIMIT, 101, 8),
        fill(3, 1, BUY, 100, 5, 3, 1, 0, 0),
        fill(3, 1, BUY, 101, 3, 0, 2, 0, 2),
    ]
    assert ex.position(1, 0) == 8 and ex.position(0, 0) == -8
    assert ex.bbo(0) == (None, None, 101, 2)
    # A bigger buy takes the rest of the 101 level and rests its remainder at its limit.
    run(ex, new(4, 2, BUY, LIMIT, 102, 6, ts=5))
    assert events(ex) == [
        accept(4, 2, BUY, LIMIT, 102, 6),
        fill(4, 2, BUY, 101, 2, 4, 2, 0, 0),
    ]
    assert book(ex) == {"bid_price": [102], "bid_qty": [4], "bid_count": [1],
                        "ask_price": [], "ask_qty": [], "ask_count": []}
    assert ex.position(0, 0) == -10 and ex.position(2, 0) == 2


def test_price_time_priority_within_level() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 2), new(2, 1, SELL, LIMIT, 100, 2),
        new(3, 2, SELL, LIMIT, 99, 1), new(4, 3, BUY, LIMIT, 100, 4))
    assert events(ex)[3:] == [
        accept(4, 3, BUY, LIMIT, 100, 4),
        fill(4, 3, BUY, 99, 1, 3, 3, 2, 0),
        fill(4, 3, BUY, 100, 2, 1, 1, 0, 0),
        fill(4, 3, BUY, 100, 1, 0, 2, 1, 1),
    ]


def test_ioc_remainder_expires() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 3), new(2, 1, BUY, IOC, 101, 5))
    assert events(ex) == [
        accept(1, 0, SELL, LIMIT, 100, 3),
        accept(2, 1, BUY, IOC, 101, 5),
        fill(2, 1, BUY, 100, 3, 2, 1, 0, 0),
        expire(2, 1, BUY, IOC_REMAINDER, 101, 2),
    ]
    assert ex.bbo(0) == (None, None, None, None)


def test_fok_kill_and_fill() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 3), new(2, 0, SELL, LIMIT, 101, 3))
    events(ex)
    run(ex, new(3, 1, BUY, FOK, 100, 5))  # only 3 at acceptable prices: killed
    assert events(ex) == [
        accept(3, 1, BUY, FOK, 100, 5),
        expire(3, 1, BUY, FOK_UNFILLABLE, 100, 5),
    ]
    assert book(ex)["ask_qty"] == [3, 3] and ex.position(1, 0) == 0
    run(ex, new(4, 1, BUY, FOK, 101, 5))
    assert events(ex) == [
        accept(4, 1, BUY, FOK, 101, 5),
        fill(4, 1, BUY, 100, 3, 2, 1, 0, 0),
        fill(4, 1, BUY, 101, 2, 0, 2, 0, 1),
    ]
    assert book(ex)["ask_qty"] == [1] and ex.position(1, 0) == 5


def test_fok_kill_undoes_stp_cancel_oldest() -> None:
    ex = make("cancel_oldest")
    run(ex, new(1, 1, SELL, LIMIT, 100, 2), new(2, 0, SELL, LIMIT, 100, 2))
    events(ex)
    run(ex, new(3, 1, BUY, FOK, 100, 4))  # id 1 would be cancelled, only 2 left: killed
    assert events(ex) == [
        accept(3, 1, BUY, FOK, 100, 4),
        expire(3, 1, BUY, FOK_UNFILLABLE, 100, 4),
    ]
    assert book(ex)["ask_count"] == [2]
    run(ex, new(4, 1, BUY, FOK, 100, 2))  # fills 2 after cancelling its own order
    assert events(ex) == [
        accept(4, 1, BUY, FOK, 100, 2),
        cancel_ev(1, 1, SELL, SELF_TRADE, 100, 2),
        fill(4, 1, BUY, 100, 2, 0, 2, 0, 0),
    ]
    assert ex.bbo(0) == (None, None, None, None)


def test_post_only() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 5), new(2, 1, BUY, POST_ONLY, 100, 1),
        new(3, 1, BUY, POST_ONLY, 99, 1))
    assert events(ex) == [
        accept(1, 0, SELL, LIMIT, 100, 5),
        reject(2, 1, BUY, POST_ONLY_WOULD_CROSS, 100, 1),
        accept(3, 1, BUY, POST_ONLY, 99, 1),
    ]
    assert ex.bbo(0) == (99, 1, 100, 5)


def test_market_order_band() -> None:
    ex = make()  # band 5%
    run(ex, new(1, 0, BUY, MARKET, 0, 1))  # empty book
    assert events(ex) == [reject(1, 0, BUY, NO_LIQUIDITY, 0, 1)]
    run(ex, new(2, 0, SELL, LIMIT, 99, 2), new(3, 0, SELL, LIMIT, 103, 2),
        new(4, 0, SELL, LIMIT, 104, 2), new(5, 1, BUY, MARKET, 0, 10))
    # protection limit floor(99 * 1.05) = floor(103.95) = 103
    assert events(ex)[3:] == [
        accept(5, 1, BUY, MARKET, 103, 10),
        fill(5, 1, BUY, 99, 2, 8, 2, 0, 0),
        fill(5, 1, BUY, 103, 2, 6, 3, 0, 0),
        expire(5, 1, BUY, MARKET_REMAINDER, 103, 6),
    ]
    run(ex, new(6, 2, BUY, LIMIT, 99, 1), new(7, 2, BUY, LIMIT, 94, 1),
        new(8, 2, BUY, LIMIT, 95, 1), new(9, 3, SELL, MARKET, 0, 5))
    # protection limit ceil(99 * 0.95) = ceil(94.05) = 95
    assert events(ex)[3:] == [
        accept(9, 3, SELL, MARKET, 95, 5),
        fill(9, 3, SELL, 99, 1, 4, 6, 2, 0),
        fill(9, 3, SELL, 95, 1, 3, 8, 2, 0),
        expire(9, 3, SELL, MARKET_REMAINDER, 95, 3),
    ]
    assert ex.bbo(0) == (94, 1, 104, 2)


def test_stp_cancel_newest() -> None:
    ex = make("cancel_newest")
    run(ex, new(1, 1, SELL, LIMIT, 100, 2), new(2, 0, SELL, LIMIT, 100, 2),
        new(3, 1, SELL, LIMIT, 100, 2), new(4, 0, BUY, LIMIT, 100, 5))
    assert events(ex)[3:] == [
        accept(4, 0, BUY, LIMIT, 100, 5),
        fill(4, 0, BUY, 100, 2, 3, 1, 1, 0),
        cancel_ev(4, 0, BUY, SELF_TRADE, 100, 3),
    ]
    assert book(ex)["ask_count"] == [2] and book(ex)["bid_count"] == []
    assert ex.position(0, 0) == 2


def test_stp_cancel_oldest() -> None:
    ex = make("cancel_oldest")
    run(ex, new(1, 1, SELL, LIMIT, 100, 2), new(2, 0, SELL, LIMIT, 100, 2),
        new(3, 1, SELL, LIMIT, 101, 2), new(4, 0, BUY, LIMIT, 101, 5))
    assert events(ex)[3:] == [
        accept(4, 0, BUY, LIMIT, 101, 5),
        fill(4, 0, BUY, 100, 2, 3, 1, 1, 0),
        cancel_ev(2, 0, SELL, SELF_TRADE, 100, 2),
        fill(4, 0, BUY, 101, 2, 1, 3, 1, 0),
    ]
    assert ex.bbo(0) == (101, 1, None, None)


def test_stp_none_self_trade_keeps_position() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 2), new(2, 0, BUY, LIMIT, 100, 2))
    assert events(ex)[2:] == [fill(2, 0, BUY, 100, 2, 0, 1, 0, 0)]
    assert ex.position(0, 0) == 0


def test_reduce_only_reject_and_clip() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 5, ro=True), new(2, 0, BUY, MARKET, 0, 5, ro=True))
    assert events(ex) == [
        reject(1, 0, SELL, REDUCE_ONLY, 100, 5),
        reject(2, 0, BUY, REDUCE_ONLY, 0, 5),
    ]
    run(ex, new(3, 1, SELL, LIMIT, 100, 3), new(4, 0, BUY, LIMIT, 100, 3))  # account 0 long 3
    events(ex)
    run(ex, new(5, 0, BUY, LIMIT, 90, 1, ro=True), new(6, 0, SELL, LIMIT, 105, 5, ro=True))
    assert events(ex) == [
        reject(5, 0, BUY, REDUCE_ONLY, 90, 1),  # same direction as the position
        accept(6, 0, SELL, LIMIT, 105, 3),  # clipped to |position|
    ]
    run(ex, new(7, 1, BUY, LIMIT, 104, 1), new(8, 0, SELL, POST_ONLY, 104, 9, ro=True))
    assert events(ex)[1:] == [reject(8, 0, SELL, POST_ONLY_WOULD_CROSS, 104, 9)]  # as submitted


def test_reduce_only_trim_on_touch() -> None:
    ex = make()
    run(ex, new(1, 1, SELL, LIMIT, 100, 3), new(2, 0, BUY, LIMIT, 100, 3))  # account 0 long 3
    run(ex, new(3, 0, SELL, LIMIT, 102, 3, ro=True),  # resting reduce-only, 3 lots
        new(4, 0, SELL, LIMIT, 101, 2),  # plain sell ahead of it
        new(5, 2, BUY, LIMIT, 101, 2))  # account 0 now long 1
    assert ex.position(0, 0) == 1
    events(ex)
    run(ex, new(6, 3, BUY, LIMIT, 102, 3))
    assert events(ex) == [
        accept(6, 3, BUY, LIMIT, 102, 3),
        cancel_ev(3, 0, SELL, REDUCE_ONLY, 102, 2, leaves=1),
        fill(6, 3, BUY, 102, 1, 2, 3, 0, 0),
    ]
    assert ex.position(0, 0) == 0 and ex.bbo(0) == (102, 2, None, None)


def test_reduce_only_trim_whole_order_when_flat() -> None:
    ex = make()
    run(ex, new(1, 1, SELL, LIMIT, 100, 2), new(2, 0, BUY, LIMIT, 100, 2),  # account 0 long 2
        new(3, 0, SELL, LIMIT, 101, 2, ro=True), new(4, 0, SELL, LIMIT, 100, 2),
        new(5, 2, BUY, LIMIT, 100, 2),  # fills id 4: account 0 flat, id 3 can reduce nothing
        new(6, 1, SELL, LIMIT, 101, 1))
    events(ex)
    run(ex, new(7, 3, BUY, LIMIT, 101, 1))
    assert events(ex) == [
        accept(7, 3, BUY, LIMIT, 101, 1),
        cancel_ev(3, 0, SELL, REDUCE_ONLY, 101, 2, leaves=0),
        fill(7, 3, BUY, 101, 1, 0, 6, 1, 0),
    ]
    assert ex.bbo(0) == (None, None, None, None)


def test_amend_keeps_or_loses_priority() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 5), new(2, 1, SELL, LIMIT, 100, 5), amend(1, 0, 3))
    assert events(ex)[2:] == [amend_ev(1, 0, SELL, 0, 100, 3)]
    run(ex, new(3, 2, BUY, LIMIT, 100, 1))
    assert events(ex)[1:] == [fill(3, 2, BUY, 100, 1, 0, 1, 0, 2)]  # id 1 still first
    run(ex, amend(1, 100, 6), new(4, 2, BUY, LIMIT, 100, 1))
    assert events(ex) == [
        amend_ev(1, 0, SELL, 1, 100, 6),  # explicit same price, more qty: to the back
        accept(4, 2, BUY, LIMIT, 100, 1),
        fill(4, 2, BUY, 100, 1, 0, 2, 1, 4),
    ]
    run(ex, amend(2, 102, 0))  # new price, no cross: loses priority, keeps leaves
    assert events(ex) == [amend_ev(2, 1, SELL, 1, 102, 4)]
    assert book(ex)["ask_price"] == [100, 102] and book(ex)["ask_qty"] == [6, 4]


def test_amend_crossing_trades_and_rests() -> None:
    ex = make()
    run(ex, new(1, 0, BUY, LIMIT, 99, 5), new(2, 1, SELL, LIMIT, 101, 2), amend(1, 101, 0))
    assert events(ex)[2:] == [
        amend_ev(1, 0, BUY, 1, 101, 5),
        fill(1, 0, BUY, 101, 2, 3, 2, 1, 0),
    ]
    assert ex.bbo(0) == (101, 3, None, None)
    assert ex.position(0, 0) == 2


def test_amend_post_only_crossing_is_refused() -> None:
    ex = make()
    run(ex, new(1, 0, BUY, POST_ONLY, 99, 5), new(2, 1, SELL, LIMIT, 101, 2),
        amend(1, 101, 0), amend(1, 100, 7))
    assert events(ex)[2:] == [
        (AMEND_REJECT, POST_ONLY_WOULD_CROSS, 1, 0, 0, 101, 0, 0, 0, 0, 0),
        amend_ev(1, 0, BUY, 1, 100, 7),
    ]
    assert ex.bbo(0) == (100, 7, 101, 2)


def test_cancel_and_too_late() -> None:
    ex = make()
    run(ex, new(1, 0, SELL, LIMIT, 100, 5), new(2, 1, BUY, LIMIT, 100, 5), cancel(1),
        amend(2, 0, 3), new(3, 0, SELL, LIMIT, 100, 4), cancel(3))
    assert events(ex)[3:] == [
        (CANCEL_REJECT, TOO_LATE, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        (AMEND_REJECT, TOO_LATE, 2, 0, 0, 0, 3, 0, 0, 0, 0),
        accept(3, 0, SELL, LIMIT, 100, 4),
        cancel_ev(3, 0, SELL, USER_CANCEL, 100, 4),
    ]
    run(ex, new(4, 0, SELL, LIMIT, 100, 1, ro=True), cancel(4))  # rejected ids are seen too
    assert events(ex)[1:] == [(CANCEL_REJECT, TOO_LATE, 4, 0, 0, 0, 0, 0, 0, 0, 0)]
    with pytest.raises(KeyError):
        run(ex, cancel(99))


def test_bad_rows_raise_and_keep_earlier_rows() -> None:
    ex = make()
    with pytest.raises(ValueError) as info:
        run(ex, new(1, 0, SELL, LIMIT, 100, 5), new(1, 1, BUY, LIMIT, 100, 5),
            new(2, 1, BUY, LIMIT, 100, 5))
    assert info.value.row == 1
    assert [e[0] for e in events(ex)] == [ACCEPT]
    with pytest.raises(ValueError):
        run(ex, new(3, 0, SELL, LIMIT, 100, 0))
    with pytest.raises(KeyError):
        run(ex, new(3, 9, SELL, LIMIT, 100, 1))
    run(ex, new(3, 0, SELL, LIMIT, 100, 1, ts=10))
    with pytest.raises(ValueError):
        run(ex, new(4, 0, SELL, LIMIT, 100, 1, ts=9))
    events(ex)
    assert book(ex)["ask_qty"] == [6]


def test_events_carry_ts_and_instrument() -> None:
    ex = ReferenceExchange()
    ex.add_instrument()
    ex.add_instrument(stp="cancel_oldest")
    ex.add_accounts(2)
    run(ex, new(1, 0, SELL, LIMIT, 100, 1, inst=1, ts=7),
        new(2, 1, BUY, LIMIT, 100, 1, inst=1, ts=9))
    ev = ex.drain_events()
    assert ev["seq"].tolist() == [0, 1, 2]
    assert ev["ts"].tolist() == [7, 9, 9]
    assert ev["instrument"].tolist() == [1, 1, 1]
    assert ex.position(1, 1) == 1 and ex.position(1, 0) == 0

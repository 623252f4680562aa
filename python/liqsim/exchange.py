"""`Exchange`: the Python face of the C++ engine (orders in, events out)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _core
from ._core import InvalidOrderError, UnknownInstrumentError
from .codes import STP_MODES, Cmd, Kind
from .events import events_frame
from .instrument import Instrument, make_instrument

_SIDES = {"buy": 1, "sell": -1, "b": 1, "s": -1, 1: 1, -1: -1}
_KINDS = {k.name.lower(): int(k) for k in Kind}

# Batch columns and the exact dtype the engine reads them as.
_BATCH_COLUMNS: dict[str, np.dtype] = {
    "cmd": np.dtype(np.uint8),
    "instrument": np.dtype(np.int32),
    "order_id": np.dtype(np.int64),
    "account": np.dtype(np.int32),
    "side": np.dtype(np.int8),
    "kind": np.dtype(np.uint8),
    "price": np.dtype(np.int64),
    "qty": np.dtype(np.int64),
    "reduce_only": np.dtype(np.uint8),
    "ts": np.dtype(np.int64),
}


class BBO(NamedTuple):
    """Best bid and offer in ticks and lots (None on an empty side)."""

    bid: int | None
    bid_qty: int | None
    ask: int | None
    ask_qty: int | None


class Exchange:
    """A simulated exchange: instruments, accounts, order books and an event log.

    Single-order methods (`submit`, `cancel`, `amend`) take prices and quantities in instrument
    units (floats, checked against the tick and lot grid) and are meant for notebooks and tests.
    `submit_batch` takes integer ticks and lots as numpy arrays and runs the whole batch in C++
    with the GIL released: use it for anything large. Every outcome is an event record
    (`drain_events`, `events_df`); see docs/matching.md for the rules.
    """

    def __init__(self) -> None:
        self._engine = _core.Engine()
        self._instruments: list[Instrument] = []

    # -- configuration -------------------------------------------------------------------
    def add_instrument(self, symbol: str, *, tick_size: float = 0.1, lot_size: float = 0.001,
                       cash_unit: float = 1e-6, stp: str = "none",
                       market_band: float = 0.05) -> int:
        """Add an instrument with its own order book; returns its id (0, 1, ...).

        `stp` is the self-trade prevention mode (`none`, `cancel_newest`, `cancel_oldest`);
        `market_band` the protection band of market orders as a fraction of the best opposite
        price at arrival.
        """
        inst = make_instrument(len(self._instruments), symbol, tick_size, lot_size, cash_unit,
                               stp, market_band)
        engine_id = self._engine.add_instrument(symbol, STP_MODES[stp],
                                                round(market_band * 1_000_000))
        assert engine_id == inst.id
        self._instruments.append(inst)
        return inst.id

    def instrument(self, instrument: int) -> Instrument:
        """Metadata (grid, symbol, options) of an instrument id."""
        if not (isinstance(instrument, (int, np.integer)) and 0 <= instrument < len(self._instruments)):
            raise UnknownInstrumentError(f"unknown instrument {instrument!r}")
        return self._instruments[int(instrument)]

    @property
    def instruments(self) -> list[Instrument]:
        """All instruments, indexed by id."""
        return list(self._instruments)

    def add_account(self) -> int:
        """Open an account; returns its id (0, 1, ...)."""
        return int(self._engine.add_account())

    def add_accounts(self, n: int) -> np.ndarray:
        """Open `n` accounts at once; returns their ids."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise _core.InvalidConfigError(f"n must be a positive integer, got {n!r}")
        first = self._engine.add_accounts(int(n))
        return np.arange(first, first + n, dtype=np.int32)

    @property
    def num_accounts(self) -> int:
        """Number of accounts opened so far."""
        return int(self._engine.num_accounts)

    @property
    def now(self) -> int:
        """Exchange clock (ns): the timestamp of the latest command."""
        return int(self._engine.now)

    # -- single orders -----------------------------------------------------------------------
    def submit(self, instrument: int, account: int, side: str | int, price: float | None = None,
               qty: float | None = None, *, kind: str | int = "limit", reduce_only: bool = False,
               order_id: int | None = None, ts: int | None = None) -> int:
        """Submit one order in instrument units; returns its order id.

        `side` is "buy"/"sell" (or +1/-1), `kind` one of limit, ioc, fok, post_only, market
        (market orders take no price). Business outcomes (fills, rejects, expiries) are events;
        bad input raises InvalidOrderError / UnknownAccountError / ... and changes nothing.
        """
        inst = self.instrument(instrument)
        kind_code = _parse_kind(kind)
        if kind_code == Kind.MARKET:
            if price is not None:
                raise InvalidOrderError("market orders take no price")
            price_ticks = 0
        else:
            if price is None:
                raise InvalidOrderError(f"{Kind(kind_code).name.lower()} orders need a price")
            price_ticks = inst.to_ticks(price)
        if qty is None:
            raise InvalidOrderError("qty is required")
        return self.submit_ticks(instrument, account, _parse_side(side), price_ticks,
                                 inst.to_lots(qty), kind=kind_code, reduce_only=reduce_only,
                                 order_id=order_id, ts=ts)

    def submit_ticks(self, instrument: int, account: int, side: int, price: int, qty: int, *,
                     kind: int = 0, reduce_only: bool = False, order_id: int | None = None,
                     ts: int | None = None) -> int:
        """Submit one order with integer ticks/lots and codes (the lean per-order path)."""
        oid = self._engine.next_order_id if order_id is None else order_id
        self._engine.submit(instrument, account, oid, side, kind, price, qty, reduce_only,
                            self._engine.now if ts is None else ts)
        return int(oid)

    def cancel(self, order_id: int, *, ts: int | None = None) -> None:
        """Cancel a resting order (a CANCEL event, or CANCEL_REJECT if it is no longer live)."""
        self._engine.cancel(order_id, self._engine.now if ts is None else ts)

    def amend(self, order_id: int, *, price: float | None = None, qty: float | None = None,
              ts: int | None = None) -> None:
        """Change a resting order's price and/or remaining quantity (instrument units).

        Reducing the quantity at the same price keeps time priority; a larger quantity or a new
        price loses it, and a new price that crosses trades immediately.
        """
        info = self._engine.order_info(order_id)
        p = q = 0  # 0 = keep the current value
        if info is not None:
            inst = self._instruments[info["instrument"]]
            p = 0 if price is None else inst.to_ticks(price)
            q = 0 if qty is None else inst.to_lots(qty)
        self._engine.amend(order_id, p, q, self._engine.now if ts is None else ts)

    # -- batches -----------------------------------------------------------------------------
    def submit_batch(self, *, order_id: npt.ArrayLike, cmd: npt.ArrayLike | None = None,
                     instrument: npt.ArrayLike = 0, account: npt.ArrayLike = 0,
                     side: npt.ArrayLike = 0, kind: npt.ArrayLike = 0, price: npt.ArrayLike = 0,
                     qty: npt.ArrayLike = 0, reduce_only: npt.ArrayLike | None = None,
                     ts: npt.ArrayLike | None = None) -> None:
        """Run a batch of commands in C++ (GIL released), in row order.

        Arrays are integer codes, ticks and lots (see `Cmd`, `Kind`, `Side`); any argument
        except `order_id` may be a scalar applied to every row; `cmd` defaults to all NEW and
        `ts` to the exchange clock. Rows run in order and each is fully checked before it
        changes anything: if row k is bad, rows 0..k-1 stay applied, nothing from row k on is
        applied, and the exception's `row` attribute is k. Shape and dtype problems are found
        before any row runs.
        """
        ids = np.asarray(order_id)
        if ids.ndim != 1:
            raise InvalidOrderError("order_id must be a 1-d array")
        n = len(ids)
        cols = {
            "cmd": _column("cmd", Cmd.NEW if cmd is None else cmd, n),
            "instrument": _column("instrument", instrument, n),
            "order_id": _column("order_id", ids, n),
            "account": _column("account", account, n),
            "side": _column("side", side, n),
            "kind": _column("kind", kind, n),
            "price": _column("price", price, n),
            "qty": _column("qty", qty, n),
            "reduce_only": None if reduce_only is None else _column("reduce_only", reduce_only, n),
            "ts": None if ts is None else _column("ts", ts, n),
        }
        self._engine.run_batch(**cols)

    # -- events and state ----------------------------------------------------------------
    def drain_events(self) -> np.ndarray:
        """All events recorded since the last drain, as a structured array (EVENT_DTYPE)."""
        return self._engine.drain_events()

    def events_df(self) -> pd.DataFrame:
        """Drain the events as a DataFrame with readable `event` and `reason` columns."""
        return events_frame(self.drain_events())

    def bbo(self, instrument: int) -> BBO:
        """Best bid/offer of an instrument, in ticks and lots."""
        return BBO(*self._engine.bbo(instrument))

    def depth(self, instrument: int, n: int = 10) -> dict[str, np.ndarray]:
        """Top `n` price levels per side, best first: price (ticks), qty (lots), order count."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise InvalidOrderError(f"n must be a positive integer, got {n!r}")
        keys = ("bid_price", "bid_qty", "bid_count", "ask_price", "ask_qty", "ask_count")
        return dict(zip(keys, self._engine.depth(instrument, int(n))))

    def depth_df(self, instrument: int, n: int = 10) -> pd.DataFrame:
        """Top `n` levels as a DataFrame in instrument units (side, level, price, qty, orders)."""
        inst = self.instrument(instrument)
        d = self.depth(instrument, n)
        frames = [pd.DataFrame({"side": s, "level": np.arange(len(d[f"{s}_price"])),
                                "price": inst.price(d[f"{s}_price"]), "qty": inst.qty(d[f"{s}_qty"]),
                                "orders": d[f"{s}_count"]}) for s in ("bid", "ask")]
        return pd.concat(frames, ignore_index=True)

    def position(self, account: int, instrument: int) -> int:
        """Signed position of an account in lots."""
        return int(self._engine.position(account, instrument))

    def positions(self, instrument: int) -> np.ndarray:
        """Signed positions of all accounts in one instrument (lots, indexed by account)."""
        return self._engine.positions(instrument)

    def order(self, order_id: int) -> dict[str, Any] | None:
        """A live order's state (price in ticks, leaves in lots), or None if it is not live."""
        return self._engine.order_info(order_id)

    def live_orders(self, instrument: int) -> int:
        """Number of resting orders in an instrument's book."""
        return int(self._engine.live_orders(instrument))


def _parse_side(side: str | int) -> int:
    key = side.lower() if isinstance(side, str) else (int(side) if isinstance(side, (int, np.integer)) else side)
    if key not in _SIDES:
        raise InvalidOrderError(f"side must be 'buy' or 'sell' (or +1/-1), got {side!r}")
    return _SIDES[key]


def _parse_kind(kind: str | int) -> int:
    if isinstance(kind, str) and kind.lower() in _KINDS:
        return _KINDS[kind.lower()]
    if isinstance(kind, (int, np.integer)) and not isinstance(kind, bool) and 0 <= kind < len(Kind):
        return int(kind)
    raise InvalidOrderError(f"kind must be one of {sorted(_KINDS)}, got {kind!r}")


def _column(name: str, values: npt.ArrayLike, n: int) -> np.ndarray:
    """One batch column as a contiguous array of the engine's dtype, or a clear error."""
    target = _BATCH_COLUMNS[name]
    a = np.asarray(values)
    if a.ndim == 0:
        a = np.full(n, a)
    if a.ndim != 1 or len(a) != n:
        raise InvalidOrderError(f"{name} has shape {a.shape}, expected ({n},) like order_id")
    if a.dtype == target:
        return np.ascontiguousarray(a)
    if a.dtype.kind not in "iub":
        hint = " (convert prices and quantities with Instrument.to_ticks / to_lots)" if name in ("price", "qty") else ""
        raise InvalidOrderError(f"{name} must be an integer array, got dtype {a.dtype}{hint}")
    if n:
        info = np.iinfo(target)
        lo, hi = a.min(), a.max()
        if lo < info.min or hi > info.max:
            bad = lo if lo < info.min else hi
            raise InvalidOrderError(f"{name} value {bad} does not fit {target}")
    return a.astype(target)

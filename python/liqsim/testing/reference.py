"""A slow, obviously-correct pure-Python matcher implementing docs/matching.md.

`ReferenceExchange` is the oracle the C++ engine is tested against. It favours readability over
speed: each book side is a plain list of orders kept sorted by (price, arrival sequence), a FOK
order is tried on a deep copy of the whole exchange, and every outcome is appended to a list of
event tuples that `drain_events` turns into a numpy structured array.

Only integer units are used (ticks, lots, ns) and the entry point mirrors the engine's batch API
(`Exchange.submit_batch`). This module deliberately does not import `liqsim._core`, so it can be
used (and checked) without the compiled engine.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
import numpy as np
import numpy.typing as npt

REF_EVENT_DTYPE = np.dtype([
    ("seq", "<i8"), ("ts", "<i8"), ("order_id", "<i8"), ("other_order_id", "<i8"),
    ("price", "<i8"), ("qty", "<i8"), ("leaves", "<i8"), ("other_leaves", "<i8"),
    ("cash", "<i8"), ("account", "<i4"), ("other_account", "<i4"), ("instrument", "<i4"),
    ("code", "<u2"), ("type", "u1"), ("side", "i1"),
])
"""Event record layout (docs/python_api.md); equal to `liqsim.EVENT_DTYPE`."""

# Command codes.
NEW, CANCEL, AMEND = 0, 1, 2
# Order kinds.
LIMIT, IOC, FOK, POST_ONLY, MARKET = 0, 1, 2, 3, 4
# Sides.
BUY, SELL = 1, -1
# Event types.
EV_ACCEPT, EV_REJECT, EV_FILL, EV_CANCEL, EV_EXPIRE, EV_AMEND = 1, 2, 3, 4, 5, 6
EV_CANCEL_REJECT, EV_AMEND_REJECT = 7, 8
# Reason codes.
R_NONE, R_USER_CANCEL, R_SELF_TRADE, R_REDUCE_ONLY, R_POST_ONLY_WOULD_CROSS = 0, 1, 2, 3, 4
R_IOC_REMAINDER, R_FOK_UNFILLABLE, R_MARKET_REMAINDER, R_NO_LIQUIDITY, R_TOO_LATE = 5, 6, 7, 8, 9
# Self-trade prevention modes.
STP_CODES: dict[str, int] = {"none": 0, "cancel_newest": 1, "cancel_oldest": 2}

MAX_PRICE = 10**15
MAX_QTY = 10**15
PPM = 1_000_000


class RefInputError(Exception):
    """Base of the reference's bad-input errors; `row` is the failing batch row (or None)."""

    row: int | None = None


class InvalidOrder(RefInputError, ValueError):
    """A field of a command is out of range (the engine's InvalidOrderError)."""


class DuplicateOrderId(InvalidOrder):
    """Order id already used (the engine's DuplicateOrderIdError)."""


class UnknownKey(RefInputError, KeyError):
    """Unknown instrument, account or order id (the engine's Unknown*Error)."""


@dataclass
class Order:
    """A live order (resting in a book, or the taker being matched)."""

    order_id: int
    instrument: int
    account: int
    side: int
    kind: int
    price: int  # limit price in ticks (market: the protection limit)
    leaves: int
    reduce_only: bool
    arrival: int = 0  # time priority within a price level: lower is older


@dataclass
class Book:
    """One instrument's order book and options."""

    stp: int
    band_ppm: int
    bids: list[Order]  # best first: price descending, then arrival ascending
    asks: list[Order]  # best first: price ascending, then arrival ascending

    def side(self, side: int) -> list[Order]:
        """The list holding resting orders of `side`."""
        return self.bids if side == BUY else self.asks

    def insert(self, order: Order) -> None:
        """Rest `order` in its side, keeping price-time order."""
        orders = self.side(order.side)
        orders.append(order)
        orders.sort(key=lambda o: (-o.side * o.price, o.arrival))


def crosses(taker_side: int, limit: int, maker_price: int) -> bool:
    """Whether a taker with this side and limit may trade at `maker_price`."""
    return maker_price <= limit if taker_side == BUY else maker_price >= limit


class ReferenceExchange:
    """Pure-Python matcher with the same batch interface and event log as the C++ engine."""

    def __init__(self) -> None:
        self.books: list[Book] = []
        self.num_accounts = 0
        self.positions: dict[tuple[int, int], int] = {}  # (account, instrument) -> lots
        self.live: dict[int, Order] = {}  # resting orders by id
        self.seen: dict[int, int] = {}  # every order id ever accepted or rejected -> instrument
        self.events: list[tuple[int, ...]] = []
        self.next_seq = 0
        self.next_arrival = 0
        self.now = 0

    # -- configuration -----------------------------------------------------------------
    def add_instrument(self, stp: str = "none", market_band_ppm: int = 50_000) -> int:
        """Add an instrument; returns its id (0, 1, ...)."""
        if stp not in STP_CODES:
            raise ValueError(f"unknown stp mode {stp!r}")
        if not 0 < market_band_ppm < PPM:
            raise ValueError(f"market_band_ppm out of range: {market_band_ppm}")
        self.books.append(Book(STP_CODES[stp], market_band_ppm, [], []))
        return len(self.books) - 1

    def add_account(self) -> int:
        """Open an account; returns its id (0, 1, ...)."""
        self.num_accounts += 1
        return self.num_accounts - 1

    def add_accounts(self, n: int) -> np.ndarray:
        """Open `n` accounts; returns their ids."""
        if n < 1:
            raise ValueError(f"n must be positive, got {n}")
        first = self.num_accounts
        self.num_accounts += n
        return np.arange(first, first + n, dtype=np.int32)

    # -- state -------------------------------------------------------------------------
    def position(self, account: int, instrument: int) -> int:
        """Signed position in lots."""
        self._check_account(account)
        self._check_instrument(instrument)
        return self.positions.get((account, instrument), 0)

    def bbo(self, instrument: int) -> tuple[int | None, int | None, int | None, int | None]:
        """(bid, bid_qty, ask, ask_qty) of the best levels, None on an empty side."""
        d = self.depth(instrument, 1)
        out: list[int | None] = []
        for side in ("bid", "ask"):
            if len(d[f"{side}_price"]):
                out += [int(d[f"{side}_price"][0]), int(d[f"{side}_qty"][0])]
            else:
                out += [None, None]
        return out[0], out[1], out[2], out[3]

    def depth(self, instrument: int, n: int = 10) -> dict[str, np.ndarray]:
        """Top `n` levels per side, best first: price, total qty and order count (int64)."""
        self._check_instrument(instrument)
        book = self.books[instrument]
        out: dict[str, np.ndarray] = {}
        for name, orders in (("bid", book.bids), ("ask", book.asks)):
            levels: list[list[int]] = []  # [price, qty, count]
            for o in orders:
                if levels and levels[-1][0] == o.price:
                    levels[-1][1] += o.leaves
                    levels[-1][2] += 1
                elif len(levels) < n:
                    levels.append([o.price, o.leaves, 1])
                else:
                    break
            table = np.array(levels, dtype=np.int64).reshape(-1, 3)
            out[f"{name}_price"] = table[:, 0].copy()
            out[f"{name}_qty"] = table[:, 1].copy()
            out[f"{name}_count"] = table[:, 2].copy()
        return out

    def drain_events(self) -> np.ndarray:
        """All events since the last drain (REF_EVENT_DTYPE), removing them from the log."""
        out = np.array(self.events, dtype=REF_EVENT_DTYPE)
        self.events = []
        return out

    # -- commands ----------------------------------------------------------------------
    def submit_batch(self, cmd: npt.ArrayLike, instrument: npt.ArrayLike,
                     order_id: npt.ArrayLike, account: npt.ArrayLike, side: npt.ArrayLike,
                     kind: npt.ArrayLike, price: npt.ArrayLike, qty: npt.ArrayLike,
                     reduce_only: npt.ArrayLike | None = None,
                     ts: npt.ArrayLike | None = None) -> None:
        """Run commands row by row (ticks, lots and integer codes, like `Exchange.submit_batch`).

        Each row is validated before it changes anything; a bad row raises (with `row` set to
        its index) and leaves the earlier rows applied. `ts` None means the exchange clock.
        """
        columns = [np.asarray(c) for c in (cmd, instrument, order_id, account, side, kind,
                                           price, qty)]
        n = len(columns[2])
        ro = np.zeros(n, dtype=bool) if reduce_only is None else np.asarray(reduce_only)
        tss = None if ts is None else np.asarray(ts)
        if any(c.shape != (n,) for c in columns) or ro.shape != (n,) or (
                tss is not None and tss.shape != (n,)):
            raise InvalidOrder("all batch arrays must be 1-d with the same length")
        c_cmd, c_inst, c_id, c_acct, c_side, c_kind, c_price, c_qty = columns
        for k in range(n):
            row_ts = self.now if tss is None else int(tss[k])
            try:
                self._run_row(int(c_cmd[k]), int(c_inst[k]), int(c_id[k]), int(c_acct[k]),
                              int(c_side[k]), int(c_kind[k]), int(c_price[k]), int(c_qty[k]),
                              bool(ro[k]), row_ts)
            except RefInputError as e:
                e.row = k
                raise

    def _run_row(self, cmd: int, instrument: int, order_id: int, account: int, side: int,
                 kind: int, price: int, qty: int, reduce_only: bool, ts: int) -> None:
        if ts < self.now:
            raise InvalidOrder(f"time goes backwards: {ts} < {self.now}")
        if cmd == NEW:
            self._validate_new(instrument, order_id, account, side, kind, price, qty)
            self.now = ts
            self._new(Order(order_id, instrument, account, side, kind, price, qty, reduce_only), ts)
        elif cmd == CANCEL:
            self._check_known_id(order_id)
            self.now = ts
            self._cancel(order_id, ts)
        elif cmd == AMEND:
            self._check_known_id(order_id)
            if not (0 <= price <= MAX_PRICE and 0 <= qty <= MAX_QTY):
                raise InvalidOrder(f"amend price/qty out of range: {price}, {qty}")
            self.now = ts
            self._amend(order_id, price, qty, ts)
        else:
            raise InvalidOrder(f"unknown command code {cmd}")

    # -- validation ----------------------------------------------------------------------
    def _check_instrument(self, instrument: int) -> None:
        if not 0 <= instrument < len(self.books):
            raise UnknownKey(f"unknown instrument {instrument}")

    def _check_account(self, account: int) -> None:
        if not 0 <= account < self.num_accounts:
            raise UnknownKey(f"unknown account {account}")

    def _check_known_id(self, order_id: int) -> None:
        if order_id not in self.seen:
            raise UnknownKey(f"unknown order id {order_id}")

    def _validate_new(self, instrument: int, order_id: int, account: int, side: int, kind: int,
                      price: int, qty: int) -> None:
        self._check_instrument(instrument)
        self._check_account(account)
        if order_id < 1:
            raise InvalidOrder(f"order id must be >= 1, got {order_id}")
        if order_id in self.seen:
            raise DuplicateOrderId(f"duplicate order id {order_id}")
        if side not in (BUY, SELL):
            raise InvalidOrder(f"side must be +1 or -1, got {side}")
        if kind not in (LIMIT, IOC, FOK, POST_ONLY, MARKET):
            raise InvalidOrder(f"unknown kind {kind}")
        if not 0 < qty <= MAX_QTY:
            raise InvalidOrder(f"qty out of range: {qty}")
        if kind != MARKET and not 0 < price <= MAX_PRICE:
            raise InvalidOrder(f"price out of range: {price}")

    # -- events --------------------------------------------------------------------------
    def _emit(self, type_: int, ts: int, instrument: int, *, code: int = 0, order_id: int = 0,
              other_order_id: int = 0, price: int = 0, qty: int = 0, leaves: int = 0,
              other_leaves: int = 0, account: int = 0, other_account: int = 0,
              side: int = 0) -> None:
        """Append one event record (fields not given are 0; cash is always 0)."""
        self.events.append((self.next_seq, ts, order_id, other_order_id, price, qty, leaves,
                            other_leaves, 0, account, other_account, instrument, code, type_,
                            side))
        self.next_seq += 1

    def _emit_order(self, type_: int, code: int, o: Order, qty: int, leaves: int,
                    ts: int) -> None:
        """An event about one order: ACCEPT, CANCEL, EXPIRE or AMEND."""
        self._emit(type_, ts, o.instrument, code=code, order_id=o.order_id, account=o.account,
                   side=o.side, price=o.price, qty=qty, leaves=leaves)

    # -- new orders ------------------------------------------------------------------------
    def _new(self, o: Order, ts: int) -> None:
        """Handle a validated NEW order."""
        self.seen[o.order_id] = o.instrument
        book = self.books[o.instrument]
        opposite = book.side(-o.side)
        submitted_price = 0 if o.kind == MARKET else o.price
        submitted_qty = o.leaves

        def reject(reason: int) -> None:
            self._emit(EV_REJECT, ts, o.instrument, code=reason, order_id=o.order_id,
                       account=o.account, side=o.side, price=submitted_price, qty=submitted_qty)

        if o.reduce_only:
            pos = self.positions.get((o.account, o.instrument), 0)
            if pos * o.side >= 0:  # flat, or same direction as the order
                return reject(R_REDUCE_ONLY)
            o.leaves = min(o.leaves, abs(pos))
        if o.kind == MARKET:
            if not opposite:
                return reject(R_NO_LIQUIDITY)
            best = opposite[0].price
            if o.side == BUY:
                o.price = best * (PPM + book.band_ppm) // PPM
            else:
                o.price = -((-best * (PPM - book.band_ppm)) // PPM)  # ceil
        if o.kind == POST_ONLY and opposite and crosses(o.side, o.price, opposite[0].price):
            return reject(R_POST_ONLY_WOULD_CROSS)

        self._emit_order(EV_ACCEPT, o.kind, o, o.leaves, o.leaves, ts)

        if o.kind == FOK:
            trial = copy.deepcopy(self)
            trial_order = copy.deepcopy(o)
            if not trial._match(trial_order, ts) and trial_order.leaves == 0:
                self.__dict__.update(trial.__dict__)  # the copy filled it: keep the copy
            else:
                self._emit_order(EV_EXPIRE, R_FOK_UNFILLABLE, o, o.leaves, 0, ts)
            return

        stopped = self._match(o, ts)
        if stopped or o.leaves == 0:
            return
        if o.kind == IOC:
            self._emit_order(EV_EXPIRE, R_IOC_REMAINDER, o, o.leaves, 0, ts)
        elif o.kind == MARKET:
            self._emit_order(EV_EXPIRE, R_MARKET_REMAINDER, o, o.leaves, 0, ts)
        else:  # limit, post_only
            self._rest(o)

    def _rest(self, o: Order) -> None:
        """Put `o` at the back of its price level."""
        o.arrival = self.next_arrival
        self.next_arrival += 1
        self.books[o.instrument].insert(o)
        self.live[o.order_id] = o

    def _remove(self, o: Order) -> None:
        """Take a resting order out of its book."""
        self.books[o.instrument].side(o.side).remove(o)
        del self.live[o.order_id]

    def _match(self, taker: Order, ts: int) -> bool:
        """Match `taker` against the book (the matching loop of docs/matching.md).

        Returns True if self-trade prevention cancelled the taker (matching stopped and the
        CANCEL event was emitted), False otherwise.
        """
        book = self.books[taker.instrument]
        opposite = book.side(-taker.side)
        while taker.leaves > 0 and opposite and crosses(taker.side, taker.price,
                                                        opposite[0].price):
            maker = opposite[0]
            same_account = maker.account == taker.account
            if same_account and book.stp == STP_CODES["cancel_newest"]:
                self._emit_order(EV_CANCEL, R_SELF_TRADE, taker, taker.leaves, 0, ts)
                taker.leaves = 0
                return True
            if same_account and book.stp == STP_CODES["cancel_oldest"]:
                self._emit_order(EV_CANCEL, R_SELF_TRADE, maker, maker.leaves, 0, ts)
                self._remove(maker)
                continue
            if maker.reduce_only:
                pos = self.positions.get((maker.account, maker.instrument), 0)
                cap = max(0, -pos * maker.side)  # what the maker's account can still reduce
                if maker.leaves > cap:
                    self._emit_order(EV_CANCEL, R_REDUCE_ONLY, maker, maker.leaves - cap, cap, ts)
                    maker.leaves = cap
                    if cap == 0:
                        self._remove(maker)
                        continue
            fill = min(taker.leaves, maker.leaves)
            taker.leaves -= fill
            maker.leaves -= fill
            if not same_account:
                buyer, seller = (taker, maker) if taker.side == BUY else (maker, taker)
                key_b, key_s = (buyer.account, taker.instrument), (seller.account, taker.instrument)
                self.positions[key_b] = self.positions.get(key_b, 0) + fill
                self.positions[key_s] = self.positions.get(key_s, 0) - fill
            self._emit(EV_FILL, ts, taker.instrument, order_id=taker.order_id,
                       account=taker.account, other_order_id=maker.order_id,
                       other_account=maker.account, side=taker.side, price=maker.price,
                       qty=fill, leaves=taker.leaves, other_leaves=maker.leaves)
            if maker.leaves == 0:
                self._remove(maker)
        return False

    # -- cancel and amend ----------------------------------------------------------------
    def _cancel(self, order_id: int, ts: int) -> None:
        """Cancel a live order, or CANCEL_REJECT (TOO_LATE) if it is done."""
        o = self.live.get(order_id)
        if o is None:
            self._emit(EV_CANCEL_REJECT, ts, self.seen[order_id], code=R_TOO_LATE,
                       order_id=order_id)
            return
        self._emit_order(EV_CANCEL, R_USER_CANCEL, o, o.leaves, 0, ts)
        self._remove(o)

    def _amend(self, order_id: int, price: int, qty: int, ts: int) -> None:
        """Amend a live order's price and/or leaves (0 keeps the current value)."""
        o = self.live.get(order_id)

        def reject(reason: int, instrument: int) -> None:
            self._emit(EV_AMEND_REJECT, ts, instrument, code=reason, order_id=order_id,
                       price=price, qty=qty)

        if o is None:
            return reject(R_TOO_LATE, self.seen[order_id])
        new_price = price or o.price
        new_leaves = qty or o.leaves
        book = self.books[o.instrument]
        if new_price == o.price:
            if new_leaves <= o.leaves:  # in place, keeps priority
                o.leaves = new_leaves
                self._emit_order(EV_AMEND, 0, o, new_leaves, new_leaves, ts)
            else:  # to the back of its level
                self._remove(o)
                o.leaves = new_leaves
                self._emit_order(EV_AMEND, 1, o, new_leaves, new_leaves, ts)
                self._rest(o)
            return
        opposite = book.side(-o.side)
        if o.kind == POST_ONLY and opposite and crosses(o.side, new_price, opposite[0].price):
            return reject(R_POST_ONLY_WOULD_CROSS, o.instrument)
        self._remove(o)
        o.price, o.leaves = new_price, new_leaves
        self._emit_order(EV_AMEND, 1, o, new_leaves, new_leaves, ts)
        if not self._match(o, ts) and o.leaves > 0:
            self._rest(o)


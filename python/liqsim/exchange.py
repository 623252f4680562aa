"""`Exchange`: the Python face of the C++ engine (orders in, events out)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _core
from ._core import InvalidConfigError, InvalidOrderError, UnknownInstrumentError
from .codes import STP_MODES, Cmd, Kind
from .breakers import Breakers
from .codes import TradingState
from .config import BINANCE_BTCUSDT_TIERS, PPM, RiskConfig, tier_brackets, to_ppm
from .events import events_frame
from ._args import diagnose, engine_args, is_pybind_type_error
from .instrument import Instrument, make_instrument

MARK_SOURCES = {"last": 0, "index": 1, "binance": 2, "hyperliquid": 3, "external": 4}

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


_SYSTEM_SLOTS = 4  # ledger arrays from the engine start with system accounts -4..-1


@dataclass(frozen=True)
class AccountState:
    """Margin state of one account at current marks (USD)."""

    account: int
    cash: float  # cash-flow balance (negative while a long is open)
    wallet: float  # deposits - withdrawals + realized PnL - fees + funding
    equity: float
    unrealized_pnl: float
    maintenance_margin: float
    initial_margin: float
    margin_ratio: float  # maintenance / equity (Binance); >= 1 means liquidatable
    free_margin: float
    liquidatable: bool


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

    def __init__(self, *, cash_unit: float | None = None, risk: RiskConfig | None = None) -> None:
        """Create an empty exchange.

        `cash_unit` is the exchange-wide money unit in USD (default 1e-6): every balance, fee and
        PnL is an integer number of it. `risk` enables margin checks, liquidations, the
        backstop and ADL (see `RiskConfig`); without it the exchange matches and settles trades
        (cash, positions, fees) but never liquidates.
        """
        if risk is not None and not isinstance(risk, RiskConfig):
            raise InvalidConfigError(f"risk must be a liqsim.RiskConfig or None, got {type(risk).__name__}")
        self._cash_unit_fixed = cash_unit is not None
        self._cash_unit = _check_cash_unit(1e-6 if cash_unit is None else cash_unit)
        self._risk = risk
        self._engine = _core.Engine(risk.to_spec(self._cash_unit) if risk else _core.RiskSpec())
        self._drain: Callable[[], np.ndarray] | None = None
        self._instruments: list[Instrument] = []

    @classmethod
    def _attach(cls, engine: Any, like: "Exchange",
                drain: Callable[[], np.ndarray] | None = None) -> "Exchange":
        """An Exchange over an existing engine (a simulation's), with `like`'s instruments.

        `drain` replaces the engine's own event drain (a simulation folds events into its
        running totals before handing them out)."""
        out = cls.__new__(cls)
        out._drain = drain
        out._cash_unit_fixed = True
        out._cash_unit = like._cash_unit
        out._risk = like._risk
        out._engine = engine
        out._instruments = list(like._instruments)
        return out

    @property
    def cash_unit(self) -> float:
        """USD value of one integer cash unit."""
        return self._cash_unit

    @property
    def risk(self) -> RiskConfig | None:
        """The risk rules in force (None: no margin checks or liquidations)."""
        return self._risk

    # -- configuration -------------------------------------------------------------------
    def add_instrument(self, symbol: str, *, tick_size: float = 0.1, lot_size: float = 0.001,
                       cash_unit: float | None = None, stp: str = "none",
                       market_band: float = 0.05, taker_fee: float = 0.0, maker_fee: float = 0.0,
                       tiers: tuple[tuple[float, float], ...] | None = BINANCE_BTCUSDT_TIERS,
                       initial_margin_multiplier: float = 2.0,
                       mark_source: str = "last", funding_interval: float = 8 * 3600.0,
                       funding_interest: float = 0.0001, funding_clamp: float = 0.0005,
                       funding_cap: float = 0.003, breakers: Breakers | None = None) -> int:
        """Add an instrument with its own order book; returns its id (0, 1, ...).

        `stp` is the self-trade prevention mode (`none`, `cancel_newest`, `cancel_oldest`);
        `market_band` the protection band of market orders as a fraction of the best opposite
        price at arrival. `taker_fee` / `maker_fee` are fractions of notional (a negative maker
        fee is a rebate, at most the taker fee). `tiers` are (notional cap USD, maintenance
        margin rate) brackets (default: Binance BTCUSDT); initial margin is
        `initial_margin_multiplier` x the maintenance rate. `mark_source` is `last` (mark =
        last trade), `index` (mark = the index set with `set_index`), `binance`
        (median(index x (1 + funding basis), index + 5-min MA(mid - index), last)),
        `hyperliquid` (median(index + 150 s EMA(mid - index), median(bid, ask, last),
        external mid)) or `external` (whatever `set_mark` says). Funding: every
        `funding_interval` seconds the rate is average premium + clamp(interest - premium,
        +-funding_clamp), capped at +-funding_cap (Binance). `breakers` composes circuit
        breakers and liquidation controls (see `liqsim.Breakers`). `cash_unit` is accepted
        for the first instrument of an exchange created without one; it is exchange-wide.
        """
        # Everything is checked before the exchange changes: the cash unit is only taken on
        # once the engine has accepted the instrument.
        unit = self._cash_unit
        if cash_unit is not None and _check_cash_unit(cash_unit) != unit:
            if self._cash_unit_fixed or self._instruments:
                raise InvalidConfigError(
                    f"cash_unit is exchange-wide ({self._cash_unit}); create Exchange(cash_unit=...) "
                    f"instead of passing {cash_unit} here")
            if self._risk is not None:  # its amounts were converted at the old unit
                raise InvalidConfigError(
                    f"an exchange with risk rules takes its cash_unit at creation: "
                    f"Exchange(cash_unit={cash_unit}, risk=...)")
            unit = float(cash_unit)
        inst = make_instrument(len(self._instruments), symbol, tick_size, lot_size, unit,
                               stp, market_band)
        spec = _core.InstrumentSpec()
        spec.symbol = symbol
        spec.stp = STP_MODES[stp]
        spec.market_band_ppm = round(market_band * PPM)
        spec.cash_per_tick_lot = inst.cash_per_tick_lot
        spec.taker_fee_ppm = to_ppm("taker_fee", taker_fee, 0.0, 0.1)
        spec.maker_fee_ppm = to_ppm("maker_fee", maker_fee, -0.1, 0.1)
        spec.tiers = [] if tiers is None else tier_brackets(tiers, unit)
        spec.im_multiplier_ppm = to_ppm("initial_margin_multiplier", initial_margin_multiplier, 1.0, 100.0)
        if mark_source not in MARK_SOURCES:
            raise InvalidConfigError(f"mark_source must be one of {list(MARK_SOURCES)}, got {mark_source!r}")
        spec.mark_source = MARK_SOURCES[mark_source]
        if breakers is not None:
            if not isinstance(breakers, Breakers):
                raise InvalidConfigError(f"breakers must be a liqsim.Breakers, got {type(breakers).__name__}")
            spec.control = breakers.to_spec(inst.tick_size, unit)
        if (isinstance(funding_interval, bool) or not isinstance(funding_interval, (int, float, np.integer, np.floating))
                or not (math.isfinite(funding_interval) and 0 < funding_interval <= 1e9)):
            raise InvalidConfigError(f"funding_interval must be in (0, 1e9] seconds, got {funding_interval!r}")
        spec.funding_interval_ns = round(funding_interval * 1e9)
        spec.funding_interest_ppm = to_ppm("funding_interest", funding_interest, -1.0, 1.0)
        spec.funding_clamp_ppm = to_ppm("funding_clamp", funding_clamp, 0.0, 1.0)
        spec.funding_cap_ppm = to_ppm("funding_cap", funding_cap, 0.0, 1.0)
        engine_id = self._engine.add_instrument(spec)
        assert engine_id == inst.id
        self._instruments.append(inst)
        self._cash_unit, self._cash_unit_fixed = unit, True
        return inst.id

    def instrument(self, instrument: int) -> Instrument:
        """Metadata (grid, symbol, options) of an instrument id."""
        if (isinstance(instrument, (bool, np.bool_)) or not isinstance(instrument, (int, np.integer))
                or not 0 <= instrument < len(self._instruments)):
            raise UnknownInstrumentError(f"unknown instrument {instrument!r}")
        return self._instruments[int(instrument)]

    @property
    def instruments(self) -> list[Instrument]:
        """All instruments, indexed by id."""
        return list(self._instruments)

    def add_account(self) -> int:
        """Open an account; returns its id (0, 1, ...)."""
        return int(self._engine.add_account())

    @engine_args
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
        for name, v in (("account", account), ("order_id", order_id), ("ts", ts)):
            if v is not None and (isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))):
                raise InvalidOrderError(f"{name} must be an integer, got {v!r}")
        if not isinstance(reduce_only, (bool, np.bool_)):
            raise InvalidOrderError(f"reduce_only must be True or False, got {reduce_only!r}")
        kind_code = _parse_kind(kind)
        if kind_code == Kind.MARKET:
            if price is not None:
                raise InvalidOrderError("market orders take no price")
            price_ticks = 0
        else:
            if price is None:
                raise InvalidOrderError(f"{Kind(kind_code).name.lower()} orders need a price")
            price_ticks = inst.tick(price)
        if qty is None:
            raise InvalidOrderError("qty is required")
        return self.submit_ticks(instrument, account, _parse_side(side), price_ticks,
                                 inst.lot(qty), kind=kind_code, reduce_only=reduce_only,
                                 order_id=order_id, ts=ts)

    def submit_ticks(self, instrument: int, account: int, side: int, price: int, qty: int, *,
                     kind: int = 0, reduce_only: bool = False, order_id: int | None = None,
                     ts: int | None = None) -> int:
        """Submit one order with integer ticks/lots and codes (the lean per-order path)."""
        oid = self._engine.next_order_id if order_id is None else order_id
        try:
            self._engine.submit(instrument, account, oid, side, kind, price, qty, reduce_only,
                                self._engine.now if ts is None else ts)
        except TypeError as e:  # not an engine integer: say which (free when nothing is wrong)
            if not is_pybind_type_error(e):
                raise
            raise diagnose("submit", dict(instrument=instrument, account=account, order_id=oid, side=side,
                                          kind=kind, price_ticks=price, qty_lots=qty,
                                          reduce_only=reduce_only, ts=ts)) from None
        return int(oid)

    def cancel(self, order_id: int, *, ts: int | None = None) -> None:
        """Cancel a resting order (a CANCEL event, or CANCEL_REJECT if it is no longer live)."""
        try:
            self._engine.cancel(order_id, self._engine.now if ts is None else ts)
        except TypeError as e:
            if not is_pybind_type_error(e):
                raise
            raise diagnose("cancel", dict(order_id=order_id, ts=ts)) from None

    @engine_args
    def amend(self, order_id: int, *, price: float | None = None, qty: float | None = None,
              ts: int | None = None) -> None:
        """Change a resting order's price and/or remaining quantity (instrument units).

        Reducing the quantity at the same price keeps time priority; a larger quantity or a new
        price loses it, and a new price that crosses trades immediately.
        """
        inst_id = self._engine.order_instrument(order_id)
        if inst_id < 0:
            raise _core.UnknownOrderError(f"unknown order_id {order_id}")
        inst = self._instruments[inst_id]
        p = 0 if price is None else inst.tick(price)  # 0 = keep the current value
        q = 0 if qty is None else inst.lot(qty)
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
        cols: dict[str, Any] = {
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

    @property
    def parallel_settlement(self) -> int | None:
        """Smallest `submit_batch` (rows) that settles its fills on a second thread; None: never.

        A matching-only exchange (no `risk`, no breakers, nothing halted, FILL events recorded)
        can hand the settlement of a large batch's fills (cash, positions, fees) to a second
        core while matching goes on; results are bit for bit the same, so this is only about
        speed (about 14% faster on the matching benchmark, docs/benchmarks.md). Default 16384
        rows; set None on a machine whose other cores are busy.
        """
        return self._engine.parallel_settlement

    @parallel_settlement.setter
    def parallel_settlement(self, min_rows: int | None) -> None:
        if min_rows is not None and (isinstance(min_rows, bool) or not isinstance(min_rows, (int, np.integer))):
            raise InvalidConfigError(f"parallel_settlement must be an int >= 0 or None, got {min_rows!r}")
        self._engine.parallel_settlement = None if min_rows is None else int(min_rows)

    @property
    def park_waiting(self) -> bool:
        """Whether the risk stage parks accounts the liquidation throttle certainly keeps waiting.

        Under `liq_throttle` a cascade can leave tens of thousands of accounts due but waiting
        for the next window while the mark moves several times a second. Parked, such an
        account is not re-valued on every move, only when the mark leaves the range in which it
        is certainly still due and still too large for the window's room, when the throttle's
        state changes, or when the account itself changes (docs/clearing.md). Results are bit
        for bit the same either way (tests/test_parking.py checks it); default True, False
        re-values every waiting account at every listing, as before.
        """
        return bool(self._engine.park_waiting)

    @park_waiting.setter
    def park_waiting(self, on: bool) -> None:
        if not isinstance(on, (bool, np.bool_)):
            raise InvalidConfigError(f"park_waiting must be True or False, got {on!r}")
        self._engine.park_waiting = bool(on)

    @property
    def parked_accounts(self) -> int:
        """Accounts parked now: due for liquidation and certainly kept waiting by the throttle."""
        return int(self._engine.parked_accounts)

    @property
    def parkings(self) -> int:
        """Times an account was parked so far (see `park_waiting`)."""
        return int(self._engine.parkings)

    # -- events and state ----------------------------------------------------------------
    def drain_events(self) -> np.ndarray:
        """All events recorded since the last drain, as a structured array (EVENT_DTYPE)."""
        return self._drain() if self._drain is not None else self._engine.drain_events()

    def events_df(self) -> pd.DataFrame:
        """Drain the events as a DataFrame with readable `event` and `reason` columns."""
        return events_frame(self.drain_events())

    @engine_args
    def bbo(self, instrument: int) -> BBO:
        """Best bid/offer of an instrument, in ticks and lots."""
        return BBO(*self._engine.bbo(instrument))

    @engine_args
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

    @engine_args
    def position(self, account: int, instrument: int) -> int:
        """Signed position of an account in lots."""
        return int(self._engine.position(account, instrument))

    @engine_args
    def positions(self, instrument: int) -> np.ndarray:
        """Signed positions of all accounts in one instrument (lots, indexed by account)."""
        return self._engine.positions(instrument)

    # -- money, marks and margin -------------------------------------------------------
    def to_cash(self, usd: float) -> int:
        """USD amount in integer cash units (must be a whole number of units)."""
        if isinstance(usd, bool) or not isinstance(usd, (int, float, np.integer, np.floating)) or not math.isfinite(usd):
            raise InvalidOrderError(f"amount must be a finite number, got {usd!r}")
        if abs(usd / self._cash_unit) >= 2**63:
            raise InvalidOrderError(f"amount {usd!r} is out of range ({self._cash_unit} USD cash units, int64)")
        units = round(usd / self._cash_unit)
        if abs(units - usd / self._cash_unit) > 1e-6 * max(1.0, abs(units)):
            raise InvalidOrderError(f"amount {usd!r} is not a whole number of cash units ({self._cash_unit})")
        return int(units)

    def to_usd(self, cash: int | npt.ArrayLike) -> float | np.ndarray:
        """Cash units back to USD (floats, for display)."""
        out = np.asarray(cash, dtype=np.float64) * self._cash_unit
        return float(out) if out.ndim == 0 else out

    @engine_args
    def deposit(self, account: int, usd: float, *, ts: int | None = None) -> None:
        """Move collateral from outside into an account (a DEPOSIT event)."""
        self._engine.deposit(account, self.to_cash(usd), self._ts(ts))

    def deposit_batch(self, accounts: npt.ArrayLike, usd: npt.ArrayLike, *,
                      ts: int | None = None) -> None:
        """Deposit `usd[i]` into `accounts[i]` for every i in one C++ call (all rows are checked
        first; a bad row applies nothing and the error's `row` names it)."""
        n = len(np.atleast_1d(accounts))
        if n == 0:
            return
        acc = _column("account", accounts, n)
        raw = np.asarray(usd)
        if raw.dtype.kind not in "iuf":
            raise InvalidOrderError(f"usd must be a numeric array, got dtype {raw.dtype}")
        if raw.ndim > 1 or (raw.ndim == 1 and raw.shape != acc.shape):
            raise InvalidOrderError(f"usd has shape {raw.shape}, expected {acc.shape} like accounts")
        amounts = np.broadcast_to(raw.astype(np.float64), acc.shape)
        # The same checks as `to_cash`, row by row: finite, int64, a whole number of units (the
        # engine then applies its balance cap and names the row).
        with np.errstate(invalid="ignore", over="ignore"):
            exact = amounts / self._cash_unit
            units = np.rint(exact)
            bad = ~np.isfinite(exact) | (np.abs(exact) >= 2**63)
            bad |= np.abs(units - exact) > 1e-6 * np.maximum(1.0, np.abs(units))
        if bad.any():
            k = int(np.argmax(bad))
            err = InvalidOrderError(f"row {k}: deposit of {amounts[k]!r} USD is not a finite whole number "
                                    f"of cash units ({self._cash_unit}) within range")
            err.row = k
            raise err
        self._engine.deposit_batch(acc, units.astype(np.int64), self._ts(ts))

    @engine_args
    def withdraw(self, account: int, usd: float, *, ts: int | None = None) -> None:
        """Move collateral out; more than the free margin raises InsufficientFundsError."""
        self._engine.withdraw(account, self.to_cash(usd), self._ts(ts))

    @engine_args
    def fund_insurance(self, usd: float, *, ts: int | None = None) -> None:
        """Seed or top up the insurance fund from outside."""
        self._engine.fund_insurance(self.to_cash(usd), self._ts(ts))

    @engine_args
    def set_index(self, instrument: int, price: float, *, ts: int | None = None) -> None:
        """Set the external index price (moves the mark if the instrument's mark source is the
        index) and run liquidation checks."""
        self._engine.set_index(instrument, self.instrument(instrument).tick(price, "index"), self._ts(ts))

    @engine_args
    def set_mark(self, instrument: int, price: float, *, ts: int | None = None) -> None:
        """Force the mark price (e.g. from a replayed series) and run liquidation checks."""
        self._engine.set_mark(instrument, self.instrument(instrument).tick(price, "mark"), self._ts(ts))

    @engine_args
    def apply_funding(self, instrument: int, rate: float, *, ts: int | None = None) -> None:
        """Pay funding at `rate` x position notional at mark (longs pay shorts when positive)."""
        self._engine.apply_funding(instrument, to_ppm("funding rate", rate, -1.0, 1.0), self._ts(ts))

    @engine_args
    def set_external_mid(self, instrument: int, price: float, *, ts: int | None = None) -> None:
        """Mid of the same contract on another venue (input of the `hyperliquid` mark)."""
        self._engine.set_external_mid(instrument, self.instrument(instrument).tick(price, "mid"), self._ts(ts))

    @engine_args
    def settle_funding(self, instrument: int, *, ts: int | None = None) -> float:
        """Pay funding at the rate accumulated from premium samples (each `set_index` takes one)
        since the last settlement; returns the rate paid."""
        rate = self._engine.funding_rate(instrument) / PPM
        self._engine.settle_funding(instrument, self._ts(ts))
        return rate

    @engine_args
    def funding_rate(self, instrument: int) -> float:
        """Current funding-rate estimate (fraction per interval)."""
        return self._engine.funding_rate(instrument) / PPM

    @engine_args
    def advance(self, ts: int) -> None:
        """Move the clock to `ts` (ns): ends due halts with their reopening auctions and runs
        breaker and liquidation checks, with no other command."""
        self._engine.advance(ts)

    @engine_args
    def halt(self, instrument: int, seconds: float | None = None, *, ts: int | None = None) -> None:
        """Halt an instrument by hand for `seconds` (None: for the rest of the run)."""
        if seconds is None:
            ns = -1
        else:
            if (isinstance(seconds, bool) or not isinstance(seconds, (int, float, np.integer, np.floating))
                    or not math.isfinite(seconds) or seconds <= 0 or seconds > 1e9):
                raise InvalidOrderError(f"seconds must be a finite number in (0, 1e9] or None, got {seconds!r}")
            ns = max(1, round(seconds * 1e9))
        self._engine.halt(instrument, ns, self._ts(ts))

    @engine_args
    def trading_state(self, instrument: int) -> TradingState:
        """CONTINUOUS, HALTED (orders rest unmatched until the reopening auction) or CLOSED."""
        return TradingState(self._engine.trading_state(instrument))

    @engine_args
    def mark(self, instrument: int) -> float | None:
        """Current mark price in price units (None before the first trade or mark)."""
        m = self._engine.mark(instrument)
        return None if m is None else m * self.instrument(instrument).tick_size

    @engine_args
    def set_margin_mode(self, account: int, instrument: int, mode: str, *,
                        ts: int | None = None) -> None:
        """`"cross"` (default: one balance backs all cross positions) or `"isolated"` (the
        position has its own collateral, moved in with `add_margin`, and is liquidated alone).
        Only with no position and no open orders in that instrument."""
        if mode not in ("cross", "isolated"):
            raise InvalidConfigError(f"margin mode must be 'cross' or 'isolated', got {mode!r}")
        self._engine.set_margin_mode(account, instrument, mode == "isolated", self._ts(ts))

    def add_margin(self, account: int, instrument: int, usd: float, *, ts: int | None = None) -> None:
        """Move collateral from the account's cross balance into an isolated position."""
        self._engine.add_isolated_margin(account, instrument, self.to_cash(usd), self._ts(ts))

    def remove_margin(self, account: int, instrument: int, usd: float, *,
                      ts: int | None = None) -> None:
        """Move free collateral of an isolated position back to the cross balance."""
        self._engine.remove_isolated_margin(account, instrument, self.to_cash(usd), self._ts(ts))

    def ledger_total(self) -> int:
        """Sum of every ledger balance including isolated buckets, cash units: always 0."""
        return int(self._engine.ledger_total())

    def isolated_position(self, account: int, instrument: int) -> AccountState:
        """Margin state of an isolated position (its own bucket), in USD."""
        if not self._engine.is_isolated(account, instrument):
            raise InvalidOrderError(f"account {account} is not isolated on instrument {instrument}")
        return self._state(account, self._engine.scope_risk(account, instrument),
                           bool(self._engine.liquidatable(account)))

    @engine_args
    def account(self, account: int) -> AccountState:
        """Margin state of an account's cross part at current marks, in USD."""
        return self._state(account, self._engine.account_risk(account),
                           bool(self._engine.liquidatable(account)))

    def _state(self, account: int, r: dict[str, int], liquidatable: bool) -> AccountState:
        usd = {k: v * self._cash_unit for k, v in r.items()}
        ratio = r["maintenance"] / r["equity"] if r["equity"] > 0 else math.inf
        return AccountState(account=account, cash=usd["cash"], wallet=usd["wallet"], equity=usd["equity"],
                            unrealized_pnl=usd["upnl"], maintenance_margin=usd["maintenance"],
                            initial_margin=usd["initial"], margin_ratio=ratio,
                            free_margin=min(usd["wallet"], usd["equity"]) - usd["initial"],
                            liquidatable=liquidatable)

    @engine_args
    def liquidation_price(self, account: int, instrument: int) -> float | None:
        """Mark price at which the account hits maintenance margin (other positions at their
        marks, tier re-solved across brackets); None when flat, 0.0 when it cannot happen."""
        lp = self._engine.liquidation_price(account, instrument)
        return None if lp is None else max(0.0, lp * self.instrument(instrument).tick_size)

    @engine_args
    def bankruptcy_price(self, account: int, instrument: int) -> float | None:
        """Mark price at which the account's equity is exactly zero (None when flat)."""
        bp = self._engine.bankruptcy_price(account, instrument)
        return None if bp is None else max(0.0, bp * self.instrument(instrument).tick_size)

    @engine_args
    def entry_price(self, account: int, instrument: int) -> float | None:
        """Average entry price of the open position (None when flat)."""
        account = _account_id(account)
        self._engine.position(account, instrument)  # raises for an unknown account or instrument
        qty, basis, _ = self._engine.position_table(instrument)
        k = account + _SYSTEM_SLOTS
        if qty[k] == 0:
            return None
        inst = self.instrument(instrument)
        return float(basis[k]) / float(qty[k]) / inst.cash_per_tick_lot * inst.tick_size

    @engine_args
    def realized_pnl(self, account: int, instrument: int) -> float:
        """Realized PnL of closed lots in USD (before fees and funding)."""
        account = _account_id(account)
        self._engine.position(account, instrument)  # raises for an unknown account or instrument
        return int(self._engine.position_table(instrument)[2][account + _SYSTEM_SLOTS]) * self._cash_unit

    @engine_args
    def adl_lights(self, instrument: int, side: str | int) -> dict[int, int]:
        """ADL queue indicator 1..5 (5 = first in line) of every holder on `side`."""
        return dict(self._engine.adl_lights(instrument, _parse_side(side)))

    @property
    def insurance_fund(self) -> float:
        """Insurance fund equity at mark, USD."""
        return self._engine.insurance_fund() * self._cash_unit

    @property
    def bad_debt(self) -> float:
        """Losses bankrupt accounts left for ADL / socialization so far, USD."""
        return self._engine.bad_debt * self._cash_unit

    def balances(self) -> pd.Series:
        """Cash of every ledger account in cash units, system accounts (negative ids) first.

        Sums to exactly zero: every movement is a transfer between two ledger accounts.
        """
        cash = self._engine.balances()
        return pd.Series(cash, index=pd.RangeIndex(-_SYSTEM_SLOTS, len(cash) - _SYSTEM_SLOTS), name="cash")

    def _ts(self, ts: int | None) -> int:
        return self._engine.now if ts is None else ts

    @engine_args
    def order(self, order_id: int) -> dict[str, Any] | None:
        """A live order's state (price in ticks, leaves in lots), or None if it is not live."""
        return self._engine.order_info(order_id)

    @engine_args
    def live_orders(self, instrument: int) -> int:
        """Number of resting orders in an instrument's book."""
        return int(self._engine.live_orders(instrument))


def _check_cash_unit(cash_unit: float) -> float:
    if isinstance(cash_unit, bool) or not isinstance(cash_unit, (int, float)) or not (
            math.isfinite(cash_unit) and cash_unit > 0):
        raise InvalidConfigError(f"cash_unit must be a positive finite number, got {cash_unit!r}")
    return float(cash_unit)


def _account_id(account: Any) -> int:
    """`account` as an int if it is an integer (not a bool, float or string): Python-side
    indexing must not truncate 1.5 to 1 or wrap -5 round numpy's negative indices."""
    if isinstance(account, (bool, np.bool_)) or not isinstance(account, (int, np.integer)):
        raise InvalidOrderError(f"account must be an integer, got {account!r}")
    return int(account)


def _parse_side(side: str | int) -> int:
    if isinstance(side, str):
        key: object = side.lower()
    elif isinstance(side, (int, np.integer)) and not isinstance(side, (bool, np.bool_)):
        key = int(side)
    else:
        key = None
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
    if a.dtype.kind not in ("iub" if name == "reduce_only" else "iu"):
        hint = " (convert prices and quantities with Instrument.to_ticks / to_lots)" if name in ("price", "qty") else ""
        raise InvalidOrderError(f"{name} must be an integer array, got dtype {a.dtype}{hint}")
    if n:
        info = np.iinfo(target)
        lo, hi = a.min(), a.max()
        if lo < info.min or hi > info.max:
            bad = lo if lo < info.min else hi
            raise InvalidOrderError(f"{name} value {bad} does not fit {target}")
    return a.astype(target)

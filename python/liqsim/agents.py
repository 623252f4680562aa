"""Python agents: user code that acts every `dt` seconds of simulated time.

Subclass `PythonAgent`, open accounts in `setup`, and return orders from `act` as arrays (one
row per order, integer ticks and lots) — the whole batch goes to the engine in one call::

    class DipBuyer(liqsim.PythonAgent):
        dt = 5.0
        def setup(self, sim):
            self.account = sim.exchange.add_account()
            sim.exchange.deposit(self.account, 1e6)
        def act(self, view):
            if view.mark < 0.97 * view.scenario.price0 and view.position(self.account) == 0:
                return {"account": self.account, "side": 1, "kind": liqsim.Kind.MARKET,
                        "qty": view.lots(50_000)}
            return None
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ._core import InvalidOrderError
from .codes import Cmd

if TYPE_CHECKING:
    from .exchange import Exchange
    from .simulation import Simulation


class PythonAgent:
    """Base class of agents written in Python.

    `dt` is the action interval in simulated seconds. `setup(sim)` runs once when the
    simulation is built (open accounts, deposit collateral); `act(view)` runs every `dt` and
    returns None or a mapping of columns for `Exchange.submit_batch` (`instrument`, `account`,
    `side`, `kind`, `price`, `qty`, optional `cmd`, `order_id`, `reduce_only`). Missing
    `order_id`s are assigned; scalars broadcast.
    """

    dt: float = 1.0

    def setup(self, sim: "Simulation") -> None:
        """Open accounts and deposit collateral (called once, before the run)."""

    def act(self, view: "MarketView") -> Mapping[str, Any] | None:
        """Return orders as columns, or None."""
        return None


class MarketView:
    """What an agent sees at its turn: prices (USD), books as numpy arrays, its accounts."""

    def __init__(self, sim: "Simulation", agent: PythonAgent, levels: int = 20) -> None:
        ex = sim.exchange
        self.t: float = sim.now
        self.scenario = sim.scenario
        self.exchange: "Exchange" = ex
        perp = ex.instrument(0)
        m = ex.mark(0)
        ix = ex._engine.index(0)
        self.mark: float = math.nan if m is None else m
        self.index: float = math.nan if ix is None else ix * perp.tick_size
        #: Top `levels` of each book: dict of bid/ask price (ticks), qty (lots), count arrays.
        self.perp_book: dict[str, np.ndarray] = ex.depth(0, levels)
        self.spot_book: dict[str, np.ndarray] = ex.depth(1, levels)
        self.halted: bool = ex.trading_state(0) != 0
        self._lot = perp.lot_size
        self._tick = perp.tick_size

    def position(self, account: int, instrument: int = 0) -> int:
        """Signed position in lots."""
        return self.exchange.position(account, instrument)

    def lots(self, usd: float, price: float | None = None) -> int:
        """Lots worth `usd` at `price` (default: the mark)."""
        p = self.mark if price is None else price
        return max(1, int(usd / (p * self._lot)))

    def ticks(self, price: float) -> int:
        """Price in ticks (nearest)."""
        return int(round(price / self._tick))


def submit_orders(ex: "Exchange", orders: Mapping[str, Any], *, ts: int) -> None:
    """Send an agent's order columns as one batch at time `ts` (ns)."""
    if not isinstance(orders, Mapping):
        raise InvalidOrderError(f"act() must return a mapping of order columns or None, got {type(orders).__name__}")
    cols = dict(orders)
    n = max((np.size(v) for v in cols.values()), default=0)
    if n == 0:
        return
    cmd = np.broadcast_to(np.asarray(cols.pop("cmd", Cmd.NEW)), (n,))
    if "order_id" not in cols:
        # New orders get fresh ids; cancels and amends must name theirs.
        if np.any(cmd != Cmd.NEW):
            raise InvalidOrderError("cancel and amend rows need an order_id column")
        first = ex._engine.next_order_id
        cols["order_id"] = np.arange(first, first + n, dtype=np.int64)
    ex.submit_batch(cmd=cmd, ts=np.full(n, ts, dtype=np.int64), **cols)

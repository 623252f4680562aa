"""Circuit breakers and liquidation controls (DESIGN section 4), as typed, validated policies.

Each policy follows the real rule it is named after; compose several in one `Breakers`:

    Breakers((LULD(), LiqPause()), halt_mark="frozen")
    Breakers.of("dcb", "liq_throttle")

Times are seconds, rates fractions, notionals USD, prices instrument units; everything is
converted once to the engine's integer units.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from . import _core
from ._core import MAX_PRICE_TICKS, InvalidConfigError
from .config import seconds_to_ns, to_cash, to_ppm

HALT_MARK_MODES = {"follow_index": 0, "frozen": 1, "follow_index_liquidations_wait": 2}


@dataclass(frozen=True)
class PriceBand:
    """Binance PERCENT_PRICE: reject limit orders priced beyond +-`band` of the mark."""

    band: float = 0.05

    def apply(self, c: _core.ControlSpec, tick_size: float, cash_unit: float) -> None:
        c.breakers.price_band.enabled = True
        c.breakers.price_band.band_ppm = to_ppm("price_band.band", self.band, 0.0, 1.0, open_lo=True)


@dataclass(frozen=True)
class LULD:
    """SEC Limit Up-Limit Down (tier 1): reference = mean trade price of the last 5 minutes,
    moved only on >= 1% changes; trades only inside reference +-5%; 15 s at a band (limit state)
    -> 5 minute halt, then a reopening auction."""

    band: float = 0.05
    reference_window: float = 300.0
    reference_move: float = 0.01
    limit_state: float = 15.0
    halt: float = 300.0

    def apply(self, c: _core.ControlSpec, tick_size: float, cash_unit: float) -> None:
        s = c.breakers.luld
        s.enabled = True
        s.band_ppm = to_ppm("luld.band", self.band, 0.0, 1.0, open_lo=True)
        s.ref_window_ns = seconds_to_ns("luld.reference_window", self.reference_window, allow_zero=False)
        s.ref_move_ppm = to_ppm("luld.reference_move", self.reference_move, 0.0, 1.0)
        s.limit_state_ns = seconds_to_ns("luld.limit_state", self.limit_state, allow_zero=False)
        s.halt_ns = seconds_to_ns("luld.halt", self.halt, allow_zero=False)


@dataclass(frozen=True)
class DCB:
    """CME dynamic circuit breaker: a trade beyond the rolling 60-minute high/low -+3.5% halts
    for 2 minutes; the lookback restarts after the halt."""

    band: float = 0.035
    lookback: float = 3600.0
    halt: float = 120.0

    def apply(self, c: _core.ControlSpec, tick_size: float, cash_unit: float) -> None:
        s = c.breakers.dcb
        s.enabled = True
        s.band_ppm = to_ppm("dcb.band", self.band, 0.0, 1.0, open_lo=True)
        s.lookback_ns = seconds_to_ns("dcb.lookback", self.lookback, allow_zero=False)
        s.halt_ns = seconds_to_ns("dcb.halt", self.halt, allow_zero=False)


@dataclass(frozen=True)
class Velocity:
    """CME velocity logic: a move of more than `max_move` (price units) within `window`
    seconds pauses trading for `pause` seconds."""

    max_move: float = 300.0
    window: float = 1.0
    pause: float = 5.0

    def apply(self, c: _core.ControlSpec, tick_size: float, cash_unit: float) -> None:
        s = c.breakers.velocity
        if (isinstance(self.max_move, bool) or not isinstance(self.max_move, (int, float))
                or not (math.isfinite(self.max_move) and 0 < self.max_move / tick_size <= MAX_PRICE_TICKS)):
            raise InvalidConfigError(f"velocity.max_move must be > 0 and at most {MAX_PRICE_TICKS} ticks, "
                                     f"got {self.max_move!r}")
        s.enabled = True
        s.max_move_ticks = max(1, round(self.max_move / tick_size))
        s.window_ns = seconds_to_ns("velocity.window", self.window, allow_zero=False)
        s.pause_ns = seconds_to_ns("velocity.pause", self.pause, allow_zero=False)


@dataclass(frozen=True)
class MarketWide:
    """NYSE-style market-wide breaker: 7% / 13% / 20% below the session reference halt for
    15 min / 15 min / the rest of the run, each level once."""

    levels: tuple[float, float, float] = (0.07, 0.13, 0.20)
    halts: tuple[float, float] = (900.0, 900.0)
    reference: float | None = None

    def apply(self, c: _core.ControlSpec, tick_size: float, cash_unit: float) -> None:
        s = c.breakers.market_wide
        if len(self.levels) != 3 or len(self.halts) != 2:
            raise InvalidConfigError("market_wide needs 3 levels and 2 halt lengths")
        s.enabled = True
        s.level1_ppm, s.level2_ppm, s.level3_ppm = (
            to_ppm(f"market_wide.levels[{k}]", v, 0.0, 1.0, open_lo=True) for k, v in enumerate(self.levels))
        s.halt1_ns, s.halt2_ns = (seconds_to_ns(f"market_wide.halts[{k}]", v, allow_zero=False)
                                  for k, v in enumerate(self.halts))
        if self.reference is not None:
            if (isinstance(self.reference, bool) or not isinstance(self.reference, (int, float))
                    or not (math.isfinite(self.reference) and 1 <= round(self.reference / tick_size) <= MAX_PRICE_TICKS)):
                raise InvalidConfigError(f"market_wide.reference must be a price of at least one tick "
                                         f"({tick_size}), got {self.reference!r}")
            s.reference = round(self.reference / tick_size)


@dataclass(frozen=True)
class LiqThrottle:
    """Cap on liquidation notional (USD) per fixed `window` seconds, across all accounts and
    per account; liquidations beyond it wait for the next window.

    Given straight to an `Exchange` or `Simulation`, the caps are that engine's dollars. Inside
    a `liqsim.Policy` they are real-day dollars: experiments scale `global_cap` with the
    scenario (`Policy.breakers_for`), so the default $5M becomes $50,000 on a 1/100 preset.
    The named policy ``liq_throttle`` uses $100M."""

    global_cap: float = 5_000_000.0
    account_cap: float = 0.0
    window: float = 60.0

    def scaled(self, factor: float) -> LiqThrottle:
        """The same throttle for a market `factor` times the size: the global cap multiplied, the
        per-account cap kept (scaling a scenario changes how many traders there are, not how
        large each one is: `Scenario.scaled`)."""
        return dataclasses.replace(self, global_cap=self.global_cap * factor)

    def apply(self, c: _core.ControlSpec, tick_size: float, cash_unit: float) -> None:
        for name, v in (("global_cap", self.global_cap), ("account_cap", self.account_cap)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InvalidConfigError(f"liq_throttle.{name} must be a number, got {v!r}")
        if self.global_cap <= 0 and self.account_cap <= 0:
            raise InvalidConfigError("liq_throttle needs a positive global_cap or account_cap")
        c.liq_throttle_global = to_cash("liq_throttle.global_cap", self.global_cap, cash_unit)
        c.liq_throttle_account = to_cash("liq_throttle.account_cap", self.account_cap, cash_unit)
        c.liq_throttle_window_ns = seconds_to_ns("liq_throttle.window", self.window, allow_zero=False)


@dataclass(frozen=True)
class LiqPause:
    """Liquidations wait while the book is halted and are re-checked when it reopens."""

    def apply(self, c: _core.ControlSpec, tick_size: float, cash_unit: float) -> None:
        c.liq_pause = True


Policy = PriceBand | LULD | DCB | Velocity | MarketWide | LiqThrottle | LiqPause

POLICIES: dict[str, type] = {
    "price_band": PriceBand, "luld": LULD, "dcb": DCB, "velocity": Velocity,
    "market_wide": MarketWide, "liq_throttle": LiqThrottle, "liq_pause": LiqPause,
}


@dataclass(frozen=True)
class Breakers:
    """A composition of policies plus what happens during a halt.

    `halt_mark`: `follow_index` (the mark keeps following its source and liquidations trigger
    on it), `frozen` (the mark stays at its halt value), `follow_index_liquidations_wait` (the
    mark follows, liquidations wait for the reopen). `auction_random_end`: the reopening
    auction uncrosses up to this many seconds after the halt ends, at a seeded random moment
    (Xetra).
    """

    policies: tuple[Policy, ...] = ()
    halt_mark: str = "follow_index"
    auction_random_end: float = 0.0
    seed: int = 0

    @classmethod
    def of(cls, *names: str, **kwargs: object) -> Breakers:
        """Default-parameter policies by name, e.g. `Breakers.of("luld", "liq_pause")`."""
        unknown = [n for n in names if n not in POLICIES]
        if unknown:
            raise InvalidConfigError(f"unknown breaker policy {unknown[0]!r}; choose from {sorted(POLICIES)}")
        return cls(tuple(POLICIES[n]() for n in names), **kwargs)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        self.to_spec(1.0, 1e-6)

    def scaled(self, factor: float) -> Breakers:
        """The same breakers for a market `factor` times the size: market-wide USD amounts (the
        liquidation throttle's global cap) multiplied; per-account amounts, prices, percentages
        and times unchanged. Experiments use it to run a policy stated in real-day dollars on a
        scaled-down scenario (`liqsim.Policy.breakers_for`)."""
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not (math.isfinite(factor) and factor > 0):
            raise InvalidConfigError(f"scale factor must be a finite number > 0, got {factor!r}")
        return dataclasses.replace(self, policies=tuple(
            p.scaled(factor) if isinstance(p, LiqThrottle) else p for p in self.policies))

    def to_spec(self, tick_size: float, cash_unit: float) -> _core.ControlSpec:
        """The engine's integer ControlSpec for an instrument with this tick size."""
        if not isinstance(self.policies, tuple):
            raise InvalidConfigError(f"policies must be a tuple of breaker policies, got {self.policies!r}")
        if self.halt_mark not in HALT_MARK_MODES:
            raise InvalidConfigError(f"halt_mark must be one of {list(HALT_MARK_MODES)}, got {self.halt_mark!r}")
        kinds = [type(p) for p in self.policies]
        for p in self.policies:
            if type(p) not in POLICIES.values():
                raise InvalidConfigError(f"not a breaker policy: {p!r}")
        if len(set(kinds)) != len(kinds):
            raise InvalidConfigError("each policy may appear once")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**64:
            raise InvalidConfigError(f"seed must be an integer in [0, 2**64), got {self.seed!r}")
        c = _core.ControlSpec()
        c.halt_mark = HALT_MARK_MODES[self.halt_mark]
        c.auction_random_end_ns = seconds_to_ns("auction_random_end", self.auction_random_end)
        c.seed = self.seed
        for p in self.policies:
            p.apply(c, tick_size, cash_unit)
        _core.validate_breakers(c.breakers)
        return c

"""Typed, validated configuration: margin tiers and the risk (liquidation, backstop, ADL) rules.

Floats and USD amounts are checked here and converted once to the engine's integer units
(parts per million, cash units, nanoseconds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import _core
from ._core import InvalidConfigError

PPM = 1_000_000
NS_PER_S = 1_000_000_000

#: Binance BTCUSDT USD-M brackets: (notional cap in USD, maintenance margin rate). DESIGN s.3.
BINANCE_BTCUSDT_TIERS: tuple[tuple[float, float], ...] = (
    (50_000, 0.004), (250_000, 0.005), (1_000_000, 0.01), (10_000_000, 0.025),
    (20_000_000, 0.05), (50_000_000, 0.10), (100_000_000, 0.125), (200_000_000, 0.15),
    (300_000_000, 0.25), (500_000_000, 0.50),
)

LIQUIDATION_MODES = {"ioc_bankruptcy": 0, "partial": 1, "market": 2}
BACKSTOPS = {"insurance_fund": 0, "vault": 1}
ADL_RULES = ("pnl_leverage", "bitmex", "pro_rata", "capped_pro_rata", "leverage_draining", "random")


def to_ppm(name: str, value: float, lo: float, hi: float, *, open_lo: bool = False) -> int:
    """A rate as integer ppm, rejecting NaN, out-of-range and sub-ppm values."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidConfigError(f"{name} must be a finite number, got {value!r}")
    if value < lo or value > hi or (open_lo and value == lo):
        bracket = "(" if open_lo else "["
        raise InvalidConfigError(f"{name} must be in {bracket}{lo}, {hi}], got {value!r}")
    ppm = round(value * PPM)
    if abs(ppm - value * PPM) > 1e-6:
        raise InvalidConfigError(f"{name} {value!r} is finer than 1 ppm")
    return ppm


def seconds_to_ns(name: str, v: float, *, allow_zero: bool = True) -> int:
    """A duration in seconds as integer ns: finite, >= 0 (> 0 unless `allow_zero`) and at most
    1e9 s, so its nanoseconds fit the engine's int64 clock."""
    if (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0
            or (v == 0 and not allow_zero) or v > 1e9):
        raise InvalidConfigError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} number of "
                                 f"seconds up to 1e9, got {v!r}")
    return round(v * NS_PER_S)


def to_cash(name: str, usd: float, cash_unit: float) -> int:
    """A non-negative USD amount in whole cash units (rounded to the nearest unit)."""
    if isinstance(usd, bool) or not isinstance(usd, (int, float)) or not math.isfinite(usd) or usd < 0:
        raise InvalidConfigError(f"{name} must be a non-negative finite amount, got {usd!r}")
    exact = usd / cash_unit
    if not exact < 2**62:  # the engine's cash is int64; amounts stay below its balance cap
        raise InvalidConfigError(f"{name} {usd!r} USD is out of range ({cash_unit} USD cash units)")
    return round(exact)


def tier_brackets(tiers: tuple[tuple[float, float], ...], cash_unit: float) -> list[tuple[int, int]]:
    """(cap in USD, MMR) pairs as (cap in cash units, MMR in ppm), checked for order and range."""
    if isinstance(tiers, (str, bytes, dict)) or not isinstance(tiers, Iterable):
        raise InvalidConfigError(f"margin tiers must be a sequence of (notional_cap, mmr) pairs, got {tiers!r}")
    tiers = tuple(tiers)
    if not tiers:
        raise InvalidConfigError("margin tiers must not be empty")
    out: list[tuple[int, int]] = []
    for k, tier in enumerate(tiers):
        if isinstance(tier, (str, bytes)) or not isinstance(tier, Iterable) or len(tuple(tier)) != 2:
            raise InvalidConfigError(f"tier {k} must be (notional_cap, mmr), got {tier!r}")
        cap, mmr = tier
        cap_cash = to_cash(f"tier {k} cap", cap, cash_unit)
        mmr_ppm = to_ppm(f"tier {k} mmr", mmr, 0.0, 1.0, open_lo=True)
        if out and cap_cash <= out[-1][0]:
            raise InvalidConfigError(f"tier caps must increase: tier {k} cap {cap} <= previous")
        if out and mmr_ppm < out[-1][1]:
            raise InvalidConfigError(f"tier mmr must not decrease: tier {k} mmr {mmr} < previous")
        if cap_cash <= 0:
            raise InvalidConfigError(f"tier {k} cap must be > 0, got {cap!r}")
        out.append((cap_cash, mmr_ppm))
    return out


@dataclass(frozen=True)
class RiskConfig:
    """Margin enforcement, liquidation, backstop and ADL rules (DESIGN section 3).

    Defaults model Binance USD-M: one IOC for the whole position at the bankruptcy price, the
    insurance fund takes over the rest, ADL ranked by PnL% x margin ratio. USD amounts are
    notionals; rates are fractions; times are seconds.
    """

    liquidation: str = "ioc_bankruptcy"
    clearance_fee: float = 0.005
    partial_fraction: float = 0.2
    partial_threshold: float = 0.0
    partial_min_slice: float = 0.0
    partial_max_slice: float = 0.0
    partial_cooldown: float = 30.0
    market_slippage: float = 0.05
    max_per_step: int = 0
    backstop: str = "insurance_fund"
    vault_trigger: float = 2 / 3
    adl_rule: str = "pnl_leverage"
    adl_at_mark: bool = False
    adl_seed: int = 0
    unwind_slippage: float = 0.01
    unwind_interval: float = 1.0

    def __post_init__(self) -> None:
        self.to_spec(1e-6)  # validates every field

    def to_spec(self, cash_unit: float) -> _core.RiskSpec:
        """The engine's integer RiskSpec for an exchange with this cash unit."""
        if self.liquidation not in LIQUIDATION_MODES:
            raise InvalidConfigError(f"liquidation must be one of {sorted(LIQUIDATION_MODES)}, got {self.liquidation!r}")
        if self.backstop not in BACKSTOPS:
            raise InvalidConfigError(f"backstop must be one of {sorted(BACKSTOPS)}, got {self.backstop!r}")
        if self.adl_rule not in ADL_RULES:
            raise InvalidConfigError(f"adl_rule must be one of {list(ADL_RULES)}, got {self.adl_rule!r}")
        if isinstance(self.max_per_step, bool) or not isinstance(self.max_per_step, int) \
                or not 0 <= self.max_per_step < 2**31:
            raise InvalidConfigError(f"max_per_step must be an integer in [0, 2**31), got {self.max_per_step!r}")
        if isinstance(self.adl_seed, bool) or not isinstance(self.adl_seed, int) or not 0 <= self.adl_seed < 2**64:
            raise InvalidConfigError(f"adl_seed must be an integer in [0, 2**64), got {self.adl_seed!r}")
        if not isinstance(self.adl_at_mark, bool):
            raise InvalidConfigError(f"adl_at_mark must be True or False, got {self.adl_at_mark!r}")
        cooldown_ns = seconds_to_ns("partial_cooldown", self.partial_cooldown)
        unwind_ns = seconds_to_ns("unwind_interval", self.unwind_interval)
        if isinstance(self.vault_trigger, bool) or not isinstance(self.vault_trigger, (int, float)):
            raise InvalidConfigError(f"vault_trigger must be a number, got {self.vault_trigger!r}")
        s = _core.RiskSpec()
        s.enabled = True
        s.mode = LIQUIDATION_MODES[self.liquidation]
        s.clearance_fee_ppm = to_ppm("clearance_fee", self.clearance_fee, 0.0, 1.0)
        s.partial_fraction_ppm = to_ppm("partial_fraction", self.partial_fraction, 0.0, 1.0, open_lo=True)
        s.partial_threshold = to_cash("partial_threshold", self.partial_threshold, cash_unit)
        s.partial_min_slice = to_cash("partial_min_slice", self.partial_min_slice, cash_unit)
        s.partial_max_slice = to_cash("partial_max_slice", self.partial_max_slice, cash_unit)
        if s.partial_max_slice and s.partial_max_slice < s.partial_min_slice:
            raise InvalidConfigError("partial_max_slice must be >= partial_min_slice")
        s.partial_cooldown_ns = cooldown_ns
        s.market_slippage_ppm = to_ppm("market_slippage", self.market_slippage, 0.0, 0.999999, open_lo=True)
        s.max_per_step = self.max_per_step
        s.backstop = BACKSTOPS[self.backstop]
        s.vault_trigger_ppm = to_ppm("vault_trigger", round(self.vault_trigger, 6), 0.0, 1.0, open_lo=True)
        s.adl_rule = self.adl_rule
        s.adl_at_mark = bool(self.adl_at_mark)
        s.adl_seed = self.adl_seed
        s.unwind_interval_ns = unwind_ns
        s.unwind_slippage_ppm = to_ppm("unwind_slippage", self.unwind_slippage, 0.0, 0.999999, open_lo=True)
        return s

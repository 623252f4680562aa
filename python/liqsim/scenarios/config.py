"""Typed scenario configuration: the market model's populations and flows (DESIGN section 5).

Every class is a frozen dataclass: copy a preset and change what you need with
`dataclasses.replace`, e.g. ``replace(preset, traders=replace(preset.traders, count=50_000))``.
Amounts are USD, times seconds, rates fractions. Field names match the C++ `MarketSpec`, which
validates them and names the bad field in `InvalidConfigError`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from .. import _core
from .._core import InvalidConfigError
from ..config import BINANCE_BTCUSDT_TIERS, RiskConfig


@dataclass(frozen=True)
class Traders:
    """Leveraged traders holding positions from before the run: the liquidation map.

    Side is long with probability `long_share`; leverage is lognormal (median, sigma) clipped to
    [1, leverage_max] and to the margin tier of the position; collateral is lognormal (heavy
    tailed); entry price is P0 x exp(entry_mu + entry_sigma x N(0,1)), i.e. spread over the
    prior weeks; nobody starts within `min_distance` of its liquidation price (the prior
    weeks' noise would have liquidated them; `short_min_distance` >= 0 sets it apart for
    shorts). A share `stop_share` keeps a stop-loss at about `stop_distance` beyond
    min(entry, P0) (market order when the last trade crosses it).
    """

    count: int = 10_000
    long_share: float = 0.85
    leverage_median: float = 10.0
    leverage_sigma: float = 0.8
    leverage_max: float = 125.0
    collateral_median: float = 200.0
    collateral_sigma: float = 1.2
    collateral_max: float = 1e7
    entry_mu: float = 0.0
    entry_sigma: float = 0.03
    min_distance: float = 0.01
    short_min_distance: float = -1.0
    stop_share: float = 0.0
    stop_distance: float = 0.03


@dataclass(frozen=True)
class Breakout:
    """Breakout traders: a sell-stop entry opens a leveraged short (lognormal leverage, capped
    at 100x, and collateral) when the perp trades at P0 x (1 - d), d uniform in
    [distance_min, distance_max]. They add to the selling; a rebound liquidates them.

    An entry that finds no bids (the book is often empty at the cliff) or fills only part is
    retried after an exponential delay with mean `retry_s` seconds, at most `retries` times,
    so the short opens when the book refills instead of being lost."""

    count: int = 0
    leverage_median: float = 20.0
    leverage_sigma: float = 0.5
    collateral_median: float = 200.0
    collateral_sigma: float = 1.0
    distance_min: float = 0.01
    distance_max: float = 0.06
    retry_s: float = 5.0
    retries: int = 0


@dataclass(frozen=True)
class Makers:
    """Market makers quoting `levels` price levels per side around fair value.

    Fair value is the index (perp) or the external venue price (spot), skewed by inventory
    (`skew_bps` at `inventory_limit`; beyond the limit the adding side is not quoted). Normal
    depth is `depth_1pct` USD per side within 1%, all makers together. A maker under stress
    (1-minute realized vol above its own threshold ~ lognormal(stress_vol,
    stress_vol_dispersion), a loss beyond `stress_drawdown` of capital, or an ADL within
    `adl_stress_s`) pulls to `floor` of normal depth at its next re-quote and widens up to
    `widen` x; depth returns with time constant `rebuild_s`. Re-quotes come every
    `refresh_s` on average (exponential): the quote latency. At each re-quote a maker lays off
    `hedge_share` of its inventory on other venues (moving their price, see ExternalVenue).
    """

    count: int = 8
    capital: float = 1e6
    levels: int = 20
    half_spread_bps: float = 1.0
    level_spacing_bps: float = 5.0
    depth_1pct: float = 1e6
    refresh_s: float = 1.0
    inventory_limit: float = 2e5
    skew_bps: float = 20.0
    stress_vol: float = 0.004
    stress_vol_dispersion: float = 0.5
    stress_drawdown: float = 0.02
    adl_stress_s: float = 300.0
    floor: float = 0.02
    rebuild_s: float = 600.0
    widen: float = 4.0
    hedge_share: float = 0.0


@dataclass(frozen=True)
class Arbitrageurs:
    """Basis traders: buy the perp below index - threshold (selling spot against it), sell it
    above, up to `capital` x `leverage` per leg, `clip` USD per trade; unwind when the basis
    is back inside a third of the threshold."""

    count: int = 4
    capital: float = 1e6
    leverage: float = 3.0
    threshold_bps: float = 15.0
    clip: float = 5e4
    interval_s: float = 1.0


@dataclass(frozen=True)
class Noise:
    """Background market orders: Poisson `rate` per second, lognormal USD size."""

    rate: float = 1.0
    size_median: float = 2000.0
    size_sigma: float = 1.0
    buy_share: float = 0.5
    accounts: int = 16


@dataclass(frozen=True)
class MetaOrder:
    """Exogenous parent order: `notional` USD (negative sells) worked in equal market-order
    children every `child_interval_s` from `start_s` over `duration_s` (children wait out
    halts). `instrument` is "spot" or "perp"."""

    notional: float = -1e6
    start_s: float = 0.0
    duration_s: float = 3600.0
    child_interval_s: float = 10.0
    instrument: str = "spot"


@dataclass(frozen=True)
class IndexShock:
    """A move of the external venues' price: log return `size` spread over `duration_s`."""

    start_s: float = 0.0
    size: float = -0.02
    duration_s: float = 60.0


@dataclass(frozen=True)
class ExternalVenue:
    """Other venues' price and the perp index: index = weight_spot x our spot mid +
    weight_external x external price. The external price is a random walk (`sigma` per
    sqrt second) pulled toward our spot mid at rate `kappa` per second, plus index shocks;
    inventory our makers lay off there moves it by `impact` (log return per USD), and it
    reverts toward P0 x exp(shocks so far) at rate `reversion` per second (dip buyers)."""

    sigma: float = 0.0002
    kappa: float = 0.02
    impact: float = 0.0
    reversion: float = 0.0
    weight_spot: float = 0.5
    weight_external: float = 0.5
    update_s: float = 1.0


@dataclass(frozen=True)
class Target:
    """A calibration target: `metric` (a liqsim.metrics name) should fall in [lo, hi]."""

    metric: str
    lo: float
    hi: float
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    """A complete, reproducible market day: instruments, clearing rules, populations, flows.

    `scale` is the dollar and population scale against the real day (1.0: full size);
    `shock_start_s` marks where pre-shock baselines end (metrics). `targets` are the calibration
    ranges checked in docs/calibration.md and the tests.
    """

    name: str
    description: str = ""
    scale: float = 1.0
    price0: float = 85_000.0
    duration_s: float = 3600.0
    shock_start_s: float = 600.0
    insurance_fund: float = 1e6
    tick_size: float = 0.1
    lot_size: float = 0.001
    taker_fee: float = 0.0005
    maker_fee: float = 0.0002
    tiers: tuple[tuple[float, float], ...] = BINANCE_BTCUSDT_TIERS
    mark_source: str = "binance"
    funding: bool = True
    risk: RiskConfig = field(default_factory=RiskConfig)
    traders: Traders = field(default_factory=Traders)
    breakout: Breakout = field(default_factory=Breakout)
    perp_makers: Makers = field(default_factory=Makers)
    spot_makers: Makers = field(default_factory=lambda: Makers(count=4))
    arbitrageurs: Arbitrageurs = field(default_factory=Arbitrageurs)
    perp_noise: Noise = field(default_factory=Noise)
    spot_noise: Noise = field(default_factory=Noise)
    meta_orders: tuple[MetaOrder, ...] = ()
    index_shocks: tuple[IndexShock, ...] = ()
    external: ExternalVenue = field(default_factory=ExternalVenue)
    basis_accounts: int = 8
    sample_s: float = 1.0
    tick_s: float = 0.25
    targets: tuple[Target, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidConfigError("scenario name must be a non-empty string")
        if not (isinstance(self.scale, (int, float)) and math.isfinite(self.scale) and self.scale > 0):
            raise InvalidConfigError(f"scale must be > 0, got {self.scale!r}")
        for name in ("duration_s", "shock_start_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InvalidConfigError(f"{name} must be a finite number of seconds, got {v!r}")
        if not (0 <= self.shock_start_s <= self.duration_s):
            raise InvalidConfigError(
                f"shock_start_s must be in [0, duration_s], got {self.shock_start_s!r}")
        if not isinstance(self.risk, RiskConfig):
            raise InvalidConfigError("risk must be a liqsim.RiskConfig")
        if not isinstance(self.funding, bool):
            raise InvalidConfigError(f"funding must be True or False, got {self.funding!r}")
        for m in self.meta_orders:
            if m.instrument not in ("spot", "perp"):
                raise InvalidConfigError(f"meta order instrument must be 'spot' or 'perp', got {m.instrument!r}")
        _core.validate_market(self.market_spec())  # names the bad field
        # Fees, tiers and the mark source are the exchange's to check: build it (no accounts,
        # cheap) so a bad value fails here, at replace(), not when a run starts.
        from ..simulation import build_exchange
        build_exchange(self)

    @property
    def exogenous_notional(self) -> float:
        """USD of scheduled meta-orders (absolute). The denominator of `amplification` is what
        was executed (`Simulation.exogenous_notional`), which is less when children are cut off."""
        return float(sum(abs(m.notional) for m in self.meta_orders))

    def replace(self, **changes: Any) -> "Scenario":
        """A copy with some fields changed (validated like the original)."""
        return dataclasses.replace(self, **changes)

    def scaled(self, factor: float) -> "Scenario":
        """The same day with populations and dollar amounts multiplied by `factor`.

        Trader count, maker/arbitrageur capital, depth, noise size and meta-order notional
        scale together, so ratios (amplification, long share, drawdown) stay comparable.
        """
        if not (math.isfinite(factor) and factor > 0):
            raise InvalidConfigError(f"factor must be > 0, got {factor!r}")
        mk = lambda m: dataclasses.replace(m, capital=m.capital * factor, depth_1pct=m.depth_1pct * factor,  # noqa: E731
                                           inventory_limit=m.inventory_limit * factor)
        return dataclasses.replace(
            self, scale=self.scale * factor, insurance_fund=self.insurance_fund * factor,
            traders=dataclasses.replace(self.traders, count=max(1, round(self.traders.count * factor))),
            breakout=dataclasses.replace(self.breakout, count=round(self.breakout.count * factor)),
            perp_makers=mk(self.perp_makers), spot_makers=mk(self.spot_makers),
            arbitrageurs=dataclasses.replace(self.arbitrageurs, capital=self.arbitrageurs.capital * factor,
                                             clip=self.arbitrageurs.clip * factor),
            perp_noise=dataclasses.replace(self.perp_noise, size_median=self.perp_noise.size_median * factor),
            spot_noise=dataclasses.replace(self.spot_noise, size_median=self.spot_noise.size_median * factor),
            meta_orders=tuple(dataclasses.replace(m, notional=m.notional * factor) for m in self.meta_orders))

    def market_spec(self, cash_unit: float = 1e-6) -> _core.MarketSpec:
        """The C++ MarketSpec (perp = instrument 0, spot = instrument 1)."""
        s = _core.MarketSpec()
        s.perp, s.spot = 0, 1
        pu, su = _core.Units(), _core.Units()
        for u in (pu, su):
            u.tick_size, u.lot_size, u.cash_unit = self.tick_size, self.lot_size, cash_unit
        s.perp_units, s.spot_units = pu, su
        s.price0 = _num("price0", self.price0)
        s.duration_s = _num("duration_s", self.duration_s)
        s.sample_s = _num("sample_s", self.sample_s)
        s.tick_s = _num("tick_s", self.tick_s)
        s.insurance_fund = _num("insurance_fund", self.insurance_fund)
        s.funding = bool(self.funding)
        s.basis_accounts = _int("basis_accounts", self.basis_accounts)
        s.traders = _fill(_core.TraderSpec(), self.traders, "traders")
        s.breakout = _fill(_core.BreakoutSpec(), self.breakout, "breakout")
        s.perp_makers = _fill(_core.MakerSpec(), self.perp_makers, "perp_makers")
        s.spot_makers = _fill(_core.MakerSpec(), self.spot_makers, "spot_makers")
        s.arbitrageurs = _fill(_core.ArbSpec(), self.arbitrageurs, "arbitrageurs")
        s.perp_noise = _fill(_core.NoiseSpec(), self.perp_noise, "perp_noise")
        s.spot_noise = _fill(_core.NoiseSpec(), self.spot_noise, "spot_noise")
        metas = []
        for i, m in enumerate(self.meta_orders):
            spec = _fill(_core.MetaOrderSpec(), m, f"meta_orders[{i}]", skip=("instrument",))
            spec.instrument = 0 if m.instrument == "perp" else 1
            metas.append(spec)
        s.meta_orders = metas
        s.index_shocks = [_fill(_core.IndexShockSpec(), k, f"index_shocks[{i}]")
                          for i, k in enumerate(self.index_shocks)]
        s.external = _fill(_core.ExternalSpec(), self.external, "external")
        return s


def _num(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InvalidConfigError(f"{name} must be a number, got {v!r}")
    return float(v)


def _int(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise InvalidConfigError(f"{name} must be an integer, got {v!r}")
    return v


def _fill(spec: Any, cfg: Any, prefix: str, skip: tuple[str, ...] = ()) -> Any:
    """Copy the dataclass fields of `cfg` onto the C++ spec of the same field names."""
    for f in dataclasses.fields(cfg):
        if f.name in skip:
            continue
        v = getattr(cfg, f.name)
        name = f"{prefix}.{f.name}"
        if f.type in ("int", int):
            v = _int(name, v)
            if not -(2**62) < v < 2**62:
                raise InvalidConfigError(f"{name} out of range: {v!r}")
        else:
            v = _num(name, v)
        setattr(spec, f.name, v)
    return spec

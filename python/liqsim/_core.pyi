"""Type stub for the C++ extension module liqsim._core (see cpp/bindings/)."""

from typing import Any

import numpy as np
import numpy.typing as npt

EVENT_DTYPE: np.dtype
MAX_PRICE_TICKS: int
MAX_QTY_LOTS: int
EVENT_TYPE_CODES: dict[str, int]
REASON_CODES: dict[str, int]
KIND_CODES: dict[str, int]
CMD_CODES: dict[str, int]
STP_CODES: dict[str, int]
SYSTEM_ACCOUNTS: dict[str, int]

def pooled_event_bytes() -> int: ...
def free_pooled_events() -> None: ...

class LiqsimError(Exception):
    row: int | None

class InvalidOrderError(LiqsimError, ValueError): ...
class InvalidConfigError(LiqsimError, ValueError): ...
class DuplicateOrderIdError(InvalidOrderError): ...
class UnknownOrderError(LiqsimError, KeyError): ...
class UnknownAccountError(LiqsimError, KeyError): ...
class UnknownInstrumentError(LiqsimError, KeyError): ...
class InsufficientFundsError(LiqsimError, ValueError): ...

class InstrumentSpec:
    """Integer configuration of an instrument (built by liqsim.Exchange.add_instrument)."""

    symbol: str
    stp: int
    market_band_ppm: int
    cash_per_tick_lot: int
    taker_fee_ppm: int
    maker_fee_ppm: int
    tiers: list[tuple[int, int]]
    im_multiplier_ppm: int
    mark_source: int
    control: ControlSpec
    funding_interval_ns: int
    funding_interest_ppm: int
    funding_clamp_ppm: int
    funding_cap_ppm: int
    def __init__(self) -> None: ...

class PriceBandSpec:
    enabled: bool
    band_ppm: int
    symmetric: bool

class LuldSpec:
    enabled: bool
    band_ppm: int
    ref_window_ns: int
    ref_move_ppm: int
    limit_state_ns: int
    halt_ns: int

class DcbSpec:
    enabled: bool
    lookback_ns: int
    band_ppm: int
    halt_ns: int

class VelocitySpec:
    enabled: bool
    max_move_ticks: int
    window_ns: int
    pause_ns: int

class MarketWideSpec:
    enabled: bool
    level1_ppm: int
    level2_ppm: int
    level3_ppm: int
    halt1_ns: int
    halt2_ns: int
    reference: int

class BreakerSpec:
    price_band: PriceBandSpec
    luld: LuldSpec
    dcb: DcbSpec
    velocity: VelocitySpec
    market_wide: MarketWideSpec

class ControlSpec:
    """Integer breaker and liquidation-control configuration of an instrument."""

    breakers: BreakerSpec
    halt_mark: int
    liq_pause: bool
    liq_throttle_global: int
    liq_throttle_account: int
    liq_throttle_window_ns: int
    auction_random_end_ns: int
    seed: int
    def __init__(self) -> None: ...

def validate_breakers(spec: BreakerSpec) -> None: ...
HALT_REASON_CODES: dict[str, int]

class RiskSpec:
    """Integer risk rules (built by liqsim.RiskConfig.to_spec)."""

    enabled: bool
    mode: int
    clearance_fee_ppm: int
    partial_fraction_ppm: int
    partial_threshold: int
    partial_min_slice: int
    partial_max_slice: int
    partial_cooldown_ns: int
    market_slippage_ppm: int
    max_per_step: int
    backstop: int
    vault_trigger_ppm: int
    adl_rule: str
    adl_at_mark: bool
    adl_seed: int
    unwind_slippage_ppm: int
    unwind_interval_ns: int
    def __init__(self) -> None: ...

class Engine:
    """The C++ exchange (ticks, lots, ns; see liqsim.Exchange)."""

    def __init__(self, risk: RiskSpec = ...) -> None: ...
    def add_instrument(self, spec: InstrumentSpec) -> int: ...
    def add_account(self) -> int: ...
    def add_accounts(self, n: int) -> int: ...
    def submit(self, instrument: int, account: int, order_id: int, side: int, kind: int,
               price: int, qty: int, reduce_only: bool, ts: int) -> None: ...
    def cancel(self, order_id: int, ts: int) -> None: ...
    def amend(self, order_id: int, price: int, qty: int, ts: int) -> None: ...
    def run_batch(self, cmd: np.ndarray, instrument: np.ndarray, order_id: np.ndarray,
                  account: np.ndarray, side: np.ndarray, kind: np.ndarray, price: np.ndarray,
                  qty: np.ndarray, reduce_only: np.ndarray | None = None,
                  ts: np.ndarray | None = None) -> None:
        """Arrays must be C-contiguous with dtypes uint8, int32, int64, int32, int8, uint8,
        int64, int64 (and uint8, int64)."""
    parallel_settlement: int | None
    """Smallest batch that settles its fills on a second thread (None: never)."""
    park_waiting: bool
    """Leave accounts the throttle certainly keeps waiting out of risk-stage listings."""
    @property
    def parked_accounts(self) -> int: ...
    @property
    def parkings(self) -> int: ...
    @property
    def parallel_batches(self) -> int: ...
    def drain_events(self) -> np.ndarray: ...
    @property
    def pending_events(self) -> int: ...
    @property
    def next_seq(self) -> int: ...
    event_mask: int
    def bbo(self, instrument: int) -> tuple[int | None, int | None, int | None, int | None]: ...
    def depth(self, instrument: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                       np.ndarray, np.ndarray, np.ndarray]: ...
    def position(self, account: int, instrument: int) -> int: ...
    def positions(self, instrument: int) -> npt.NDArray[np.int64]: ...
    def order_info(self, order_id: int) -> dict[str, Any] | None: ...
    def order_seen(self, order_id: int) -> bool: ...
    def order_instrument(self, order_id: int) -> int: ...
    def live_orders(self, instrument: int) -> int: ...
    @property
    def now(self) -> int: ...
    @property
    def next_order_id(self) -> int: ...
    @property
    def num_accounts(self) -> int: ...
    @property
    def num_instruments(self) -> int: ...
    # money, marks, margin (cash units, ticks, ppm)
    def deposit(self, account: int, amount: int, ts: int) -> None: ...
    def deposit_batch(self, accounts: npt.NDArray[np.int32], amounts: npt.NDArray[np.int64], ts: int) -> None: ...
    def withdraw(self, account: int, amount: int, ts: int) -> None: ...
    def set_margin_mode(self, account: int, instrument: int, isolated: bool, ts: int) -> None: ...
    def add_isolated_margin(self, account: int, instrument: int, amount: int, ts: int) -> None: ...
    def remove_isolated_margin(self, account: int, instrument: int, amount: int, ts: int) -> None: ...
    def is_isolated(self, account: int, instrument: int) -> bool: ...
    def scope_risk(self, account: int, scope: int) -> dict[str, int]: ...
    def fund_insurance(self, amount: int, ts: int) -> None: ...
    def set_index(self, instrument: int, index: int, ts: int) -> None: ...
    def set_mark(self, instrument: int, mark: int, ts: int) -> None: ...
    def set_external_mid(self, instrument: int, mid: int, ts: int) -> None: ...
    def apply_funding(self, instrument: int, rate_ppm: int, ts: int) -> None: ...
    def settle_funding(self, instrument: int, ts: int) -> None: ...
    def funding_rate(self, instrument: int) -> int: ...
    def mark(self, instrument: int) -> int | None: ...
    def index(self, instrument: int) -> int | None: ...
    def last_trade(self, instrument: int) -> int | None: ...
    def account_risk(self, account: int) -> dict[str, int]: ...
    def liquidatable(self, account: int) -> bool: ...
    def liquidation_price(self, account: int, instrument: int) -> float | None: ...
    def bankruptcy_price(self, account: int, instrument: int) -> float | None: ...
    def cash(self, account: int) -> int: ...
    def ledger_total(self) -> int: ...
    def balances(self) -> npt.NDArray[np.int64]: ...
    def position_table(self, instrument: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
    def open_interest(self, instrument: int) -> int: ...
    def insurance_fund(self) -> int: ...
    def advance(self, ts: int) -> None: ...
    def halt(self, instrument: int, duration_ns: int, ts: int) -> None: ...
    def set_control(self, instrument: int, control: ControlSpec, ts: int) -> None: ...
    def transfer_positions(self, instrument: int, counterparty: int, accounts: npt.NDArray[np.int32],
                           qty: npt.NDArray[np.int64], price: npt.NDArray[np.int64], ts: int) -> None: ...
    def trading_state(self, instrument: int) -> int: ...
    def halt_until(self, instrument: int) -> int: ...
    def breaker_state(self, instrument: int) -> dict[str, int]: ...
    @property
    def bad_debt(self) -> int: ...
    def adl_lights(self, instrument: int, side: int) -> dict[int, int]: ...
    def tier_table(self, instrument: int) -> list[tuple[int, int, int]]: ...
    def maintenance_for(self, instrument: int, notional: int) -> int: ...

# -- market model (cpp/include/liqsim/market) -------------------------------------------------
class Units:
    tick_size: float
    lot_size: float
    cash_unit: float
    def __init__(self) -> None: ...

class TraderSpec:
    count: int
    long_share: float
    leverage_median: float
    leverage_sigma: float
    leverage_max: float
    collateral_median: float
    collateral_sigma: float
    collateral_max: float
    entry_mu: float
    entry_sigma: float
    min_distance: float
    short_min_distance: float
    stop_share: float
    stop_distance: float
    def __init__(self) -> None: ...

class BreakoutSpec:
    count: int
    leverage_median: float
    leverage_sigma: float
    collateral_median: float
    collateral_sigma: float
    distance_min: float
    distance_max: float
    retry_s: float
    retries: int
    def __init__(self) -> None: ...

class MakerSpec:
    count: int
    capital: float
    levels: int
    half_spread_bps: float
    level_spacing_bps: float
    depth_1pct: float
    refresh_s: float
    inventory_limit: float
    skew_bps: float
    stress_vol: float
    stress_vol_dispersion: float
    stress_drawdown: float
    adl_stress_s: float
    floor: float
    rebuild_s: float
    widen: float
    hedge_share: float
    def __init__(self) -> None: ...

class ArbSpec:
    count: int
    capital: float
    leverage: float
    threshold_bps: float
    clip: float
    interval_s: float
    def __init__(self) -> None: ...

class NoiseSpec:
    rate: float
    size_median: float
    size_sigma: float
    buy_share: float
    accounts: int
    def __init__(self) -> None: ...

class MetaOrderSpec:
    instrument: int
    notional: float
    start_s: float
    duration_s: float
    child_interval_s: float
    def __init__(self) -> None: ...

class IndexShockSpec:
    start_s: float
    size: float
    duration_s: float
    def __init__(self) -> None: ...

class ExternalSpec:
    sigma: float
    kappa: float
    impact: float
    reversion: float
    weight_spot: float
    weight_external: float
    update_s: float
    def __init__(self) -> None: ...

class MarketSpec:
    perp: int
    spot: int
    perp_units: Units
    spot_units: Units
    price0: float
    duration_s: float
    sample_s: float
    tick_s: float
    insurance_fund: float
    funding: bool
    basis_accounts: int
    traders: TraderSpec
    breakout: BreakoutSpec
    perp_makers: MakerSpec
    spot_makers: MakerSpec
    arbitrageurs: ArbSpec
    perp_noise: NoiseSpec
    spot_noise: NoiseSpec
    meta_orders: list[MetaOrderSpec]
    index_shocks: list[IndexShockSpec]
    external: ExternalSpec
    event_mask: int
    def __init__(self) -> None: ...

def validate_market(spec: MarketSpec) -> None: ...

class Simulation:
    def __init__(self, engine: Engine, spec: MarketSpec, seed: int) -> None: ...
    def run_until(self, t: int) -> None: ...
    @property
    def now(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def done(self) -> bool: ...
    @property
    def seed(self) -> int: ...
    @property
    def engine(self) -> Engine: ...
    def take_events(self) -> npt.NDArray[np.void]: ...
    def series(self) -> dict[str, npt.NDArray[np.float64]]: ...
    def copy(self) -> Simulation: ...
    def __copy__(self) -> Simulation: ...
    def __deepcopy__(self, memo: dict[Any, Any]) -> Simulation: ...
    @property
    def first_trader(self) -> int: ...
    @property
    def trader_count(self) -> int: ...
    @property
    def maker_accounts(self) -> npt.NDArray[np.int32]: ...
    @property
    def arbitrageur_accounts(self) -> npt.NDArray[np.int32]: ...
    @property
    def breakout_accounts(self) -> npt.NDArray[np.int32]: ...
    @property
    def basis_accounts(self) -> npt.NDArray[np.int32]: ...
    @property
    def noise_accounts(self) -> npt.NDArray[np.int32]: ...
    @property
    def meta_accounts(self) -> npt.NDArray[np.int32]: ...
    @property
    def trader_leverage(self) -> npt.NDArray[np.float64]: ...
    @property
    def trader_collateral(self) -> npt.NDArray[np.float64]: ...
    @property
    def trader_entry(self) -> npt.NDArray[np.float64]: ...
    @property
    def trader_qty(self) -> npt.NDArray[np.int64]: ...
    def trader_liquidation_prices(self) -> npt.NDArray[np.float64]: ...
    @property
    def exogenous_notional(self) -> float: ...
    @property
    def external_price(self) -> float: ...
    @property
    def tasks_run(self) -> int: ...
    @property
    def events_emitted(self) -> int: ...

"""liqsim: an exchange clearing-engine emulator for liquidation-cascade experiments.

The engine (matching, clearing, liquidation, ADL, circuit breakers and the market model) is
C++ in `liqsim._core`; this package is its Python API. Start with `liqsim.run` / `liqsim.compare`
(experiments), `liqsim.Simulation` (one scenario run) or `liqsim.Exchange` (a bare exchange).
"""

from ._core import (
    EVENT_DTYPE,
    DuplicateOrderIdError,
    InsufficientFundsError,
    InvalidConfigError,
    InvalidOrderError,
    LiqsimError,
    UnknownAccountError,
    UnknownInstrumentError,
    UnknownOrderError,
)
from .breakers import DCB, LULD, Breakers, LiqPause, LiqThrottle, MarketWide, PriceBand, Velocity
from .codes import Cmd, EventType, HaltReason, Kind, Reason, Side, SystemAccount, TradingState
from .config import BINANCE_BTCUSDT_TIERS, RiskConfig
from .events import events_frame
from .exchange import BBO, AccountState, Exchange
from .instrument import Instrument
from . import analysis, scenarios
from .agents import MarketView, PythonAgent
from .scenarios import Scenario
from .simulation import Simulation
from .harness import Comparison, RunResult, compare, fork, run
from .policies import Policy, get_policy

__version__ = "0.1.0"

__all__ = [
    "BBO",
    "DCB",
    "LULD",
    "Breakers",
    "HaltReason",
    "LiqPause",
    "LiqThrottle",
    "MarketWide",
    "PriceBand",
    "TradingState",
    "Velocity",
    "BINANCE_BTCUSDT_TIERS",
    "AccountState",
    "InsufficientFundsError",
    "RiskConfig",
    "SystemAccount",
    "EVENT_DTYPE",
    "Cmd",
    "DuplicateOrderIdError",
    "EventType",
    "Exchange",
    "Instrument",
    "InvalidConfigError",
    "InvalidOrderError",
    "Kind",
    "LiqsimError",
    "Reason",
    "Side",
    "UnknownAccountError",
    "UnknownInstrumentError",
    "UnknownOrderError",
    "events_frame",
    "MarketView",
    "PythonAgent",
    "Scenario",
    "Simulation",
    "analysis",
    "scenarios",
    "Comparison",
    "Policy",
    "RunResult",
    "compare",
    "fork",
    "get_policy",
    "run",
]

"""Integer codes used in commands and event records.

The C++ engine is the source of truth; each enum here is checked against the engine's own table
when the package is imported, so the two can never drift apart silently.
"""

from __future__ import annotations

from enum import IntEnum

from . import _core


class Cmd(IntEnum):
    """Command code of a batch row."""

    NEW = 0
    CANCEL = 1
    AMEND = 2


class Kind(IntEnum):
    """Order kind: type and time in force in one code (docs/matching.md)."""

    LIMIT = 0
    IOC = 1
    FOK = 2
    POST_ONLY = 3
    MARKET = 4


class Side(IntEnum):
    """Order side as stored in arrays and events."""

    BUY = 1
    SELL = -1


class EventType(IntEnum):
    """`type` field of an event record."""

    ACCEPT = 1
    REJECT = 2
    FILL = 3
    CANCEL = 4
    EXPIRE = 5
    AMEND = 6
    CANCEL_REJECT = 7
    AMEND_REJECT = 8
    LIQUIDATION = 9
    TAKEOVER = 10
    ADL_FILL = 11
    FUNDING = 12
    INSURANCE_FUND = 13
    BAD_DEBT = 14
    DEPOSIT = 15
    WITHDRAWAL = 16
    MARK = 17
    STATE = 18
    TRANSFER = 19


class Reason(IntEnum):
    """`code` field of REJECT, CANCEL, EXPIRE, CANCEL_REJECT and AMEND_REJECT events."""

    NONE = 0
    USER_CANCEL = 1
    SELF_TRADE = 2
    REDUCE_ONLY = 3
    POST_ONLY_WOULD_CROSS = 4
    IOC_REMAINDER = 5
    FOK_UNFILLABLE = 6
    MARKET_REMAINDER = 7
    NO_LIQUIDITY = 8
    TOO_LATE = 9
    INSUFFICIENT_MARGIN = 10
    LIQUIDATION = 11
    CLEARANCE_FEE = 12
    TAKEOVER_LOSS = 13
    SOCIALIZED = 14
    HALTED = 15
    PRICE_BAND = 16
    BACKSTOP_UNWIND = 17  # FILL code of the insurance fund / vault unwinding a taken-over position


class HaltReason(IntEnum):
    """`code` of a STATE event that starts a halt (0 on a reopen)."""

    NONE = 0
    LULD = 1
    DCB = 2
    VELOCITY = 3
    MARKET_WIDE_1 = 4
    MARKET_WIDE_2 = 5
    MARKET_WIDE_3 = 6


class TradingState(IntEnum):
    """Trading state of an instrument (`side` of a STATE event)."""

    CONTINUOUS = 0
    HALTED = 1
    CLOSED = 2


class SystemAccount(IntEnum):
    """Ledger accounts the exchange itself holds (negative ids)."""

    INSURANCE_FUND = -1
    BACKSTOP_VAULT = -2
    FEE_POOL = -3
    EXTERNAL = -4


STP_MODES: dict[str, int] = dict(_core.STP_CODES)


def _check(enum: type[IntEnum], table: dict[str, int]) -> None:
    mine = {m.name: int(m.value) for m in enum}
    if mine != dict(table):
        raise ImportError(f"liqsim.{enum.__name__} does not match the engine: {mine} != {table}")


_check(Cmd, _core.CMD_CODES)
_check(Kind, _core.KIND_CODES)
_check(EventType, _core.EVENT_TYPE_CODES)
_check(Reason, _core.REASON_CODES)
_check(SystemAccount, _core.SYSTEM_ACCOUNTS)
_check(HaltReason, _core.HALT_REASON_CODES)

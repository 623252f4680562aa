"""Named breaker / clearing policies that experiments compare (DESIGN sections 3, 4 and 7).

A `Policy` is what one arm of a comparison changes relative to the scenario: circuit breakers on
the perp (`breakers`) and/or changes to the scenario's clearing rules (`risk_changes`, applied
with `dataclasses.replace` to ``scenario.risk``). Get one by name with `get_policy`:

    get_policy("luld")                 # SEC LULD tier 1
    get_policy("dcb+liq_throttle")     # any "+" combination of named policies
    get_policy(Policy("my_band", breakers=Breakers((PriceBand(0.02),))))  # your own

Dollar amounts in a policy's breakers (the liquidation throttle's global cap) are real-day
USD: a policy runs a scenario with them multiplied by the scenario's `scale`
(`Policy.breakers_for`), as the scenario scales its own market-wide dollars (insurance fund,
flows). So ``liq_throttle``, $100M of liquidation notional per 60 s of the real day, is $1M per
minute on a 1/100 preset and $5M on the 1/20 ``oct10-2025``.

Combinations merge the breaker parts (each breaker kind at most once) and the clearing changes
(a field may be set only once). ``liq_pause`` defers liquidations while the book is halted, so
it needs something that halts the book: alone it is paired with LULD, as on real venues where
the pause follows an exchange halt; combined with another halting breaker (``luld``, ``dcb``,
``velocity``, ``market_wide``) it uses that one instead (``dcb+liq_pause`` = DCB + pause, no
LULD).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Union

from ._core import InvalidConfigError
from .breakers import DCB, LULD, Breakers, LiqPause, LiqThrottle, MarketWide, PriceBand, Velocity
from .breakers import Policy as BreakerPart
from .config import RiskConfig
from .scenarios.config import Scenario

__all__ = ["POLICIES", "Policy", "PolicyLike", "get_policy", "policy_names"]

_RISK_FIELDS = frozenset(f.name for f in dataclasses.fields(RiskConfig))
_HALT_SOURCES = (LULD, DCB, Velocity, MarketWide)


@dataclass(frozen=True)
class Policy:
    """One arm of a comparison: circuit breakers and/or clearing-rule changes.

    Attributes:
        name: label used in tables, file names and figures (unique within a comparison).
        description: one line for reports.
        breakers: breakers on the perp, or None for none. Their dollar amounts are real-day
            USD, scaled to each scenario by `breakers_for`.
        risk_changes: ``(field, value)`` pairs replacing fields of the scenario's `RiskConfig`
            (e.g. ``(("adl_rule", "pro_rata"),)``); empty to keep the scenario's rules.
    """

    name: str
    description: str = ""
    breakers: Breakers | None = None
    risk_changes: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidConfigError("policy name must be a non-empty string")
        if self.breakers is not None and not isinstance(self.breakers, Breakers):
            raise InvalidConfigError(f"policy {self.name!r}: breakers must be a liqsim.Breakers or None, "
                                     f"got {type(self.breakers).__name__}")
        if isinstance(self.risk_changes, (str, bytes)) or not isinstance(self.risk_changes, tuple):
            raise InvalidConfigError(f"policy {self.name!r}: risk_changes must be a tuple of (field, value)")
        fields = []
        for change in self.risk_changes:
            if not (isinstance(change, tuple) and len(change) == 2 and isinstance(change[0], str)):
                raise InvalidConfigError(f"policy {self.name!r}: risk change {change!r} is not (field, value)")
            if change[0] not in _RISK_FIELDS:
                raise InvalidConfigError(f"policy {self.name!r}: RiskConfig has no field {change[0]!r} "
                                         f"(fields: {sorted(_RISK_FIELDS)})")
            fields.append(change[0])
        if len(set(fields)) != len(fields):
            raise InvalidConfigError(f"policy {self.name!r}: a RiskConfig field is changed twice: {fields}")
        if self.risk_changes:
            self.apply_risk(RiskConfig())  # validates the values

    @property
    def changes_clearing(self) -> bool:
        """True if the policy changes clearing rules (these cannot be switched mid-run)."""
        return bool(self.risk_changes)

    def apply_risk(self, risk: RiskConfig) -> RiskConfig:
        """``risk`` with this policy's changes applied (validated by `RiskConfig`)."""
        return dataclasses.replace(risk, **dict(self.risk_changes)) if self.risk_changes else risk

    def risk_for(self, scenario: Scenario) -> RiskConfig:
        """The clearing rules this policy runs ``scenario`` with."""
        return self.apply_risk(scenario.risk)

    def breakers_for(self, scenario: Scenario) -> Breakers | None:
        """The breakers this policy runs ``scenario`` with: `breakers` with their dollar amounts
        (stated for the real day) scaled by ``scenario.scale``."""
        return None if self.breakers is None else self.breakers.scaled(scenario.scale)


PolicyLike = Union[str, Policy]
"""A policy name (``"luld"``, ``"dcb+liq_throttle"``) or a `Policy`."""


def _breakers(*parts: BreakerPart) -> Breakers:
    return Breakers(tuple(parts))


#: The named throttle: $100M of liquidation notional per 60 s at the real day's size. Scaled to
#: the presets it is 2-3% of oct10's busiest minute without breakers, 5-10% of nov21's and
#: 40-140% of nov3's (seeds 0-3), so it binds hard on oct10, at the peak on nov21, barely on nov3.
_THROTTLE = LiqThrottle(global_cap=100e6)

POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy("none", "no breakers, the scenario's clearing rules"),
    Policy("price_band", "Binance PERCENT_PRICE: orders beyond +-5% of the mark rejected",
           _breakers(PriceBand())),
    Policy("luld", "SEC LULD tier 1: +-5% band around the 5-min mean, 15 s limit state -> 5 min halt",
           _breakers(LULD())),
    Policy("dcb", "CME dynamic circuit breaker: 60-min high/low +-3.5% -> 2 min halt", _breakers(DCB())),
    Policy("velocity", "CME velocity logic: a fast move pauses trading for a few seconds",
           _breakers(Velocity())),
    Policy("market_wide", "market-wide breaker: -7% / -13% / -20% -> 15 min / 15 min / close",
           _breakers(MarketWide())),
    Policy("liq_throttle", "liquidations capped at $100M notional (real-day USD) per 60 s window; excess waits",
           _breakers(_THROTTLE)),
    Policy("liq_pause", "liquidations wait while the book is halted (halts from LULD)",
           _breakers(LULD(), LiqPause())),
    Policy("luld+liq_pause", "LULD halts, liquidations wait during them", _breakers(LULD(), LiqPause())),
    Policy("dcb+liq_throttle", "CME DCB plus the liquidation throttle", _breakers(DCB(), _THROTTLE)),
    Policy("adl_pro_rata", "ADL pro rata over the opposite-side positions (largest remainder)",
           risk_changes=(("adl_rule", "pro_rata"),)),
    Policy("adl_bitmex", "ADL ranked BitMEX-style (PnL% x leverage)", risk_changes=(("adl_rule", "bitmex"),)),
    Policy("adl_at_mark", "ADL closes at the mark, not the bankruptcy price; the rest is socialized",
           risk_changes=(("adl_at_mark", True),)),
    Policy("partial_liquidation", "partial liquidation in slices (Hyperliquid/dYdX) instead of one IOC",
           risk_changes=(("liquidation", "partial"),)),
    # docs/experiments.md: on nov21 the DCB's bad seeds come from the fund selling its takeovers
    # back after each reopening; this arm keeps them instead (the fund carries the price risk).
    Policy("hold_takeovers", "the backstop keeps the positions it takes over to the end of the run "
           "instead of selling them back into the book", risk_changes=(("unwind_interval", 1e9),)),
)}
"""The named policies, by name."""

# Building blocks for "+" combinations: a policy's breaker parts, with liq_pause standing alone.
_PARTS: dict[str, tuple[BreakerPart, ...]] = {
    name: (p.breakers.policies if p.breakers is not None else ()) for name, p in POLICIES.items()}
_PARTS["liq_pause"] = (LiqPause(),)


def policy_names() -> list[str]:
    """Names `get_policy` accepts directly (combinations with "+" are accepted too)."""
    return list(POLICIES)


def get_policy(policy: PolicyLike) -> Policy:
    """The `Policy` for a name, a "+" combination of names, or a `Policy` (returned as is).

    Raises:
        InvalidConfigError: an unknown name (the message lists the known ones), or a
            combination that sets a breaker kind or a clearing field twice in different ways.
    """
    if isinstance(policy, Policy):
        return policy
    if not isinstance(policy, str):
        raise InvalidConfigError(f"policy must be a name or a liqsim Policy, got {type(policy).__name__}")
    if policy in POLICIES:
        return POLICIES[policy]
    names = [n.strip() for n in policy.split("+")]
    unknown = [n for n in names if n not in POLICIES]
    if unknown or len(names) < 2:
        bad = unknown[0] if unknown else policy
        raise InvalidConfigError(f"unknown policy {bad!r}; choose from {', '.join(POLICIES)} "
                                 "or combine them with '+' (e.g. 'dcb+liq_throttle')")
    return _combine(policy, [POLICIES[n] for n in names], [_PARTS[n] for n in names])


def _combine(name: str, policies: list[Policy], parts: list[tuple[BreakerPart, ...]]) -> Policy:
    merged: list[BreakerPart] = []
    for part in (p for ps in parts for p in ps):
        same_kind = [m for m in merged if type(m) is type(part)]
        if same_kind and same_kind[0] != part:
            raise InvalidConfigError(f"policy {name!r} sets {type(part).__name__} twice with different parameters")
        if not same_kind:
            merged.append(part)
    if any(isinstance(p, LiqPause) for p in merged) and not any(isinstance(p, _HALT_SOURCES) for p in merged):
        merged.insert(0, LULD())  # liq_pause needs a halt source; LULD as for "liq_pause" alone
    halt_marks = {p.breakers.halt_mark for p in policies if p.breakers is not None}
    if len(halt_marks) > 1:
        raise InvalidConfigError(f"policy {name!r} combines different halt_mark modes {sorted(halt_marks)}")
    risk: dict[str, Any] = {}
    for p in policies:
        for field, value in p.risk_changes:
            if field in risk and risk[field] != value:
                raise InvalidConfigError(f"policy {name!r} sets RiskConfig.{field} to both "
                                         f"{risk[field]!r} and {value!r}")
            risk[field] = value
    breakers = Breakers(tuple(merged), halt_mark=halt_marks.pop()) if merged and halt_marks else None
    return Policy(name, "combination of " + " + ".join(p.name for p in policies), breakers,
                  tuple(risk.items()))

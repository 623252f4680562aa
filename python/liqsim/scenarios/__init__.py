"""Scenario presets and their typed configuration (DESIGN section 6).

`liqsim.scenarios.names()` lists the presets; `liqsim.scenarios.get(name)` returns one as a
`Scenario` you can copy and change with `dataclasses.replace` / `Scenario.replace`.
"""

from .config import (
    Arbitrageurs,
    Breakout,
    ExternalVenue,
    IndexShock,
    Makers,
    MetaOrder,
    Noise,
    Scenario,
    Target,
    Traders,
)
from .presets import PRESETS, get, names

__all__ = ["Arbitrageurs", "Breakout", "ExternalVenue", "IndexShock", "Makers", "MetaOrder", "Noise",
           "PRESETS", "Scenario", "Target", "Traders", "get", "names"]

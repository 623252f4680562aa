"""Event records as numpy structured arrays and pandas DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import EVENT_DTYPE
from .codes import EventType, Reason

_EVENT_NAMES = pd.CategoricalDtype([t.name for t in EventType])
_REASON_NAMES = pd.CategoricalDtype([r.name for r in Reason])
_REASON_EVENTS = (EventType.REJECT, EventType.CANCEL, EventType.EXPIRE, EventType.CANCEL_REJECT,
                  EventType.AMEND_REJECT, EventType.INSURANCE_FUND, EventType.BAD_DEBT)  # STATE: HaltReason


def events_frame(events: np.ndarray) -> pd.DataFrame:
    """A DataFrame of event records with `event` and `reason` names next to the raw codes."""
    if events.dtype != EVENT_DTYPE:
        raise TypeError(f"expected an array of dtype liqsim.EVENT_DTYPE, got {events.dtype}")
    df = pd.DataFrame(events)
    df.insert(2, "event", pd.Categorical.from_codes(
        np.searchsorted([int(t) for t in EventType], df["type"].to_numpy()), dtype=_EVENT_NAMES))
    reasons = pd.Series(pd.Categorical.from_codes(df["code"].to_numpy().astype(np.int64),
                                                  dtype=_REASON_NAMES), index=df.index)
    # `code` is a Reason only on these events (the order kind on ACCEPT, the liquidation mode on
    # LIQUIDATION, the priority flag on AMEND, ...).
    is_reason = df["type"].isin([int(t) for t in _REASON_EVENTS])
    df.insert(3, "reason", reasons.where(is_reason))
    return df

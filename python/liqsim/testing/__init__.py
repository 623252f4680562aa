"""Testing helpers for liqsim: a pure-Python reference matcher to check the engine against."""

from .reference import REF_EVENT_DTYPE, ReferenceExchange

__all__ = ["REF_EVENT_DTYPE", "ReferenceExchange"]

"""Turning pybind11's argument errors into the package's own, naming the field and value.

The engine's bindings take C++ integers; a Python value that does not convert (a float id, a
string account, an int beyond int64) makes pybind11 raise a bare ``TypeError: incompatible
function arguments`` that names neither. Public methods catch that error (only then: the
check costs nothing on the normal path) and `diagnose` finds the argument at fault.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar

import numpy as np

from ._core import InvalidOrderError, LiqsimError, UnknownAccountError, UnknownInstrumentError

F = TypeVar("F", bound=Callable[..., Any])

# Width of the engine's integer for an argument name (int64 unless listed).
_BITS = {"instrument": 32, "account": 32, "side": 8, "kind": 8, "n": 64, "levels": 64}
# Arguments that are not engine integers (converted in Python first), skipped by `diagnose`.
_NOT_INTS = {"self", "usd", "price", "qty", "seconds", "mode", "rate"}


def is_pybind_type_error(e: TypeError) -> bool:
    """True for pybind11's "incompatible function arguments" error."""
    return "incompatible function arguments" in str(e)


def diagnose(call: str, named: dict[str, Any]) -> LiqsimError:
    """The package error for the first argument in `named` the engine cannot take."""
    for name, v in named.items():
        if name == "reduce_only":
            if not isinstance(v, (bool, np.bool_)):
                return InvalidOrderError(f"{call}: reduce_only must be True or False, got {v!r}")
            continue
        if name in _NOT_INTS or v is None:
            continue
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            return InvalidOrderError(f"{call}: {name} must be an integer, got {v!r}")
        bits = _BITS.get(name, 64)
        lo, hi = (0, 2**bits) if name in ("n", "levels") else (-(2 ** (bits - 1)), 2 ** (bits - 1))
        if not lo <= int(v) < hi:
            if name == "account":
                return UnknownAccountError(f"unknown account {v!r}")
            if name == "instrument":
                return UnknownInstrumentError(f"unknown instrument {v!r}")
            return InvalidOrderError(f"{call}: {name} {v!r} is out of range")
    return InvalidOrderError(f"{call}: arguments the engine cannot take: {named!r}")


def engine_args(fn: F) -> F:
    """Decorator: a pybind11 argument error inside `fn` becomes `diagnose`'s error."""
    sig = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            if not is_pybind_type_error(e):
                raise
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError:
                raise e from None
            raise diagnose(fn.__name__, dict(bound.arguments)) from None

    return wrapper  # type: ignore[return-value]

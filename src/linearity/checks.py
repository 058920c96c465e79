"""Argument checks: one place, one message per kind of argument.

Every public function of the package checks its arguments with these helpers, so a bad
value raises `ValueError` naming the argument and what is allowed, in the same words
everywhere.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Sequence


def check_int(name: str, value: Any, low: int = 0, high: int | None = None) -> int:
    """`value` as an int; `ValueError` unless it is an integer in [low, high)."""
    ok = not isinstance(value, bool) and isinstance(value, Integral) and value >= low
    if ok and high is not None:
        ok = value < high
    if not ok:
        if high is not None:
            kind = f"an integer in [{low}, {high})"
        else:
            kind = "a non-negative integer" if low == 0 else f"an integer >= {low}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def check_number(name: str, value: Any, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """`value` as a float; `ValueError` unless it is a finite real number in the given range."""
    ok = not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        rng = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"{name} must be a finite number in {rng}, got {value!r}")
    return float(value)


def check_positive(name: str, value: Any) -> float:
    """A finite number > 0 (learning rates, scales of time)."""
    return check_number(name, value, 0.0, None, low_open=True)


def check_slope(name: str, value: Any) -> float:
    """A leaky-ReLU slope α ∈ [0, 1]."""
    return check_number(name, value, 0.0, 1.0)


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    """`value` unless it is not one of `allowed`."""
    if isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")
    return value

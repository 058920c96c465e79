"""Closed forms that several chapters compare simulations with (all float64): least squares and
the even/odd split.

Loss convention throughout: L = (1/2n) Σ_n ‖f(x_n) − y_n‖².
"""

from __future__ import annotations

import numpy as np


def ols_fit(x: np.ndarray, y: np.ndarray, intercept: bool = False):
    """Least-squares linear map W (d_out, d_in) minimising Σ ‖y − W x‖² (and b with `intercept`)."""
    a = np.concatenate([x, np.ones((len(x), 1))], 1) if intercept else x
    coef, *_ = np.linalg.lstsq(a, y.reshape(len(y), -1), rcond=None)
    w = coef.T
    return (w[:, :-1], w[:, -1]) if intercept else w


def ols_loss(x: np.ndarray, y: np.ndarray, intercept: bool = False) -> float:
    """The best linear (or affine) fit's loss (1/2n) Σ ‖y − W x − b‖²."""
    y2 = y.reshape(len(y), -1)
    if intercept:
        w, b = ols_fit(x, y2, intercept=True)
        r = y2 - x @ w.T - b
    else:
        r = y2 - x @ ols_fit(x, y2).T
    return float(0.5 * (r**2).sum(1).mean())


def even_odd(f_x: np.ndarray, f_minus_x: np.ndarray):
    """Even and odd parts of f from its values at x and −x: ((f(x)+f(−x))/2, (f(x)−f(−x))/2)."""
    return 0.5 * (f_x + f_minus_x), 0.5 * (f_x - f_minus_x)

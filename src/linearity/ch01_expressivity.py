"""Chapter 1 (expressivity): the odd/even split of the training loss.

For a two-layer bias-free network f(x) = W₂ σ_α(W₁x), the activation split
σ_α(z) = ((1+α)/2) z + ((1−α)/2)|z| (equation `expr-activation-split` of chapter 1) gives

    f(x) = ((1+α)/2) W₂W₁x + ((1−α)/2) W₂|W₁x|          (equation `expr-network-split` of chapter 1)

a linear odd part plus an even part. On an exactly symmetrised sample with an odd target,

    L = ½ mean ‖f_odd − y‖² + ½ mean ‖f_even‖² + mean ⟨f_even, f_odd − y⟩
                                                          (equation `expr-loss-split` of chapter 1)

and the cross term vanishes (it is odd in x), so L ≥ the ordinary-least-squares loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .theory import even_odd


@dataclass(frozen=True)
class LossSplit:
    """The terms of the loss split (equation `expr-loss-split` of chapter 1).

    `total = odd + even + cross`; arrays over the leading (ensemble) axes.
    """

    total: np.ndarray
    odd: np.ndarray
    even: np.ndarray
    cross: np.ndarray


def loss_split(f_x: np.ndarray, f_minus_x: np.ndarray, y: np.ndarray) -> LossSplit:
    """Split L = ½ mean_n ‖f(x_n) − y_n‖² into its odd, even and cross terms.

    The split is equation `expr-loss-split` of chapter 1.

    `f_x`, `f_minus_x` are the outputs at the sample points and at their negatives, shape
    (..., n, d_out) (a leading ensemble axis is allowed); `y` has shape (n, d_out).
    Returns a `LossSplit` whose fields have the leading shape of `f_x`.
    """
    f_x, f_minus_x, y = (np.asarray(a, dtype=float) for a in (f_x, f_minus_x, y))
    if f_x.shape != f_minus_x.shape:
        raise ValueError(f"f_x and f_minus_x must have the same shape, got {f_x.shape} and {f_minus_x.shape}")
    if y.ndim != 2 or f_x.shape[-2:] != y.shape:
        raise ValueError(f"y must have shape (n, d_out) = {f_x.shape[-2:]}, got {y.shape}")
    even, odd = even_odd(f_x, f_minus_x)
    total = 0.5 * ((f_x - y) ** 2).sum(-1).mean(-1)
    return LossSplit(total=total,
                     odd=0.5 * ((odd - y) ** 2).sum(-1).mean(-1),
                     even=0.5 * (even**2).sum(-1).mean(-1),
                     cross=(even * (odd - y)).sum(-1).mean(-1))

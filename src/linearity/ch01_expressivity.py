"""Chapter 1 (expressivity): the odd/even split of the training loss.

For a two-layer bias-free network f(x) = W₂ σ_α(W₁x), the activation split
σ_α(z) = ((1+α)/2) z + ((1−α)/2)|z| (equation `expr-activation-split` of chapter 1) gives

    f(x) = ((1+α)/2) W₂W₁x + ((1−α)/2) W₂|W₁x|          (equation `expr-network-split` of chapter 1)

a linear odd part plus an even part. On an exactly symmetrised sample with an odd target,

    L = ½ mean ‖f_odd − y‖² + ½ mean ‖f_even‖² + mean ⟨f_even, f_odd − y⟩
                                                          (equation `expr-loss-split` of chapter 1)

and the cross term vanishes (it is odd in x), so L ≥ the ordinary-least-squares loss.

The even part is ((1−α)/2) Σ_j a_j |w_j·x| = ‖x‖ g(x/‖x‖) with g even, so a two-layer bias-free
network is "linear + ‖x‖·(an even function of the direction)" (equation `expr-cubic-split`).
On a symmetric input distribution it cannot explain any of an odd target orthogonal to every
linear function, such as y = x₁x₂x₃; the second half of this module trains networks of several
widths on that target as one tensor program and tracks the unexplained fraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .checks import check_int
from .models import MLP
from .theory import even_odd
from .train import fit


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


# --- The complete picture: linear + ‖x‖·(even function of the direction), and the cubic monomial ---


def nested_ensemble(d_in: int, widths: list[int], d_out: int, depth: int, restarts: int, *,
                    bias: bool = False, generator: torch.Generator | None = None,
                    device: str | torch.device = "cpu") -> MLP:
    """Networks of several widths as one ensemble (one tensor program), for equation `expr-cubic-split`.

    Returns an `MLP` of width max(widths) with `len(widths) · restarts` members; member
    `i · restarts + r` is restart r of width `widths[i]`: only its first `widths[i]` hidden units
    per layer are nonzero, and its weights are scaled to N(0, 1/fan_in) of that width. A unit
    whose incoming and outgoing weights are all zero gets exactly zero gradient (its activation
    is σ(0) = 0 and nothing reads it), so gradient descent and Adam keep it at zero: each member
    trains as the narrower network it stands for. With `bias=True` the same holds: the biases
    start at zero, and a padded unit's bias gets the gradient of an output weight that is zero.
    """
    check_int("restarts", restarts, 1)
    if not widths:
        raise ValueError("widths must list at least one width")
    for w in widths:
        check_int("width", w, 1)
    wide = max(widths)
    net = MLP(d_in, wide, d_out, depth=depth, bias=bias, ensemble=len(widths) * restarts,
              generator=generator, device=device)
    with torch.no_grad():
        for e, w in enumerate(np.repeat(widths, restarts)):
            live = (torch.arange(wide, device=device) < w).to(net.weights[0].dtype)
            for k, weight in enumerate(net.weights):
                if k > 0:                                   # fan-in w instead of the padded width
                    weight[e] *= live[None, :] * (wide / w) ** 0.5
                if k < depth - 1:
                    weight[e] *= live[:, None]
    return net


def unexplained(pred: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Fraction of the target's variance left unexplained, mean ‖f − y‖² / mean ‖y‖², per member.

    The variance is taken about zero: on an exactly symmetrised sample the odd target has mean
    zero exactly. `pred` (E, n, d_out), `y` (n, d_out); returns shape (E,).
    """
    if pred.shape[-2:] != y.shape:
        raise ValueError(f"y must have shape {tuple(pred.shape[-2:])}, got {tuple(y.shape)}")
    with torch.no_grad():
        return (((pred - y) ** 2).sum(-1).mean(-1) / (y**2).sum(-1).mean()).cpu().numpy()


def fit_tracked(net: MLP, x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor,
                phases: list[tuple[float, int]], every: int, grid: float = 2.0**-24) -> dict[str, np.ndarray]:
    """Full-batch Adam through `phases` [(lr, steps), ...]; every `every` steps the unexplained
    fraction on the training sample and on the test sample (equation `expr-cubic-unexplained`).

    Returns {"steps": (T,), "train": (T, E), "test": (T, E)}.
    """
    check_int("every", every, 1)
    rec: dict[str, list] = {"steps": [], "train": [], "test": []}
    done = 0

    def record(step: int, model: MLP) -> None:
        t = done + step
        if t % every == 0 and (not rec["steps"] or rec["steps"][-1] != t):
            with torch.no_grad():
                rec["steps"].append(t)
                rec["train"].append(unexplained(model(x), y))
                rec["test"].append(unexplained(model(x_test), y_test))

    for lr, steps in phases:
        fit(net, x, y, lr=lr, steps=steps, optimizer="adam", record_every=steps, callback=record, grid=grid)
        done += steps
    return {k: np.array(v) for k, v in rec.items()}


def homogeneous_floor(d: int) -> float:
    """Smallest unexplained fraction of y = x₁x₂x₃-type targets (degree 3, x ~ N(0, I_d)) that any
    positively homogeneous f, f(cx) = c f(x), can reach: 1 − E[r⁴]²/(E[r²] E[r⁶]) = 2/(d + 4).

    Equation `expr-homogeneous-floor` of chapter 1 (r = ‖x‖, r² ~ χ²_d).
    """
    check_int("d", d, 1)
    return 2.0 / (d + 4)

"""Chapter 3 (deep networks): the mirror symmetry of depth three, the linear part of a network.

A depth-3 network f(x) = W₃ σ(W₂ σ(W₁ x)) with an even hidden width 2m has hidden halves
h = (p, q). Let P swap the halves. The map on parameters

    Φ(W₁, W₂, W₃) = (−P W₁,  P W₂ P,  −W₃ P)              (equation `deep-mirror-map` of chapter 3)

satisfies f_{Φθ}(x) = −f_θ(−x), so on exactly symmetrised data L(Φθ) = L(θ), and gradient
descent keeps its fixed points, the *mirror-symmetric* weights (equation `deep-mirror-fix`)

    W₁ = [V; −V],   W₂ = [[B, C], [C, B]] = [[K + D, D − K], [D − K, K + D]],   W₃ = [A, −A].

The linear embedding of a deep linear network A K V is the slice D = 0 (C = −B); the
even channel D, fed with |V x| = p + q, is what makes the network nonlinear
(equation `deep-extra-gradient`).
"""

from __future__ import annotations

import numpy as np
import torch

from .checks import check_number
from .models import MLP


def _halves(model: MLP) -> tuple[int, int]:
    if model.depth != 3:
        raise ValueError(f"model must have depth 3, got depth {model.depth}")
    if model.dims[1] % 2 or model.dims[2] % 2:
        raise ValueError(f"model must have even hidden widths, got {model.dims[1:3]}")
    return model.dims[1] // 2, model.dims[2] // 2


def middle_parts(w2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The parts K and D of a middle layer W₂ = [[W₁₁, W₁₂], [W₂₁, W₂₂]] of shape (E, 2m₂, 2m₁).

    K = (W₁₁ − W₁₂ − W₂₁ + W₂₂)/4 and D = (W₁₁ + W₁₂ + W₂₁ + W₂₂)/4, each (E, m₂, m₁): on the
    mirror-symmetric set (equation `deep-mirror-fix` of chapter 3) B = K + D and C = D − K.
    Applied to a gradient ∂L/∂W₂, 4K and 4D are ∂L/∂K and ∂L/∂D (equation `deep-extra-gradient`).
    """
    if w2.dim() != 3 or w2.shape[1] % 2 or w2.shape[2] % 2:
        raise ValueError(f"w2 must have shape (E, 2m₂, 2m₁) with even sides, got {tuple(w2.shape)}")
    m2, m1 = w2.shape[1] // 2, w2.shape[2] // 2
    b11, b12, b21, b22 = w2[:, :m2, :m1], w2[:, :m2, m1:], w2[:, m2:, :m1], w2[:, m2:, m1:]
    return (b11 - b12 - b21 + b22) / 4, (b11 + b12 + b21 + b22) / 4


def mirror_split(model: MLP) -> dict[str, torch.Tensor]:
    """Deviations from the mirror-symmetric set (equation `deep-mirror-fix` of chapter 3), and its coordinates.

    Returns, per network, max-abs deviations `first` = |V₁ + V₂|, `middle` = max(|B − B'|, |C − C'|),
    `last` = |A₁ + A₂| (each shape (E,)), and the middle-layer parts `K`, `D` (E, m₂, m₁) of
    `middle_parts`.
    """
    m1, m2 = _halves(model)
    w1, w2, w3 = (w.detach() for w in model.weights)
    b11, b12, b21, b22 = w2[:, :m2, :m1], w2[:, :m2, m1:], w2[:, m2:, :m1], w2[:, m2:, m1:]
    amax = lambda t: t.abs().flatten(1).max(1).values  # noqa: E731
    k, d = middle_parts(w2)
    return {
        "first": amax(w1[:, :m1] + w1[:, m1:]),
        "middle": torch.maximum(amax(b11 - b22), amax(b12 - b21)),
        "last": amax(w3[:, :, :m2] + w3[:, :, m2:]),
        "K": k,
        "D": d,
    }


def mirror_violation(model: MLP) -> torch.Tensor:
    """‖D‖ / ‖K‖ of the middle layer (equation `deep-mirror-fix` of chapter 3), per network: 0 on C = −B."""
    parts = mirror_split(model)
    return parts["D"].flatten(1).norm(dim=1) / parts["K"].flatten(1).norm(dim=1)


def embedding_gradients(v: np.ndarray, k: np.ndarray, a: np.ndarray, x: np.ndarray,
                        y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of L = (1/2n) Σ ‖f(x) − y‖² w.r.t. K and D at a point D = 0 of the mirror-symmetric set.

    This is equation `deep-extra-gradient` of chapter 3. There the network computes the linear
    map f(x) = A K V x, and with r = f(x) − y, u = K V x:

        ∂L/∂K = (1/n) Σ (Aᵀ r)(V x)ᵀ                       (the deep linear network's gradient)
        ∂L/∂D = (1/n) Σ (sign(u) ⊙ Aᵀ r) |V x|ᵀ            (the extra term; even in x)

    Shapes: v (m₁, d_in), k (m₂, m₁), a (d_out, m₂), x (n, d_in), y (n, d_out).
    """
    v, k, a, x = (np.asarray(t, dtype=float) for t in (v, k, a, x))
    y = np.asarray(y, dtype=float).reshape(len(x), -1)
    if v.ndim != 2 or k.ndim != 2 or k.shape[1] != v.shape[0] or a.shape != (y.shape[1], k.shape[0]):
        raise ValueError(f"shapes must be v (m₁, d_in), k (m₂, m₁), a (d_out, m₂); got {v.shape}, {k.shape}, {a.shape}")
    if x.ndim != 2 or x.shape[1] != v.shape[1]:
        raise ValueError(f"x must have shape (n, {v.shape[1]}), got {x.shape}")
    vx = x @ v.T
    u = vx @ k.T
    back = (u @ a.T - y) @ a  # rows (Aᵀ r)ᵀ
    n = len(x)
    return back.T @ vx / n, (np.sign(u) * back).T @ np.abs(vx) / n


def linear_part(model: MLP, x: torch.Tensor) -> torch.Tensor:
    """The network's linear part: the least-squares map M = Fᵀ X (Xᵀ X)⁻¹ of its outputs F on X.

    This is equation `deep-linear-part` of chapter 3. Shape (E, d_out, d_in). For whitened inputs ((1/n) XᵀX = I) this is (1/n) Σ f(x) xᵀ, and on
    symmetric data the even part of f drops out: M is the map of the odd part. For a linear
    network it is the product W_L ⋯ W_1.
    """
    if x.dim() != 2:
        raise ValueError(f"x must have shape (n, d_in), got {tuple(x.shape)}")
    with torch.no_grad():
        f = model.hidden(x)[-1]
        return torch.linalg.solve(x.T @ x, x.T @ f).transpose(1, 2)


def learn_times(steps: np.ndarray, maps: np.ndarray, u: np.ndarray, s: np.ndarray, v: np.ndarray,
                fraction: float = 0.5) -> np.ndarray:
    """When mode i is learned: the first time u_iᵀ M v_i reaches fraction · s_i (nan if never).

    Linearly interpolated between the two recorded steps around the first crossing, so the time
    is not a multiple of the recording interval. Use a fraction away from a level the strength
    can stall at (the ReLU network's half-mode saddle sits exactly at 1/2 for mode 1): there a
    last-digit overshoot would decide the time. `maps` has shape (T, ..., d_out, d_in) at
    `steps` (T,); u (d_out, r), s (r,), v (d_in, r). Returns shape (..., r).
    """
    check_number("fraction", fraction, 0.0, 1.0, low_open=True)
    maps, steps = np.asarray(maps), np.asarray(steps, dtype=float)
    if maps.shape[0] != steps.shape[0]:
        raise ValueError(f"maps and steps must have the same length, got {maps.shape[0]} and {steps.shape[0]}")
    strength = np.einsum("ir,...ij,jr->...r", u, maps, v)  # (T, ..., r)
    target = fraction * np.asarray(s, dtype=float)
    reached = strength >= target
    first = np.argmax(reached, axis=0)
    prev = np.maximum(first - 1, 0)
    b1 = np.take_along_axis(strength, first[None], 0)[0]
    b0 = np.take_along_axis(strength, prev[None], 0)[0]
    t1, t0 = steps[first], steps[prev]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(first > 0, t0 + (target - b0) / (b1 - b0) * (t1 - t0), t1)
    return np.where(reached.any(axis=0), t, np.nan)


def saddle_levels(s: np.ndarray) -> np.ndarray:
    """The loss at the saddle before mode i of a network learning Σ_yx with singular values s on
    whitened inputs (equation `deep-saddle-levels` of chapter 3): L_i = ½ Σ_{j ≥ i} s_j², the loss
    when modes 1, …, i − 1 are learned and the others are not."""
    s = np.asarray(s, dtype=float)
    if s.ndim != 1 or np.any(~np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"s must be a 1-D array of non-negative singular values, got {s!r}")
    return 0.5 * np.cumsum((s**2)[::-1])[::-1]


def plateau_steps(loss: np.ndarray, level: float, drop: float, start: float, stop: float,
                  band: float = 0.05) -> tuple[int, int, int]:
    """Steps spent at a saddle's loss level (equation `deep-plateau` of chapter 3).

    `loss` (T,) is recorded at every gradient step. Counts the steps t with start ≤ t < stop at
    which |L(t) − level| < band · drop, where `drop` is the loss the next mode removes when it is
    learned (½ s_i² for mode i): the network sits at the saddle while that mode is still small.
    A `start` that is nan counts nothing; a `stop` that is nan (the mode is never learned) counts
    to the end of the run. Returns (count, first, last) with first = last = −1 when none.
    """
    check_number("band", band, 0.0, 1.0, low_open=True)
    check_number("drop", drop, 0.0, low_open=True)
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or len(loss) < 2:
        raise ValueError(f"loss must be a 1-D array of at least 2 values, got shape {loss.shape}")
    if not np.isfinite(start):
        return 0, -1, -1
    lo = max(int(np.ceil(start)), 0)
    hi = len(loss) if not np.isfinite(stop) else min(int(np.ceil(stop)), len(loss))
    near = np.nonzero(np.abs(loss[lo:hi] - level) < band * drop)[0] if hi > lo else np.array([], int)
    if near.size == 0:
        return 0, -1, -1
    return int(near.size), int(lo + near[0]), int(lo + near[-1])


def mode_plateaus(loss: np.ndarray, t_rise: np.ndarray, s: np.ndarray, band: float = 0.05) -> np.ndarray:
    """The plateaus of one network learning modes with singular values s (equation `deep-plateau`).

    Row i < r: `plateau_steps` at the saddle before mode i + 1, level L_{i+1} of `saddle_levels`
    and drop ½ s_{i+1}², between the rise of the previous mode (step 0 for the first) and the
    rise of this one (`t_rise`, shape (r,), from `learn_times`). Row r: the ReLU network's
    half-mode saddle, level L_2 + s_1²/4 and drop s_1²/4, between the rises of modes 1 and 2.
    Returns shape (r + 1, 3): (count, first, last) per row.
    """
    t_rise, s = np.asarray(t_rise, dtype=float), np.asarray(s, dtype=float)
    if t_rise.ndim != 1 or len(t_rise) < 2 or len(s) < len(t_rise):
        raise ValueError(f"t_rise must be 1-D with at least 2 modes and s at least as long, got {t_rise.shape}, {s.shape}")
    levels = saddle_levels(s)
    starts = np.concatenate([[0.0], t_rise[:-1]])
    rows = [plateau_steps(loss, levels[i], 0.5 * s[i] ** 2, starts[i], t_rise[i], band) for i in range(len(t_rise))]
    rows.append(plateau_steps(loss, levels[1] + s[0] ** 2 / 4, s[0] ** 2 / 4, t_rise[0], t_rise[1], band))
    return np.array(rows, dtype=float)

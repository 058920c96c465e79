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
    """First recorded step at which mode i is learned: u_iᵀ M v_i ≥ fraction · s_i (nan if never).

    `maps` has shape (T, ..., d_out, d_in) at `steps` (T,); u (d_out, r), s (r,), v (d_in, r).
    Returns shape (..., r).
    """
    check_number("fraction", fraction, 0.0, 1.0, low_open=True)
    maps, steps = np.asarray(maps), np.asarray(steps)
    if maps.shape[0] != steps.shape[0]:
        raise ValueError(f"maps and steps must have the same length, got {maps.shape[0]} and {steps.shape[0]}")
    strength = np.einsum("ir,...ij,jr->...r", u, maps, v)  # (T, ..., r)
    reached = strength >= fraction * np.asarray(s)
    first = np.argmax(reached, axis=0)
    return np.where(reached.any(axis=0), steps[first].astype(float), np.nan)


def plateau(loss: np.ndarray, start: float, stop: float, bound: float) -> tuple[int, int, float]:
    """The longest plateau of a loss curve between two steps (equation `deep-plateau` of chapter 3).

    `loss` (T,) is recorded at every gradient step 0, …, T − 1. Step t is *flat* when the loss
    moves by less than `bound` on a log scale, |log L(t+1) − log L(t)| < bound. Returns
    (length, first, smallest): the longest run of consecutive flat steps t with start ≤ t < stop,
    the step where that run begins, and the smallest |log L(t+1) − log L(t)| over [start, stop).
    Returns (0, start, nan) when start or stop is not finite or [start, stop) holds no step, so
    a network without plateaus (or without learning times) reads as "no plateau".
    """
    check_number("bound", bound, 0.0, low_open=True)
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or len(loss) < 2 or not np.all(loss > 0):
        raise ValueError(f"loss must be a 1-D array of at least 2 positive values, got shape {loss.shape}")
    if not (np.isfinite(start) and np.isfinite(stop)):
        return 0, int(start) if np.isfinite(start) else 0, float("nan")
    lo, hi = max(int(start), 0), min(int(stop), len(loss) - 1)
    if hi <= lo:
        return 0, lo, float("nan")
    moves = np.abs(np.diff(np.log(loss[lo:hi + 1])))        # steps lo, …, hi − 1
    best, best_first, run = 0, lo, 0
    for t, flat in enumerate(moves < bound):
        run = run + 1 if flat else 0
        if run > best:
            best, best_first = run, lo + t - run + 1
    return best, best_first, float(moves.min())


def plateaus_before(loss: np.ndarray, times: np.ndarray, bound: float) -> np.ndarray:
    """The longest plateau before each learning time: `plateau` on [0, t₁), [t₁, t₂), …

    `times` (r,) are the learning times of r modes of one network (a row of `learn_times`).
    Returns shape (r, 3), row i = (length, first, smallest) of `plateau` on the stretch that
    ends with mode i + 1. If the modes are not learned one after another (a time is nan, or
    the times do not increase), every length is 0: there are no stages to wait between.
    """
    times = np.asarray(times, dtype=float)
    if times.ndim != 1:
        raise ValueError(f"times must be 1-D (one network's learning times), got shape {times.shape}")
    in_order = bool(np.all(np.isfinite(times)) and np.all(np.diff(times) > 0))
    starts = np.concatenate([[0.0], times[:-1]])
    return np.array([plateau(loss, a, b, bound) if in_order else (0, 0, float("nan"))
                     for a, b in zip(starts, times)], dtype=float)

"""Chapter 2 (linear-equivalent dynamics): the closed forms the chapter compares its simulations with.

Loss convention: L = (1/2n) Σ_n ‖f(x_n) − y_n‖². All float64. Equation labels (`dyn-…`) are
those of chapter 2's derivation.
"""

from __future__ import annotations

import numpy as np

from .checks import check_number, check_slope


# --------------------------------------------------------------------------------------
# Sigmoidal mode dynamics (Saxe, McClelland & Ganguli 2014) and their leaky-ReLU version
# (Zhang, Saxe & Latham 2024). Setting: whitened inputs ((1/n) XᵀX = I), Σ_yx = U S Vᵀ,
# a two-layer network whose hidden units are balanced and aligned with one mode each.
# Time is gradient-flow time t = η · (number of steps).
# --------------------------------------------------------------------------------------


def _check_modes(s, b0, alpha: float):
    s, b0 = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(b0, dtype=float))
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"s (singular values of Σ_yx) must be positive and finite, got {s!r}")
    if np.any(~np.isfinite(b0)) or np.any(b0 <= 0):
        raise ValueError(f"b0 (initial mode strength) must be positive and finite, got {b0!r}")
    check_slope("alpha", alpha)
    return s, b0


def saxe_mode(t, s, b0) -> np.ndarray:
    """Saxe et al. (2014), their sigmoidal solution (τ = 1): the strength b(t) of one mode of
    a balanced two-layer linear network under gradient flow (equation `dyn-saxe-mode` of chapter 2),

        db/dt = 2 b (s − b),    b(t) = s e^{2st} / (e^{2st} − 1 + s/b₀),

    where b = ‖a‖·‖w‖ is the product of the mode's output and input weights (‖a‖ = ‖w‖), s its
    singular value of Σ_yx and b₀ = b(0). Broadcasts over t (leading axis) and modes (last).
    """
    s, b0 = _check_modes(s, b0, 1.0)
    t = np.asarray(t, dtype=float)[..., None] if s.ndim else np.asarray(t, dtype=float)
    e = np.exp(-2.0 * s * t)  # the form s / (1 + (s/b₀ − 1) e^{−2st}) never overflows
    return s / (1.0 + (s / b0 - 1.0) * e)


def leaky_mode(t, s, b0, alpha: float = 0.0) -> np.ndarray:
    """Zhang, Saxe & Latham (2024): a mirrored leaky-ReLU (slope α) mode on symmetric data
    (equation `dyn-leaky-mode` of chapter 2).

    One mirrored pair of hidden units (a, w), (−a, −w) with product b₀ = ‖a‖·‖w‖ at t = 0
    computes the map (1+α)·b·u vᵀ, and its strength B(t) = (1+α) b(t) follows the Saxe
    course with time rescaled t → (1+α)t/2 and initial strength b₀ → (1+α) b₀:

        B(t) = saxe_mode((1+α) t / 2, s, (1+α) b₀) = s / (1 + (s/((1+α)b₀) − 1) e^{−(1+α) s t}).

    α = 1 is a linear network with two units per mode; α = 0 (ReLU) learns twice as slowly.
    """
    _check_modes(s, b0, alpha)
    tau = 0.5 * (1.0 + alpha) * np.asarray(t, dtype=float)
    return saxe_mode(tau, s, (1.0 + alpha) * np.asarray(b0, dtype=float))


def plateau_time(s, b0, alpha: float = 0.0, fraction: float = 0.5) -> np.ndarray:
    """Time at which a mirrored leaky mode reaches `fraction` of its singular value s
    (equation `dyn-plateau` of chapter 2 for f = 1/2):

        t_f = ln( (s/B₀ − 1) · f/(1 − f) ) / ((1+α) s),    B₀ = (1+α) b₀,

    the inverse of `leaky_mode`; for f = 1/2 this is the plateau length ≈ ln(s/B₀)/((1+α)s)
    (Saxe et al. 2014: t ≈ τ/(2s) · ln(s/b₀) for the linear network, α = 1 there with b₀ → B₀).
    Requires B₀ < f·s (the mode starts below the level asked for).
    """
    s, b0 = _check_modes(s, b0, alpha)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    big_b0 = (1.0 + alpha) * b0
    if np.any(big_b0 >= fraction * s):
        raise ValueError("b0 too large: the mode must start below fraction · s (B₀ = (1+α)·b0)")
    return np.log((s / big_b0 - 1.0) * fraction / (1.0 - fraction)) / ((1.0 + alpha) * s)


def mode_loss(t, s, b0, alpha: float = 0.0, floor: float = 0.0) -> np.ndarray:
    """Loss curve of the mirrored, balanced, mode-aligned network on whitened data
    (equation `dyn-leaky-mode` of chapter 2):

        L(t) = ½ Σ_i (s_i − B_i(t))² + L_floor,

    with B_i from `leaky_mode` and L_floor the part no linear map can fit (the OLS loss,
    `linear_floor`), because L(W) = ½‖W − Σ_yx‖²_F + L_floor for whitened inputs
    (equation `dyn-floor` of chapter 2).
    """
    check_number("floor", float(floor), 0.0)
    gap = 0.5 * (np.asarray(s, dtype=float) - leaky_mode(t, s, b0, alpha)) ** 2
    return (gap.sum(-1) if np.ndim(s) else gap) + floor


def linear_floor(x: np.ndarray, y: np.ndarray) -> float:
    """L_floor = (1/2n) Σ‖y‖² − ½ Σ_i s_i² for whitened x (equation `dyn-floor` of chapter 2):
    the loss of the best linear map W = Σ_yx (equal to `theory.ols_loss(x, y)`; raises unless
    (1/n) XᵀX = I to 1e-8)."""
    n = len(x)
    if np.abs(x.T @ x / n - np.eye(x.shape[1])).max() > 1e-8:
        raise ValueError("x must be whitened ((1/n) XᵀX = I); use linearity.data.whiten")
    y2 = y.reshape(n, -1)
    s = np.linalg.svd(y2.T @ x / n, compute_uv=False)
    return float(0.5 * (y2**2).sum(1).mean() - 0.5 * (s**2).sum())


def relu_groups(a0: np.ndarray, w0: np.ndarray, u: np.ndarray) -> np.ndarray:
    """This book's heuristic (after the setting of Zhang, Saxe & Latham 2024), random small
    initialisation, scalar output, y ≈ u·x: the group of each hidden unit, sign(a(0) + w(0)·u) ∈ {−1, +1}.

    While the network output is still ≈ 0, on exactly symmetric whitened data
    d/dt (a, w·u) = ½ (w·u, a) (equation `dyn-random-init` of chapter 2), so a + w·u grows
    as e^{t/2} and keeps its sign: units with + fit the half-space u·x > 0, units with − the
    half-space u·x < 0. `a0` has shape (..., width), `w0` (..., width, d), `u` (d,).
    """
    a0, w0, u = np.asarray(a0, float), np.asarray(w0, float), np.asarray(u, float)
    if w0.shape[:-1] != a0.shape or w0.shape[-1] != u.shape[-1]:
        raise ValueError(f"a0 {a0.shape}, w0 {w0.shape} and u {u.shape} do not fit: "
                         "need (..., k), (..., k, d), (d,)")
    return np.where(a0 + w0 @ u >= 0, 1, -1)


def predicted_stuck(a0: np.ndarray, w0: np.ndarray, u: np.ndarray) -> np.ndarray:
    """True where all hidden units of a network fall into one group (`relu_groups`): the
    other half-space is never fitted and the loss stops at about half its initial value
    for a target without a linear floor such as y = u·x. Shapes as in `relu_groups`."""
    g = relu_groups(a0, w0, u)
    return np.all(g == g[..., :1], axis=-1)


def mirrored_mode_weights(u: np.ndarray, v: np.ndarray, b0) -> tuple[np.ndarray, np.ndarray]:
    """Balanced, mode-aligned, mirrored weights of a two-layer network with 2r hidden units:

        W₁ = [√b₀ ⊙ Vᵀ; −√b₀ ⊙ Vᵀ]  (2r, d_in),    W₂ = [U ⊙ √b₀, −U ⊙ √b₀]  (d_out, 2r),

    so unit i has a = √b₀ᵢ uᵢ, w = √b₀ᵢ vᵢ (‖a‖·‖w‖ = b₀ᵢ) and its mirror is (−a, −w). With
    slope α each pair computes (1+α) b₀ᵢ uᵢ vᵢᵀ x (equation `dyn-mirrored-pair` of chapter 2),
    the network their sum. `u` (d_out, r), `v` (d_in, r).
    """
    u, v = np.asarray(u, float), np.asarray(v, float)
    if u.ndim != 2 or v.ndim != 2 or u.shape[1] != v.shape[1]:
        raise ValueError(f"u and v must be (d_out, r) and (d_in, r) with the same r, "
                         f"got {u.shape}, {v.shape}")
    b0 = np.broadcast_to(np.asarray(b0, float), (u.shape[1],))
    if np.any(~np.isfinite(b0)) or np.any(b0 < 0):
        raise ValueError(f"b0 must be finite and >= 0 (one value or one per mode), got {b0!r}")
    root = np.sqrt(b0)
    w1 = root[:, None] * v.T
    w2 = u * root
    return np.concatenate([w1, -w1]), np.concatenate([w2, -w2], axis=1)


def perturbed(weights: list[np.ndarray], level: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Each network's weight matrices plus noise of relative size `level`: for network e and
    layer k, W ← W + level · ‖W‖_F · Z/‖Z‖_F with Z Gaussian (the escape test of chapter 2's
    width-2 networks). `weights` holds arrays of shape (E, out, in), one per layer."""
    level = check_number("level", level, 0.0)
    out = []
    for w in weights:
        w = np.asarray(w, float)
        if w.ndim != 3:
            raise ValueError(f"weights must be arrays of shape (E, out, in), got {w.shape}")
        z = rng.standard_normal(w.shape)
        size = np.linalg.norm(w.reshape(len(w), -1), axis=1) / np.linalg.norm(z.reshape(len(z), -1), axis=1)
        out.append(w + level * size[:, None, None] * z)
    return out


def linear_part(w1: np.ndarray, a: np.ndarray, alpha) -> np.ndarray:
    """The linear (odd) part β of a two-layer bias-free leaky network with scalar output,
    f(x) − f(−x) = 2 β·x with β = (1+α)/2 · Σ_k a_k w_k (equation `dyn-activation-split`
    of chapter 2). `w1` (..., width, d), `a` (..., width), `alpha` a number or one per network."""
    w1, a = np.asarray(w1, float), np.asarray(a, float)
    if w1.shape[:-1] != a.shape:
        raise ValueError(f"w1 {w1.shape} and a {a.shape} do not fit: need (..., width, d) and (..., width)")
    alpha = np.asarray(alpha, float)
    if np.any((alpha < 0) | (alpha > 1)):
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    return ((1.0 + alpha) / 2.0)[..., None] * np.einsum("...k,...kd->...d", a, w1)


def separable_through_origin(x: np.ndarray, y: np.ndarray) -> bool:
    """True if some hyperplane through the origin separates the labels y ∈ {−1, +1}:
    a β with y_n β·x_n ≥ 1 for all n exists (a linear program)."""
    from scipy.optimize import linprog

    z = np.asarray(y, float)[:, None] * np.asarray(x, float)
    res = linprog(np.zeros(z.shape[1]), A_ub=-z, b_ub=-np.ones(len(z)), bounds=[(None, None)] * z.shape[1],
                  method="highs")
    return bool(res.status == 0)


def hard_margin_direction(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The unit direction of the hard-margin linear separator through the origin,
    argmin ½‖β‖² subject to y_n β·x_n ≥ 1 (Soudry et al. 2018: the direction gradient descent
    on a linear model with logistic loss converges to). Raises unless the data are separable."""
    from scipy.optimize import minimize

    z = np.asarray(y, float)[:, None] * np.asarray(x, float)
    if not separable_through_origin(x, y):
        raise ValueError("the labels are not separable by a hyperplane through the origin")
    start = np.linalg.lstsq(z, np.ones(len(z)), rcond=None)[0]
    start = start / max(float((z @ start).min()), 1e-12)
    res = minimize(lambda b: 0.5 * b @ b, start, jac=lambda b: b, method="SLSQP",
                   constraints=[dict(type="ineq", fun=lambda b: z @ b - 1.0, jac=lambda b: z)],
                   options=dict(ftol=1e-15, maxiter=1000))
    beta = res.x
    return beta / np.linalg.norm(beta)


def mirror_distance(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """How far a two-layer network with 2m hidden units is from the mirror (a, w), (−a, −w):
    ‖(W₁[:m] + W₁[m:], W₂[:, :m] + W₂[:, m:])‖ / ‖(W₁, W₂)‖ per network (the part of the weights
    that equation `dyn-gradient` of chapter 2 keeps at zero on a symmetric sample).
    `w1` (E, 2m, d_in), `w2` (E, d_out, 2m). Returns shape (E,)."""
    w1, w2 = np.asarray(w1, float), np.asarray(w2, float)
    if w1.ndim != 3 or w2.ndim != 3 or w1.shape[1] % 2 or w2.shape[2] != w1.shape[1] or w1.shape[0] != w2.shape[0]:
        raise ValueError(f"w1 must be (E, 2m, d_in) and w2 (E, d_out, 2m), got {w1.shape}, {w2.shape}")
    m = w1.shape[1] // 2
    off = (((w1[:, :m] + w1[:, m:]) ** 2).sum((1, 2)) + ((w2[:, :, :m] + w2[:, :, m:]) ** 2).sum((1, 2)))
    return np.sqrt(off / ((w1**2).sum((1, 2)) + (w2**2).sum((1, 2))))


def power_law_exponent(sizes, values: np.ndarray) -> np.ndarray:
    """The exponent p of values ∝ sizes^−p, a least-squares line through (log N, log value).

    `sizes` (K,) with K ≥ 3 distinct positive sizes; `values` (K,) or (K, R), positive, one column
    per independent replicate. Returns p, shape () or (R,)."""
    sizes = np.asarray(sizes, float)
    values = np.asarray(values, float)
    if sizes.ndim != 1 or len(np.unique(sizes)) < 3 or np.any(sizes <= 0):
        raise ValueError(f"sizes must hold at least 3 distinct positive sizes, got {sizes!r}")
    if values.shape[0] != len(sizes) or np.any(~(values > 0)):
        raise ValueError(f"values must be positive with one row per size, got shape {values.shape}")
    slope = np.polyfit(np.log(sizes), np.log(values.reshape(len(sizes), -1)), 1)[0]
    return -slope.reshape(values.shape[1:])


def normalised_margin(beta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """min_n y_n β·x_n / ‖β‖: the margin of the linear classifier β on (x, y), scale-free
    (γ* of `hard_margin_direction` for the best β; equation `dyn-pair-margin` of chapter 2)."""
    beta, x, y = np.asarray(beta, float), np.asarray(x, float), np.asarray(y, float).reshape(-1)
    if beta.ndim != 1 or x.shape != (len(y), len(beta)):
        raise ValueError(f"beta (d,), x (n, d) and y (n,) do not fit: {beta.shape}, {x.shape}, {y.shape}")
    norm = float(np.linalg.norm(beta))
    if norm == 0:
        raise ValueError("beta must not be zero")
    return float((y * (x @ beta)).min() / norm)


def leaky_stuck_fraction(alpha: float) -> float:
    """(1 − α)² / (2(1 + α²)): the loss, as a fraction of L(0) = ½ mean y², of the best
    K σ_α(u·x) for the target y = u·x on an exactly symmetrised whitened sample (equation
    `dyn-leaky-stuck` of chapter 2), where a width-2 network whose units share a group stalls.
    ½ for the ReLU (α = 0), 0 for the linear network (α = 1)."""
    check_slope("alpha", alpha)
    return (1.0 - alpha) ** 2 / (2.0 * (1.0 + alpha**2))

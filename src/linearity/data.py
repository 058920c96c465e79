"""Data sets made in code (nothing is downloaded).

"Symmetric data" in this book means an exactly symmetrised sample: every (x, y) appears
together with (−x, −y). The exact statements of the two-layer chapters need that, not
only a symmetric distribution.
"""

from __future__ import annotations

import numpy as np

from .checks import check_int


def gaussian(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n points of N(0, I_d), float64, shape (n, d)."""
    return rng.standard_normal((check_int("n", n, 1), check_int("d", d, 1)))


def symmetrize(x: np.ndarray, y: np.ndarray | None = None):
    """Append the mirror image: rows (x, y) become (x, y) and (−x, −y). Returns x (and y)."""
    xs = np.concatenate([x, -x])
    return xs if y is None else (xs, np.concatenate([y, -y]))


def is_symmetric(x: np.ndarray, y: np.ndarray, atol: float = 0.0) -> bool:
    """True when the multiset {(x_n, y_n)} equals {(−x_n, −y_n)} (up to `atol`)."""
    z = np.concatenate([x.reshape(len(x), -1), y.reshape(len(y), -1)], axis=1)
    a, b = np.lexsort(z.T[::-1]), np.lexsort((-z).T[::-1])
    return bool(np.allclose(z[a], -z[b], rtol=0.0, atol=atol))


def whiten(x: np.ndarray) -> np.ndarray:
    """Exactly whitened inputs: returns x Σ^{-1/2} with Σ = XᵀX / n, so (1/n) XᵀX = I.

    The second moment is not centred: for symmetric data the mean is zero anyway.
    """
    sigma = x.T @ x / len(x)
    vals, vecs = np.linalg.eigh(sigma)
    if vals.min() <= 1e-12 * vals.max():
        raise ValueError("x must have a full-rank second moment to be whitened")
    return x @ (vecs / np.sqrt(vals)) @ vecs.T


def random_orthogonal(d: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random d×d orthogonal matrix (QR of a Gaussian matrix with signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def teacher(singular_values, d_out: int, d_in: int, rng: np.random.Generator):
    """A linear teacher M = U S Vᵀ with the given singular values and random singular vectors.

    Returns (M, U, s, V) with U (d_out, r), V (d_in, r), r = len(singular_values).
    """
    s = np.asarray(singular_values, dtype=float)
    if s.ndim != 1 or s.size > min(d_out, d_in) or np.any(s < 0):
        raise ValueError(f"singular_values must be at most min(d_out, d_in) = {min(d_out, d_in)} "
                         f"non-negative numbers, got {singular_values!r}")
    u = random_orthogonal(d_out, rng)[:, : s.size]
    v = random_orthogonal(d_in, rng)[:, : s.size]
    return (u * s) @ v.T, u, s, v


def spirals(n_per_class: int, turns: float, noise: float, rng: np.random.Generator):
    """Two interleaved spirals in the plane with `turns` turns; labels 0 and 1.

    Point i of class c sits at radius r = t and angle 2π·turns·t + cπ, t ~ U(0.05, 1),
    plus Gaussian noise of standard deviation `noise`. Returns x (2n, 2), y (2n,) ints.
    """
    n = check_int("n_per_class", n_per_class, 1)
    if not turns > 0:
        raise ValueError(f"turns must be > 0, got {turns!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    xs, ys = [], []
    for c in (0, 1):
        t = rng.uniform(0.05, 1.0, n)
        angle = 2 * np.pi * turns * t + c * np.pi
        xs.append(np.stack([t * np.cos(angle), t * np.sin(angle)], 1) + noise * rng.standard_normal((n, 2)))
        ys.append(np.full(n, c))
    return np.concatenate(xs), np.concatenate(ys)


def digits(rng: np.random.Generator, test_fraction: float = 0.3):
    """scikit-learn's 8×8 digits (shipped with the package), standardised, split at random.

    Returns (x_train, y_train, x_test, y_test); pixels scaled by the training mean and std.
    """
    from sklearn.datasets import load_digits

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    x, y = load_digits(return_X_y=True)
    idx = rng.permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, tr = idx[:n_test], idx[n_test:]
    mean, std = x[tr].mean(0), x[tr].std(0) + 1e-8
    return (x[tr] - mean) / std, y[tr], (x[test] - mean) / std, y[test]


def odd_bump(x: np.ndarray) -> np.ndarray:
    """The odd nonlinear target g(x) = relu(x₂ − |x₁|) − relu(−x₂ − |x₁|), shape (n, 1).

    Odd (g(−x) = −g(x)) and positively homogeneous, yet not linear: a bias-free network of
    depth three computes it exactly, with |x₁| = relu(x₁) + relu(−x₁); no two-layer
    bias-free network can (its odd part is linear).
    """
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"x must have shape (n, d) with d >= 2, got {x.shape}")
    a = np.abs(x[:, 0])
    return (np.maximum(x[:, 1] - a, 0) - np.maximum(-x[:, 1] - a, 0))[:, None]

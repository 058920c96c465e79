"""Chains of scalar affine layers: "linear neural networks" versus linear regression.

The setting of Lakkapragada (2023). A depth-k chain is k scalar affine layers

    h_0 = x,   h_i = w_i h_{i-1} + b_i   (i = 1..k),   f(x) = h_k = P x + c,

with end-to-end slope P = Π_i w_i and intercept c = Σ_i b_i Π_{j>i} w_j. The loss is
PyTorch's `nn.MSELoss()` — the MEAN squared error WITHOUT a factor ½ (unlike the rest of
this book, whose convention is (1/2n)Σ‖f−y‖²):

    L = mean_n (P x_n + c − y_n)²
      = P² Sxx + 2 P c Sx + c² − 2 P Sxy − 2 c Sy + Syy,                      (L)

so it depends on the data only through five moments S. With r = P x + c − y,

    g_P = ∂L/∂P = 2 (P Sxx + c Sx − Sxy),   g_c = ∂L/∂c = 2 (P Sx + c − Sy),
    ∂L/∂w_i = G_i (P_{i-1} g_P + c_{i-1} g_c),   ∂L/∂b_i = G_i g_c,          (grad)

where h_{i-1} = P_{i-1} x + c_{i-1} is the affine map computed before layer i and
G_i = Π_{j>i} w_j. One exact full-batch gradient step costs O(k), independent of n.

Everything here is numpy float64 on the CPU: the problem is a few scalars per chain, and
a GPU would only add launch latency. `reference_train` is the straightforward PyTorch loop
(one chain of `torch.nn.Linear(1, 1)` per trial and depth, `torch.optim.SGD`, `MSELoss`)
that the vectorised `train_chains` is tested against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from .checks import check_int, check_positive
from .train import TrainingDiverged

PAPER_KAPPAS = (0.05, 0.15, 0.3, 0.5)
PAPER_DEPTHS = tuple(range(1, 11))
PAPER_LR = 1e-3
PAPER_STEPS = 10_000
PAPER_TRIALS = 100


# ----------------------------------------------------------------------------- data


@dataclass
class ChainData:
    """The paper's regression data, for trials × noise levels (arrays (n_kappa, trials, n)).

    `x`, `y` are the training set, `x_val`, `y_val` the validation set, `slope`/`intercept`
    the true A and B (shape (trials,)), `kappa` the noise coefficients.
    """

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    slope: np.ndarray
    intercept: np.ndarray
    kappa: np.ndarray


def paper_data(trials: int, kappas: Sequence[float] = PAPER_KAPPAS, *, n: int = 1000,
               n_val: int = 200, rng: np.random.Generator) -> ChainData:
    """Draw the paper's data: X ~ N(0,1), A, B ~ N(0,1), y = A X + B + ε·κ·mean(A X + B).

    The quirk of the paper's script is kept: the noise ε ~ N(0,1) is multiplied by κ and by
    the MEAN of the clean target over the sample (≈ B), not by its scale, so a trial with
    B ≈ 0 is almost noise-free whatever κ is. The same X, A, B and ε are used for every κ
    (only the noise level changes), so noise levels can be compared trial by trial.
    """
    trials = check_int("trials", trials, 1)
    n, n_val = check_int("n", n, 1), check_int("n_val", n_val, 1)
    kappa = np.asarray(kappas, dtype=np.float64).reshape(-1)
    if kappa.size == 0 or np.any(kappa < 0) or not np.all(np.isfinite(kappa)):
        raise ValueError(f"kappas must be a non-empty list of finite values ≥ 0, got {kappas!r}")
    x = rng.standard_normal((trials, n))
    a = rng.standard_normal(trials)
    b = rng.standard_normal(trials)
    eps = rng.standard_normal((trials, n))
    x_val = rng.standard_normal((trials, n_val))
    eps_val = rng.standard_normal((trials, n_val))

    def target(xx, ee):
        clean = a[:, None] * xx + b[:, None]
        return clean[None] + kappa[:, None, None] * ee[None] * clean.mean(1)[None, :, None]

    shape = (kappa.size, trials)
    return ChainData(x=np.broadcast_to(x, shape + (n,)).copy(), y=target(x, eps),
                     x_val=np.broadcast_to(x_val, shape + (n_val,)).copy(), y_val=target(x_val, eps_val),
                     slope=a, intercept=b, kappa=kappa)


@dataclass
class Moments:
    """The five moments (L) depends on: means of x, x², y, x·y, y² over the sample."""

    sx: np.ndarray
    sxx: np.ndarray
    sy: np.ndarray
    sxy: np.ndarray
    syy: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> "Moments":
        """Moments over the last axis of x and y (same shape)."""
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if x.shape != y.shape:
            raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
        return cls(x.mean(-1), (x * x).mean(-1), y.mean(-1), (x * y).mean(-1), (y * y).mean(-1))

    def __getitem__(self, index) -> "Moments":
        """The moments of a sub-batch: `m[0]`, `m[:, :2, None]` (a new axis for depths)."""
        return Moments(*(np.asarray(v)[index] for v in (self.sx, self.sxx, self.sy, self.sxy, self.syy)))

    def broadcast(self, shape: tuple[int, ...]) -> "Moments":
        """The moments broadcast to a batch shape (e.g. with a depth axis added)."""
        return Moments(*(np.broadcast_to(v, shape) for v in
                         (self.sx, self.sxx, self.sy, self.sxy, self.syy)))

    def ols(self) -> tuple[np.ndarray, np.ndarray]:
        """Least-squares slope and intercept: a = cov(x,y)/var(x), c = ȳ − a x̄ (L's minimiser)."""
        a = (self.sxy - self.sx * self.sy) / (self.sxx - self.sx**2)
        return a, self.sy - a * self.sx

    def loss(self, p: np.ndarray, c: np.ndarray) -> np.ndarray:
        """MSE (L) of the affine map f(x) = p x + c: mean (p x + c − y)², no factor ½."""
        return (p * p * self.sxx + 2 * p * c * self.sx + c * c - 2 * p * self.sxy
                - 2 * c * self.sy + self.syy)


# ----------------------------------------------------------------------------- initialisation


def default_init(shape: tuple[int, ...], depth: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's default initialisation of `nn.Linear(1, 1)`, for chains of `depth` layers.

    Kaiming-uniform with a = √5 gives the weight bound gain·√(3/fan_in) = √(1/3)·√3 = 1 and
    the bias bound 1/√fan_in = 1: w, b ~ U[−1, 1]. Returns (w, b) of shape shape + (depth,).
    """
    depth = check_int("depth", depth, 1)
    w = rng.uniform(-1.0, 1.0, shape + (depth,))
    b = rng.uniform(-1.0, 1.0, shape + (depth,))
    return w, b


def identity_init(sign: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Identity-like initialisation w = (sign, 1, …, 1), b = 0: f(x) = sign·x, every invariant 0."""
    depth = check_int("depth", depth, 1)
    sign = np.asarray(sign, np.float64)
    if not np.all(np.abs(sign) == 1):
        raise ValueError("sign must contain only +1 and −1")
    w = np.ones(sign.shape + (depth,))
    w[..., 0] = sign
    return w, np.zeros(sign.shape + (depth,))


# ----------------------------------------------------------------------------- the chain map


def deviation(p: np.ndarray, c: np.ndarray, a_ols: np.ndarray, c_ols: np.ndarray) -> np.ndarray:
    """The paper's metric D = |P − a_OLS| + |c − c_OLS|."""
    return np.abs(p - a_ols) + np.abs(c - c_ols)


def invariants(w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Balance invariants Q_i = w_{i+1}² − w_i² − b_i², i = 1..k−1 (last axis), conserved by gradient flow."""
    return w[..., 1:] ** 2 - w[..., :-1] ** 2 - b[..., :-1] ** 2


# ----------------------------------------------------------------------------- vectorised training


@dataclass
class ChainRun:
    """Result of `train_chains`: the final layers and a record of the end-to-end map.

    `steps` (R,) are the recorded iteration counts (0 and the last included); `p`, `c`,
    `loss` have shape (R,) + batch shape, the state after that many updates. `checkpoints`
    and `w_at`, `b_at` ((C,) + batch + (k,)) hold full layers at the requested checkpoints.
    """

    w: np.ndarray
    b: np.ndarray
    steps: np.ndarray
    p: np.ndarray
    c: np.ndarray
    loss: np.ndarray
    checkpoints: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    w_at: np.ndarray | None = None
    b_at: np.ndarray | None = None


def train_chains(w: np.ndarray, b: np.ndarray, moments: Moments, *, depth: np.ndarray | int | None = None,
                 lr: float = PAPER_LR, steps: int = PAPER_STEPS, record_every: int = 100,
                 checkpoints: Sequence[int] = (), train_bias: np.ndarray | bool = True) -> ChainRun:
    """Exact full-batch gradient descent on the MSE (L) for a batch of chains, all at once.

    `w`, `b`: arrays batch + (K,) in float64; `moments` broadcastable to the batch shape;
    `depth` (broadcastable to the batch, 1 ≤ depth ≤ K, default K): a chain of depth k uses
    layers 1..k; its layers k+1..K must be identities (w = 1, b = 0) and stay frozen.
    Each step is w ← w − lr ∂L/∂w, b ← b − lr ∂L/∂b with the gradients (grad), O(K) per chain.
    `train_bias` (bool, or 0/1 broadcastable to batch + (K,)) freezes the biases where false.
    Raises `linearity.train.TrainingDiverged` on a non-finite loss.
    """
    steps = check_int("steps", steps, 1)
    record_every = check_int("record_every", record_every, 1)
    check_positive("lr", lr)
    w = np.array(w, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    if w.shape != b.shape or w.ndim < 1:
        raise ValueError(f"w and b must have the same shape batch + (K,), got {w.shape} and {b.shape}")
    batch, K = w.shape[:-1], w.shape[-1]
    d = np.broadcast_to(np.asarray(K if depth is None else depth), batch)
    if np.any(d < 1) or np.any(d > K):
        raise ValueError(f"depth must lie in 1..{K} (the number of layers given), got {np.unique(d)}")
    active = np.arange(K) < d[..., None]
    if np.any(w[~active] != 1) or np.any(b[~active] != 0):
        raise ValueError("layers beyond a chain's depth must be identities (w = 1, b = 0)")
    cps = sorted({int(t) for t in checkpoints})
    if any(t < 0 or t > steps for t in cps):
        raise ValueError(f"checkpoints must lie in 0..{steps}, got {cps}")

    B = int(np.prod(batch))
    m = moments.broadcast(batch)
    sx, sxx, sy, sxy = (np.ascontiguousarray(v, dtype=np.float64).reshape(B) for v in (m.sx, m.sxx, m.sy, m.sxy))
    # layer-major storage (K, B): row i is layer i of every chain
    W = np.ascontiguousarray(w.reshape(B, K).T)
    Bi = np.ascontiguousarray(b.reshape(B, K).T)
    lrm = lr * np.ascontiguousarray(active.reshape(B, K).T, dtype=np.float64)
    tb = np.broadcast_to(np.asarray(train_bias, dtype=np.float64), batch + (K,))
    if not np.all((tb == 0) | (tb == 1)):
        raise ValueError("train_bias must be a bool or an array of 0/1 values")
    lrb = lrm * np.ascontiguousarray(tb.reshape(B, K).T)
    p_in, c_in, G = np.ones((K, B)), np.zeros((K, B)), np.ones((K, B))   # P_{i-1}, c_{i-1}, G_i
    rec_steps = list(range(0, steps, record_every)) + [steps]
    rec_p, rec_c, w_at, b_at = [], [], [], []

    def forward():
        # P_i = w_i P_{i-1} and c_i = w_i c_{i-1} + b_i, row by row (np.cumprod along the
        # layer axis is strided and ten times slower)
        for i in range(1, K):
            np.multiply(p_in[i - 1], W[i - 1], out=p_in[i])
            np.multiply(c_in[i - 1], W[i - 1], out=c_in[i])
            c_in[i] += Bi[i - 1]
        return p_in[K - 1] * W[K - 1], c_in[K - 1] * W[K - 1] + Bi[K - 1]

    t = 0
    try:
        with np.errstate(over="raise", invalid="raise"):
            for t in range(steps + 1):
                p, c = forward()
                if t in rec_steps:
                    rec_p.append(p)
                    rec_c.append(c)
                if t in cps:
                    w_at.append(W.T.reshape(batch + (K,)).copy())
                    b_at.append(Bi.T.reshape(batch + (K,)).copy())
                if t == steps:
                    break
                g_p = 2.0 * (p * sxx + c * sx - sxy)
                g_c = 2.0 * (p * sx + c - sy)
                for i in range(K - 2, -1, -1):
                    np.multiply(G[i + 1], W[i + 1], out=G[i])          # G_i = Π_{j>i} w_j
                W -= (G * lrm) * (p_in * g_p + c_in * g_c)             # w_i −= lr G_i (P_{i-1} g_P + c_{i-1} g_c)
                Bi -= (G * lrb) * g_c                                  # b_i −= lr G_i g_c (lr 0 where frozen)
    except FloatingPointError as err:
        raise TrainingDiverged(f"overflow or NaN at step {t} with lr={lr}") from err
    P = np.stack(rec_p).reshape((-1,) + batch)
    C = np.stack(rec_c).reshape((-1,) + batch)
    loss = m.loss(P, C)
    if not np.all(np.isfinite(loss)):
        bad = int(np.argmax(~np.all(np.isfinite(loss.reshape(len(rec_steps), -1)), 1)))
        raise TrainingDiverged(f"non-finite loss at step {rec_steps[bad]} with lr={lr}")
    return ChainRun(w=W.T.reshape(batch + (K,)).copy(), b=Bi.T.reshape(batch + (K,)).copy(),
                    steps=np.array(rec_steps), p=P, c=C, loss=loss, checkpoints=np.array(cps, dtype=int),
                    w_at=np.stack(w_at) if w_at else None, b_at=np.stack(b_at) if b_at else None)


def pad_layers(w: np.ndarray, b: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Append identity layers (w = 1, b = 0) so chains of different depths share K layers."""
    extra = K - w.shape[-1]
    if extra < 0:
        raise ValueError(f"K must be at least the depth {w.shape[-1]}, got {K}")
    pad = [(0, 0)] * (w.ndim - 1) + [(0, extra)]
    return np.pad(w, pad, constant_values=1.0), np.pad(b, pad, constant_values=0.0)


def grid_init(shape: tuple[int, ...], depths: Sequence[int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Default (U[−1,1]) init for every depth in `depths`, padded to max(depths) layers.

    Returns (w, b) of shape shape + (len(depths), K). Chains of different depth draw
    independent layers, as in the paper's loop (a fresh model per depth).
    """
    K = max(depths)
    ws, bs = [], []
    for k in depths:
        w, b = default_init(shape, k, rng)
        w, b = pad_layers(w, b, K)
        ws.append(w)
        bs.append(b)
    return np.stack(ws, -2), np.stack(bs, -2)


# ----------------------------------------------------------------------------- reference loop


def reference_train(x: np.ndarray, y: np.ndarray, w0: Sequence[float], b0: Sequence[float], *,
                    lr: float = PAPER_LR, steps: int = PAPER_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """The straightforward loop, as in the paper's script: ONE chain of `nn.Linear(1, 1)`.

    Float64, layers initialised to (w0, b0), `nn.MSELoss()` (mean, no ½) on the full batch,
    `torch.optim.SGD(lr)`, one step at a time. Returns the final (w, b) of the chain.
    """
    steps = check_int("steps", steps, 1)
    if len(w0) != len(b0) or len(w0) < 1:
        raise ValueError("w0 and b0 must have the same positive length (the depth)")
    layers = [torch.nn.Linear(1, 1, dtype=torch.float64) for _ in w0]
    with torch.no_grad():
        for layer, wi, bi in zip(layers, w0, b0):
            layer.weight.fill_(float(wi))
            layer.bias.fill_(float(bi))
    model = torch.nn.Sequential(*layers)
    X = torch.as_tensor(np.asarray(x, np.float64)).reshape(-1, 1)
    Y = torch.as_tensor(np.asarray(y, np.float64)).reshape(-1, 1)
    mse = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        mse(model(X), Y).backward()
        opt.step()
    w = np.array([layer.weight.item() for layer in layers])
    b = np.array([layer.bias.item() for layer in layers])
    return w, b

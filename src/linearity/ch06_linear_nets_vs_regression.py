"""Chains of scalar affine layers: "linear neural networks" versus linear regression (chapter 6).

The setting of Lakkapragada (2023): a depth-k chain h_i = w_i h_{i-1} + b_i computes
f(x) = P x + c with P = Π_i w_i and c = Σ_i b_i Π_{j>i} w_j. The loss is PyTorch's
`nn.MSELoss()` (a mean, NO factor ½), which depends on the data only through five moments
(equation `lnn-loss-moments` of chapter 6); one exact full-batch step (equation
`lnn-chain-grad`) costs O(k) per chain whatever the number of points. The vectorised training
is numpy float64 on the CPU; `reference_train` is the paper's PyTorch loop it is tested against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from .checks import check_int, check_number, check_positive
from .train import TrainingDiverged

PAPER_KAPPAS = (0.05, 0.15, 0.3, 0.5)
PAPER_DEPTHS = tuple(range(1, 11))
PAPER_LR = 1e-3
PAPER_STEPS = 10_000
PAPER_TRIALS = 100
# mean D read off the repository's figures (pixel calibration by the axis ticks): κ = 0.05
# (`parameter-deviation-noise=0.05.png`, commit 267bdc8) after 10,000 and 2,000 iterations, and the
# same script's κ = 0.15 run (`differences/differences:noise=0.15.png`, commit 2f53f1d)
PAPER_D_10K = {3: 0.01, 4: 0.057, 5: 0.11, 6: 0.24, 7: 0.37, 8: 0.52, 9: 0.72, 10: 0.78}
PAPER_D_2K = {8: 0.76, 9: 0.87, 10: 0.93}
PAPER15_D_10K, PAPER15_D_2K = {8: 0.60, 9: 0.63, 10: 0.70}, {8: 0.79, 9: 0.85, 10: 0.84}


@dataclass
class ChainData:
    """Training (x, y) and validation sets, shape (n_kappa, trials, n); true A, B (trials,); κ."""

    x: np.ndarray; y: np.ndarray; x_val: np.ndarray; y_val: np.ndarray   # noqa: E702
    slope: np.ndarray; intercept: np.ndarray; kappa: np.ndarray           # noqa: E702


def paper_data(trials: int, kappas: Sequence[float] = PAPER_KAPPAS, *, n: int = 1000,
               n_val: int = 200, rng: np.random.Generator) -> ChainData:
    """Draw the paper's data: X ~ N(0,1), A, B ~ N(0,1), y = A X + B + ε·κ·mean(A X + B).

    The script's quirk is kept: the noise ε ~ N(0,1) is scaled by the MEAN of the clean target
    (≈ B), not by its spread. The same X, A, B and ε serve every κ, compared trial by trial.
    """
    trials = check_int("trials", trials, 1)
    n, n_val = check_int("n", n, 1), check_int("n_val", n_val, 1)
    kappa = np.asarray(kappas, dtype=np.float64).reshape(-1)
    if kappa.size == 0 or np.any(kappa < 0) or not np.all(np.isfinite(kappa)):
        raise ValueError(f"kappas must be a non-empty list of finite values ≥ 0, got {kappas!r}")
    x, a, b = rng.standard_normal((trials, n)), rng.standard_normal(trials), rng.standard_normal(trials)
    eps, x_val, eps_val = (rng.standard_normal((trials, m)) for m in (n, n_val, n_val))

    def target(xx, ee):   # the clean target plus κ ε mean(clean target): the script's noise
        clean = a[:, None] * xx + b[:, None]
        return clean[None] + kappa[:, None, None] * ee[None] * clean.mean(1)[None, :, None]

    shape = (kappa.size, trials)
    return ChainData(x=np.broadcast_to(x, shape + (n,)).copy(), y=target(x, eps),
                     x_val=np.broadcast_to(x_val, shape + (n_val,)).copy(), y_val=target(x_val, eps_val),
                     slope=a, intercept=b, kappa=kappa)


@dataclass
class Moments:
    """The five moments the loss depends on (equation `lnn-loss-moments` of chapter 6): means of x, x², y, xy, y²."""

    sx: np.ndarray; sxx: np.ndarray; sy: np.ndarray; sxy: np.ndarray; syy: np.ndarray   # noqa: E702

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
        return Moments(*(np.broadcast_to(v, shape) for v in (self.sx, self.sxx, self.sy, self.sxy, self.syy)))

    def ols(self) -> tuple[np.ndarray, np.ndarray]:
        """Least-squares slope and intercept: a = cov(x,y)/var(x), c = ȳ − a x̄ (the loss's minimiser)."""
        a = (self.sxy - self.sx * self.sy) / (self.sxx - self.sx**2)
        return a, self.sy - a * self.sx

    def loss(self, p: np.ndarray, c: np.ndarray) -> np.ndarray:
        """MSE of f(x) = p x + c from the moments (equation `lnn-loss-moments` of chapter 6), no factor ½."""
        return (p * p * self.sxx + 2 * p * c * self.sx + c * c - 2 * p * self.sxy
                - 2 * c * self.sy + self.syy)


def default_init(shape: tuple[int, ...], depth: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's default init of `nn.Linear(1, 1)` (Kaiming-uniform, a = √5): (w, b) ~ U[−1, 1], shape + (depth,)."""
    depth = check_int("depth", depth, 1)
    return rng.uniform(-1.0, 1.0, shape + (depth,)), rng.uniform(-1.0, 1.0, shape + (depth,))


def identity_init(sign: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Identity-like initialisation w = (sign, 1, …, 1), b = 0: f(x) = sign·x, every invariant 0."""
    depth = check_int("depth", depth, 1)
    sign = np.asarray(sign, np.float64)
    if not np.all(np.abs(sign) == 1):
        raise ValueError("sign must contain only +1 and −1")
    w = np.ones(sign.shape + (depth,))
    w[..., 0] = sign
    return w, np.zeros(sign.shape + (depth,))


def deviation(p: np.ndarray, c: np.ndarray, a_ols: np.ndarray, c_ols: np.ndarray) -> np.ndarray:
    """The paper's metric D = |P − a_OLS| + |c − c_OLS|."""
    return np.abs(p - a_ols) + np.abs(c - c_ols)


def invariants(w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Balance invariants Q_i = w_{i+1}² − w_i² − b_i², i = 1..k−1 (last axis), conserved by gradient flow."""
    return w[..., 1:] ** 2 - w[..., :-1] ** 2 - b[..., :-1] ** 2


@dataclass
class ChainRun:
    """`train_chains`: final `w`, `b`; `p`, `c`, `loss` ((R,) + batch) at `steps`; `w_at`, `b_at` at `checkpoints`."""

    w: np.ndarray; b: np.ndarray; steps: np.ndarray                  # noqa: E702
    p: np.ndarray; c: np.ndarray; loss: np.ndarray                   # noqa: E702
    checkpoints: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    w_at: np.ndarray | None = None
    b_at: np.ndarray | None = None


def train_chains(w: np.ndarray, b: np.ndarray, moments: Moments, *, depth: np.ndarray | int | None = None,
                 lr: float = PAPER_LR, steps: int = PAPER_STEPS, record_every: int = 100,
                 checkpoints: Sequence[int] = (), train_bias: np.ndarray | bool = True,
                 weight_decay: float | np.ndarray = 0.0) -> ChainRun:
    """Exact full-batch gradient descent on the MSE for a batch of chains, all at once.

    `w`, `b`: arrays batch + (K,) in float64; `moments` broadcastable to the batch shape;
    `depth` (broadcastable to the batch, 1 ≤ depth ≤ K, default K): a chain of depth k uses
    layers 1..k; its layers k+1..K must be identities (w = 1, b = 0) and stay frozen.
    Each step is w ← w − lr ∂L/∂w, b ← b − lr ∂L/∂b with the gradients of equation
    `lnn-chain-grad` of chapter 6, O(K) per chain. `train_bias` (bool, or 0/1 broadcastable to
    batch + (K,)) freezes the biases where false. `weight_decay` λ ≥ 0 adds λ·θ to every trained
    parameter's gradient (λ broadcastable to the batch), as `torch.optim.SGD(weight_decay=λ)` does: GD on
    L + (λ/2)‖θ‖² (the recorded `loss` stays L). Raises `TrainingDiverged` on a non-finite loss.
    """
    steps, record_every = check_int("steps", steps, 1), check_int("record_every", record_every, 1)
    check_positive("lr", lr)
    wd_in = np.asarray(weight_decay, dtype=np.float64)
    if not np.all(np.isfinite(wd_in)) or np.any(wd_in < 0):
        raise ValueError(f"weight_decay must be finite and ≥ 0, got {weight_decay!r}")
    w, b = np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)
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
    weight_decay = np.ascontiguousarray(np.broadcast_to(wd_in, batch), dtype=np.float64).reshape(1, B)
    decay = bool(weight_decay.any())
    m = moments.broadcast(batch)
    sx, sxx, sy, sxy = (np.ascontiguousarray(v, dtype=np.float64).reshape(B) for v in (m.sx, m.sxx, m.sy, m.sxy))
    # layer-major storage (K, B): row i is layer i of every chain
    W, Bi = (np.ascontiguousarray(a.reshape(B, K).T) for a in (w, b))
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
                    rec_p.append(p), rec_c.append(c)
                if t in cps:
                    w_at.append(W.T.reshape(batch + (K,)).copy())
                    b_at.append(Bi.T.reshape(batch + (K,)).copy())
                if t == steps:
                    break
                g_p = 2.0 * (p * sxx + c * sx - sxy)
                g_c = 2.0 * (p * sx + c - sy)
                for i in range(K - 2, -1, -1):
                    np.multiply(G[i + 1], W[i + 1], out=G[i])          # G_i = Π_{j>i} w_j
                if decay:                                 # + λ θ, before θ changes
                    dW, dB = lrm * (weight_decay * W), lrb * (weight_decay * Bi)
                W -= (G * lrm) * (p_in * g_p + c_in * g_c)             # w_i −= lr G_i (P_{i-1} g_P + c_{i-1} g_c)
                Bi -= (G * lrb) * g_c                                  # b_i −= lr G_i g_c (lr 0 where frozen)
                if decay:
                    W -= dW; Bi -= dB   # noqa: E702
    except FloatingPointError as err:
        raise TrainingDiverged(f"overflow or NaN at step {t} with lr={lr}") from err
    P, C = (np.stack(r).reshape((-1,) + batch) for r in (rec_p, rec_c))
    loss = m.loss(P, C)
    if not np.all(np.isfinite(loss)):
        bad = int(np.argmax(~np.all(np.isfinite(loss.reshape(len(rec_steps), -1)), 1)))
        raise TrainingDiverged(f"non-finite loss at step {rec_steps[bad]} with lr={lr}")
    return ChainRun(w=W.T.reshape(batch + (K,)).copy(), b=Bi.T.reshape(batch + (K,)).copy(),
                    steps=np.array(rec_steps), p=P, c=C, loss=loss, checkpoints=np.array(cps, dtype=int),
                    w_at=np.stack(w_at) if w_at else None, b_at=np.stack(b_at) if b_at else None)


def grid_init(shape: tuple[int, ...], depths: Sequence[int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Default (U[−1,1]) init, a chain of its own per depth as in the paper's loop: (w, b) of shape
    shape + (len(depths), K), K = max(depths), shorter chains padded with identities (w = 1, b = 0)."""
    K = max(depths)
    ws, bs = [], []
    for k in depths:
        w, b = default_init(shape, k, rng)
        pad = [(0, 0)] * len(shape) + [(0, K - k)]
        ws.append(np.pad(w, pad, constant_values=1.0))
        bs.append(np.pad(b, pad, constant_values=0.0))
    return np.stack(ws, -2), np.stack(bs, -2)


def reference_train(x: np.ndarray, y: np.ndarray, w0: Sequence[float], b0: Sequence[float], *,
                    lr: float = PAPER_LR, steps: int = PAPER_STEPS, weight_decay: float = 0.0,
                    device: torch.device | str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """The paper's loop for ONE chain of `nn.Linear(1, 1)` layers set to (w0, b0), in float64 on `device`:
    full-batch `nn.MSELoss()` (mean, no ½) and `torch.optim.SGD(lr, weight_decay)`. Returns the final
    (w, b); raises `linearity.train.TrainingDiverged` on a non-finite loss or parameters."""
    steps = check_int("steps", steps, 1)
    check_positive("lr", lr)
    weight_decay = check_number("weight_decay", weight_decay, 0.0)
    if len(w0) != len(b0) or len(w0) < 1:
        raise ValueError("w0 and b0 must have the same positive length (the depth)")
    layers = [torch.nn.Linear(1, 1, dtype=torch.float64, device=device) for _ in w0]
    with torch.no_grad():
        for layer, wi, bi in zip(layers, w0, b0):
            layer.weight.fill_(float(wi)), layer.bias.fill_(float(bi))
    model = torch.nn.Sequential(*layers)
    X = torch.as_tensor(np.asarray(x, np.float64), device=device).reshape(-1, 1)
    Y = torch.as_tensor(np.asarray(y, np.float64), device=device).reshape(-1, 1)
    mse = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    for t in range(steps + 1):
        opt.zero_grad()
        loss = mse(model(X), Y)
        if not math.isfinite(loss.item()):
            raise TrainingDiverged(f"non-finite loss at step {t} with lr={lr}")
        if t == steps:
            break
        loss.backward()
        opt.step()
    w, b = (np.array([getattr(layer, n).item() for layer in layers]) for n in ("weight", "bias"))
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
        raise TrainingDiverged(f"non-finite parameters after step {steps} with lr={lr}")
    return w, b


def chain_gradient(w: np.ndarray, b: np.ndarray, moments: Moments, *, weight_decay: float = 0.0) -> np.ndarray:
    """Gradient norm ‖∇(L + (λ/2)‖θ‖²)‖ over θ = (w_1..w_k, b_1..b_k) for chains batch + (k,), shape batch.

    The gradients of equation `lnn-chain-grad` of chapter 6 plus λθ (what `train_chains` steps
    along); `moments` broadcastable to the batch. It is 0 at a critical point of the objective.
    """
    weight_decay = check_number("weight_decay", weight_decay, 0.0)
    w, b = np.asarray(w, np.float64), np.asarray(b, np.float64)
    if w.shape != b.shape or w.ndim < 1:
        raise ValueError(f"w and b must have the same shape batch + (k,), got {w.shape} and {b.shape}")
    m = moments.broadcast(w.shape[:-1])
    p_in = np.concatenate([np.ones_like(w[..., :1]), np.cumprod(w, -1)[..., :-1]], -1)       # P_{i-1}
    c_in = np.zeros_like(w)                                                                  # c_{i-1}
    for i in range(1, w.shape[-1]):
        c_in[..., i] = c_in[..., i - 1] * w[..., i - 1] + b[..., i - 1]
    p, c = p_in[..., -1] * w[..., -1], c_in[..., -1] * w[..., -1] + b[..., -1]
    g_p, g_c = 2 * (p * m.sxx + c * m.sx - m.sxy), 2 * (p * m.sx + c - m.sy)
    gain = np.concatenate([np.cumprod(w[..., ::-1], -1)[..., ::-1][..., 1:], np.ones_like(w[..., :1])], -1)  # G_i
    g_w = gain * (p_in * g_p[..., None] + c_in * g_c[..., None]) + weight_decay * w
    g_b = gain * g_c[..., None] + weight_decay * b
    return np.sqrt((g_w ** 2).sum(-1) + (g_b ** 2).sum(-1))

"""Partially linear networks and their average path length (Mehmeti-Göpel & Disselhoff 2023).

A network is described at the level of its hidden units. Each unit has a PReLU slope
α_c ∈ [0, 1]; α_c = 1 makes it a linear unit. The *average path length* (APL) is the
average, over paths from the input to the output of the network graph, of the number of
still-nonlinear units a path meets:

    unnormalised:  APL = (1/|P|) Σ_{p ∈ P} #nonlinear(p)          (every path equally likely)
    normalised:    APL = E_walk[#nonlinear(p)]                        (random walk: each branch of
                                                                        a residual split w.p. 1/2,
                                                                        units of a layer uniformly)

A network *spec* is a list whose items are

- a boolean array `mask` (True = nonlinear unit): a fully connected layer of len(mask) units,
  connected to every unit of the previous and next layer;
- `Skip(body)`: a residual block y = x + F(x) around the sub-network `body` (a spec).
  The residual sum is one node of the graph (the junction), so the skip is one extra path.

The exact recursion (series: N = N₁N₂, S = S₁N₂ + N₁S₂; skip: N = N_body + 1, S = S_body;
one layer: N = width, S = #nonlinear) is checked against `enumerate_paths`, which builds the
graph explicitly and lists every path.

Training (Eq. of the chapter): per network e of an ensemble,

    L_e = CE_e(θ_e) + λ_e · 1[t ≥ t_e] · Σ_c |1 − α_{e,c}|,   α clipped to [0, 1] after each step,

the sum over e is minimised with Adam (Adam is elementwise, so the networks stay
independent), every parameter kept on a grid of 2⁻²⁴ (`GRID`); at the end of the penalty phase slopes within ε of 1 are set to 1, then the
slopes are frozen and the weights fine-tuned without the penalty.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from .models import MLP
from .checks import check_int
from .train import fit

GRID = 2.0**-24   # fixed-point grid of the sweeps' parameters (see `linearity.train.fit`)


@dataclass(frozen=True)
class Skip:
    """A residual block y = x + F(x) around the sub-network `body` (a non-empty spec)."""

    body: list


def _check_spec(spec) -> None:
    if not isinstance(spec, (list, tuple)) or len(spec) == 0:
        raise ValueError(f"spec must be a non-empty list of masks and Skip blocks, got {spec!r}")
    for item in spec:
        if isinstance(item, Skip):
            _check_spec(item.body)
        else:
            m = np.asarray(item)
            if m.ndim != 1 or m.size == 0 or m.dtype != bool:
                raise ValueError(f"spec items must be 1-d non-empty boolean masks or Skip, got {item!r}")


def _counts(spec) -> tuple[int, int]:
    """(number of paths N, total number of nonlinear units S summed over paths)."""
    n, s = 1, 0
    for item in spec:
        if isinstance(item, Skip):
            nb, sb = _counts(item.body)
            ni, si = nb + 1, sb
        else:
            m = np.asarray(item)
            ni, si = int(m.size), int(m.sum())
        n, s = n * ni, s * ni + n * si
    return n, s


def _expected(spec) -> Fraction:
    """Expected number of nonlinear units met by the random walk."""
    total = Fraction(0)
    for item in spec:
        if isinstance(item, Skip):
            total += _expected(item.body) / 2
        else:
            m = np.asarray(item)
            total += Fraction(int(m.sum()), int(m.size))
    return total


def n_paths(spec) -> int:
    """Number of input-to-output paths of the network graph (skip: N_body + 1; series: product)."""
    _check_spec(spec)
    return _counts(spec)[0]


def apl(spec, normalized: bool = False) -> float:
    """Exact average path length of a spec (module docstring); `normalized` picks the random walk."""
    _check_spec(spec)
    if normalized:
        return float(_expected(spec))
    n, s = _counts(spec)
    return float(Fraction(s, n))


def apl_mlp(masks) -> np.ndarray:
    """APL of plain MLPs: Σ_l (fraction of nonlinear units in layer l), both normalisations.

    `masks` is a list of boolean arrays of shape (..., width_l); returns shape (...).
    """
    if len(masks) == 0:
        raise ValueError("masks must hold at least one layer")
    return sum(np.asarray(m, dtype=float).mean(-1) for m in masks)


def enumerate_paths(spec) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: build the graph node by node and list every input-to-output path.

    Returns (counts, probs): the number of nonlinear units on each path and the probability
    the random walk takes it (1/2 at a skip junction, uniform otherwise). The test oracle of
    `apl`; exponential in the depth, so only for small networks.
    """
    _check_spec(spec)
    nonlinear: list[bool] = []
    edges: list[list[int]] = []
    split: set[int] = set()          # skip-entry junctions
    skip_edge: dict[int, int] = {}   # junction -> its skip target

    def node(is_nonlinear: bool) -> int:
        nonlinear.append(is_nonlinear)
        edges.append([])
        return len(nonlinear) - 1

    def build(items) -> tuple[list[int], list[int]]:
        heads, tails = None, None
        for item in items:
            if isinstance(item, Skip):
                j_in, j_out = node(False), node(False)
                bh, bt = build(item.body)
                edges[j_in].extend(bh)
                for t in bt:
                    edges[t].append(j_out)
                edges[j_in].append(j_out)
                split.add(j_in)
                skip_edge[j_in] = j_out
                h, t = [j_in], [j_out]
            else:
                units = [node(bool(b)) for b in np.asarray(item)]
                h, t = units, units
            if heads is None:
                heads = h
            else:
                for a in tails:
                    edges[a].extend(h)
            tails = t
        return heads, tails

    source = node(False)
    heads, tails = build(spec)
    sink = node(False)
    edges[source].extend(heads)
    for t in tails:
        edges[t].append(sink)

    counts, probs = [], []
    stack = [(source, 0, 1.0)]
    while stack:
        v, c, p = stack.pop()
        c += nonlinear[v]
        if v == sink:
            counts.append(c)
            probs.append(p)
            continue
        out = edges[v]
        for w in out:
            if v in split:
                q = 0.5 if w == skip_edge[v] else 0.5 / (len(out) - 1)
            else:
                q = 1.0 / len(out)
            stack.append((w, c, p * q))
    return np.array(counts), np.array(probs)


def toy_spec(width: int = 4, layers: int = 4) -> list:
    """The paper's toy: one skip around `layers` fully connected layers of `width` units, all nonlinear."""
    return [Skip([np.ones(width, dtype=bool) for _ in range(layers)])]


# --- penalty and snapping ----------------------------------------------------------------


def slope_penalty(slopes) -> torch.Tensor:
    """Σ_c (1 − α_c) per network, shape (E,), for slopes given as a list of (E, width) tensors.

    On [0, 1], where the slopes are kept, this is Σ_c |1 − α_c|. The linear form is the one
    differentiated: its gradient −1 does not jump at α = 1 (that of |·| is 0 there), so a slope
    that touches 1 on one CPU and stops a rounding error short on another gets the same update.
    """
    return sum((1 - a).sum(-1) for a in slopes)


def linear_masks(model: MLP) -> list[np.ndarray]:
    """Boolean masks (E, width) per PReLU layer, True where the unit is still nonlinear (α < 1)."""
    return [(a.detach().cpu().numpy() < 1.0) for a in model.slopes]


@torch.no_grad()
def snap_slopes(model: MLP, eps: float) -> None:
    """Clip every slope to [0, 1] and set those within `eps` of 1 to exactly 1 (linear units)."""
    if not 0 <= eps < 1:
        raise ValueError(f"eps must be in [0, 1), got {eps!r}")
    for a in model.slopes:
        a.clamp_(0.0, 1.0)
        a[a >= 1.0 - eps] = 1.0


# --- batched training ------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What `train_sweep` returns per network: nonlinear masks, APL, train and test accuracy."""

    masks: list[np.ndarray]
    apl: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray


def accuracy(model: MLP, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Fraction of correctly classified points per network, shape (E,)."""
    with torch.no_grad():
        pred = model(x).argmax(-1)
    return (pred == y).double().mean(-1).cpu().numpy()


def train_sweep(model: MLP, x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor, *,
                lam, penalty_start, steps: int, finetune_steps: int, lr: float, eps: float,
                grid: float = GRID) -> SweepResult:
    """Train every network e of a PReLU ensemble with its own λ_e from step t_e on (module docstring).

    `lam` and `penalty_start` hold one value per network (E,). Adam (`linearity.train.fit`, with the
    penalty, slopes clipped to [0, 1] and every parameter rounded to a multiple of `grid` after
    every update, so that the run is the same on every CPU) runs `steps` steps; then the slopes
    are snapped (`snap_slopes`), frozen, and weights and biases are fine-tuned for
    `finetune_steps` steps without the penalty. Returns the masks, APL and accuracies.
    """
    if model.activation != "prelu" or model.ensemble is None:
        raise ValueError("model must be an MLP with activation='prelu' and an ensemble dimension")
    e = model.ensemble
    lam = torch.as_tensor(np.asarray(lam, dtype=float), dtype=model.weights[0].dtype, device=x.device)
    start = torch.as_tensor(np.asarray(penalty_start), device=x.device)
    if lam.shape != (e,) or start.shape != (e,):
        raise ValueError(f"lam and penalty_start must have shape ({e},), got {tuple(lam.shape)} and {tuple(start.shape)}")
    if (lam < 0).any():
        raise ValueError("lam must be >= 0")
    check_int("steps", steps)
    check_int("finetune_steps", finetune_steps)

    def clip(step: int, m: MLP) -> None:
        with torch.no_grad():
            for a in m.slopes:
                a.clamp_(0.0, 1.0)

    def pull(step: int, m: MLP) -> torch.Tensor:
        return lam * (start <= step).to(lam.dtype) * slope_penalty(m.slopes)

    common = dict(loss="cross_entropy", optimizer="adam", lr=lr, grid=grid)
    fit(model, x, y, steps=steps, record_every=max(steps, 1), callback=clip, penalty=pull, **common)
    snap_slopes(model, eps)
    fit(model, x, y, steps=finetune_steps, record_every=max(finetune_steps, 1),
          params=list(model.weights) + list(model.biases), **common)
    masks = linear_masks(model)
    return SweepResult(masks=masks, apl=apl_mlp(masks), train_accuracy=accuracy(model, x, y),
                       test_accuracy=accuracy(model, x_test, y_test))


def mean_accuracy_over_apl(apl_values, acc, upper: float, lower: float = 0.0) -> float:
    """Mean over APL ∈ [lower, upper] of the accuracy curve through the points (APL, acc).

    The points are sorted by APL (equal APL values averaged), joined linearly, and held
    constant beyond the first and last point; the curve is averaged on a fine grid.
    """
    a, v = np.asarray(apl_values, float), np.asarray(acc, float)
    if a.shape != v.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("apl_values and acc must be 1-d arrays of the same non-zero length")
    if not upper > lower:
        raise ValueError(f"upper must be > lower = {lower!r}, got {upper!r}")
    xs = np.unique(a)
    ys = np.array([v[a == u].mean() for u in xs])
    grid = np.linspace(lower, upper, 2001)
    return float(np.interp(grid, xs, ys).mean())


@dataclass
class Sweep:
    """A seeds × λ × regime sweep; arrays have shape (2, n_lambda, n_seeds), regime 0 = early, 1 = late."""

    lambdas: np.ndarray
    apl: np.ndarray
    test_accuracy: np.ndarray
    train_accuracy: np.ndarray
    masks: list[np.ndarray]   # per PReLU layer, (2, n_lambda, n_seeds, width)
    model: MLP


def sweep(x, y, x_test, y_test, *, lambdas, n_seeds: int, width: int, depth: int, steps: int,
          finetune_steps: int, lr: float, eps: float, generator: torch.Generator, grid: float = GRID,
          dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> Sweep:
    """Early and late regimes for every λ and sub-seed, trained as ONE ensemble.

    Network (r, i, s) has λ_i; early networks (r = 0) feel the penalty from step 0, late ones
    (r = 1) from step `steps` // 2. The early and late network of the same (i, s) start from
    the same initialisation, so their difference is the regime alone.
    """
    lambdas = np.asarray(lambdas, dtype=float)
    if lambdas.ndim != 1 or lambdas.size == 0 or (lambdas < 0).any():
        raise ValueError(f"lambdas must be a non-empty 1-d array of numbers >= 0, got {lambdas!r}")
    check_int("n_seeds", n_seeds, 1)
    n_lam = lambdas.size
    half = n_lam * n_seeds
    d_in, d_out = x.shape[1], int(max(y.max(), y_test.max())) + 1
    model = MLP(d_in, width, d_out, depth=depth, activation="prelu", bias=True, ensemble=2 * half,
                dtype=dtype, generator=generator)
    with torch.no_grad():
        for p in model.parameters():
            p[half:] = p[:half]          # late network (i, s) starts where early network (i, s) starts
    model.to(device)
    tx = lambda a: torch.as_tensor(a, dtype=dtype, device=device)          # noqa: E731
    ty = lambda a: torch.as_tensor(a, dtype=torch.long, device=device)     # noqa: E731
    lam = np.tile(np.repeat(lambdas, n_seeds), 2)
    start = np.r_[np.zeros(half, dtype=int), np.full(half, steps // 2)]
    r = train_sweep(model, tx(x), ty(y), tx(x_test), ty(y_test), lam=lam, penalty_start=start,
                    steps=steps, finetune_steps=finetune_steps, lr=lr, eps=eps, grid=grid)
    shape = (2, n_lam, n_seeds)
    return Sweep(lambdas=lambdas, apl=r.apl.reshape(shape), test_accuracy=r.test_accuracy.reshape(shape),
                 train_accuracy=r.train_accuracy.reshape(shape),
                 masks=[m.reshape(*shape, -1) for m in r.masks], model=model)


def effective_masks(model: MLP, x: torch.Tensor) -> list[np.ndarray]:
    """Units that act nonlinearly on the data x: slope < 1 AND pre-activations of both signs.

    A unit whose pre-activation never changes sign on x computes z or α z there: linear.
    """
    with torch.no_grad():
        zs = model.hidden(x)[:-1]
    return [(((z > 0).any(1) & (z < 0).any(1)) & (a < 1)).cpu().numpy() for z, a in zip(zs, model.slopes)]

"""Partially linear networks and their average path length (chapter 5; Mehmeti-Göpel & Disselhoff 2023).

Each hidden unit has a PReLU slope α_c ∈ [0, 1]; α_c = 1 makes it a linear unit. The
*average path length* (APL) is the average, over input-to-output paths of the network graph,
of the number of still-nonlinear units a path meets: unnormalised, every path equally likely;
normalised (equation `nla-apl-normalized` of chapter 5), a random walk that takes each branch
of a residual split with probability 1/2 and the units of a layer uniformly.

A network *spec* is a list whose items are

- a boolean array `mask` (True = nonlinear unit): a fully connected layer of len(mask) units,
  connected to every unit of the previous and next layer;
- `Skip(body)`: a residual block y = x + F(x) around the sub-network `body` (a spec).
  The residual sum is one node of the graph (the junction), so the skip is one extra path.

The exact recursion (series: N = N₁N₂, S = S₁N₂ + N₁S₂; skip: N = N_body + 1, S = S_body;
one layer: N = width, S = #nonlinear) is checked against `enumerate_paths`, which builds the
graph explicitly and lists every path. `sweep` trains PReLU networks with the slope penalty
(equation `nla-penalty-loss` of chapter 5), early or late, and measures their APL;
`random_linearisation` is its control (the same number of linear units per layer, chosen at
random); `mean_accuracy_over_apl` is the accuracy-over-APL average of equation `nla-auc`.
Both training functions raise `TrainingDiverged` when the training blows up (`check_trained`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from .checks import check_int
from .models import MLP
from .train import TrainingDiverged, fit, losses

GRID = 2.0**-24   # fixed-point grid of the sweeps' parameters (see `linearity.train.fit`)
CHUNK = 48        # ensemble members per forward/backward pass (`linearity.train.fit`): fits the cache
DIVERGED = 10.0   # a final loss above DIVERGED × the initial loss means the training blew up


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
    """Exact average path length of a spec; `normalized` picks the random walk (equation
    `nla-apl-normalized` of chapter 5), otherwise every path counts equally (S/N)."""
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
    skip_edge: dict[int, int] = {}   # skip-entry junction -> its skip target

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
            if v in skip_edge:
                q = 0.5 if w == skip_edge[v] else 0.5 / (len(out) - 1)
            else:
                q = 1.0 / len(out)
            stack.append((w, c, p * q))
    return np.array(counts), np.array(probs)


def toy_spec(width: int = 4, layers: int = 4) -> list:
    """The paper's toy: one skip around `layers` fully connected layers of `width` units, all nonlinear."""
    return [Skip([np.ones(width, dtype=bool) for _ in range(layers)])]


def slope_penalty(slopes) -> torch.Tensor:
    """Σ_c (1 − α_c) per network, shape (E,), for slopes given as a list of (E, width) tensors.

    On [0, 1], where the slopes are kept, this is the penalty Σ_c |1 − α_c| of equation
    `nla-penalty-loss` of chapter 5. The linear form is the one differentiated: its gradient −1
    does not jump at α = 1 (that of |·| is 0 there), so a slope that touches 1 on one CPU and
    stops a rounding error short on another gets the same update.
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


def accuracy(model: MLP, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Fraction of correctly classified points per network, shape (E,)."""
    with torch.no_grad():
        pred = model(x).argmax(-1)
    return (pred == y).double().mean(-1).cpu().numpy()


def mean_accuracy_over_apl(apl_values, acc, upper: float, lower: float = 0.0) -> float:
    """Mean over APL ∈ [lower, upper] of the accuracy curve through the points (APL, acc)
    (equation `nla-auc` of chapter 5 with lower = 0, upper = the number of PReLU layers).

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
    masks: list[np.ndarray]   # per PReLU layer, (2, n_lambda, n_seeds, width), True = nonlinear unit
    model: MLP


def sweep(x, y, x_test, y_test, *, lambdas, n_seeds: int, width: int, depth: int, steps: int,
          finetune_steps: int, lr: float, eps: float, generator: torch.Generator, grid: float = GRID,
          dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> Sweep:
    """Early and late regimes for every λ and sub-seed, trained as ONE ensemble of PReLU MLPs.

    Network (r, i, s) minimises equation `nla-penalty-loss` of chapter 5 with λ_i; early networks
    (r = 0) feel the penalty from step 0, late ones (r = 1) from step `steps` // 2, and the two
    networks of the same (i, s) start from the same initialisation. Adam (`linearity.train.fit`,
    slopes clipped to [0, 1] and every parameter rounded to a multiple of `grid` after every
    update, so that the run is the same on every CPU) runs `steps` steps; then the slopes are
    snapped (`snap_slopes`), frozen, and weights and biases fine-tuned for `finetune_steps`
    steps without the penalty.
    """
    lambdas = np.asarray(lambdas, dtype=float)
    if lambdas.ndim != 1 or lambdas.size == 0 or (lambdas < 0).any():
        raise ValueError(f"lambdas must be a non-empty 1-d array of numbers >= 0, got {lambdas!r}")
    check_int("n_seeds", n_seeds, 1)
    check_int("steps", steps)
    check_int("finetune_steps", finetune_steps)
    n_lam, half = lambdas.size, lambdas.size * n_seeds
    d_in, d_out = x.shape[1], int(max(y.max(), y_test.max())) + 1
    model = MLP(d_in, width, d_out, depth=depth, activation="prelu", bias=True, ensemble=2 * half,
                dtype=dtype, device=device, generator=generator)
    with torch.no_grad():
        for p in model.parameters():
            p[half:] = p[:half]          # late network (i, s) starts where early network (i, s) starts
    tx = lambda a: torch.as_tensor(a, dtype=dtype, device=device)          # noqa: E731
    ty = lambda a: torch.as_tensor(a, dtype=torch.long, device=device)     # noqa: E731
    x, y, x_test, y_test = tx(x), ty(y), tx(x_test), ty(y_test)
    lam = tx(np.tile(np.repeat(lambdas, n_seeds), 2))
    start = torch.as_tensor(np.r_[np.zeros(half, dtype=int), np.full(half, steps // 2)], device=device)

    def clip(step: int, m: MLP) -> None:
        with torch.no_grad():
            for a in m.slopes:
                a.clamp_(0.0, 1.0)

    def pull(step: int, m: MLP) -> torch.Tensor:
        return lam * (start <= step).to(lam.dtype) * slope_penalty(m.slopes)

    common = dict(loss="cross_entropy", optimizer="adam", lr=lr, grid=grid, chunk=CHUNK)
    start_loss = fit(model, x, y, steps=steps, record_every=max(steps, 1), callback=clip, penalty=pull,
                     **common).loss[0]
    snap_slopes(model, eps)
    fit(model, x, y, steps=finetune_steps, record_every=max(finetune_steps, 1),
        params=list(model.weights) + list(model.biases), **common)
    check_trained(model, x, y, start_loss, lr)
    masks, shape = linear_masks(model), (2, n_lam, n_seeds)
    return Sweep(lambdas=lambdas, apl=apl_mlp(masks).reshape(shape),
                 test_accuracy=accuracy(model, x_test, y_test).reshape(shape),
                 train_accuracy=accuracy(model, x, y).reshape(shape),
                 masks=[m.reshape(*shape, -1) for m in masks], model=model)


def check_trained(model: MLP, x: torch.Tensor, y: torch.Tensor, start_loss: np.ndarray, lr: float) -> None:
    """Raise `TrainingDiverged` unless every network's final training loss is finite and at most
    `DIVERGED` times its loss at initialisation.

    `fit` already raises on a NaN or infinite loss at any step; a step size so large that the
    weights blow up to finite but huge values (lr = 1e30) leaves a finite loss of 1e90 and
    chance accuracy, which this catches. With the penalty alone, a network ends no worse than a
    linear classifier, whose cross-entropy is below that at initialisation times `DIVERGED`.
    """
    with torch.no_grad():
        end = losses(model.hidden(x)[-1], y, "cross_entropy").cpu().numpy()
    bad = ~np.isfinite(end) | (end > DIVERGED * np.asarray(start_loss))
    if bad.any():
        raise TrainingDiverged(
            f"training diverged: final loss {end[bad][:4]} of {int(bad.sum())} network(s) against "
            f"{np.asarray(start_loss)[bad][:4]} at initialisation, with lr={lr}; lower the learning rate")


def effective_masks(model: MLP, x: torch.Tensor) -> list[np.ndarray]:
    """Units that act nonlinearly on the data x: slope < 1 AND pre-activations of both signs.

    A unit whose pre-activation never changes sign on x computes z or α z there: linear.
    """
    with torch.no_grad():
        zs = model.hidden(x)[:-1]
    return [(((z > 0).any(1) & (z < 0).any(1)) & (a < 1)).cpu().numpy() for z, a in zip(zs, model.slopes)]


@dataclass
class RandomControl:
    """Networks linearised at random with the same number of linear units per layer as the
    penalty-found networks of one regime of a `Sweep`; arrays have shape (n_lambda, n_seeds)."""

    apl: np.ndarray
    test_accuracy: np.ndarray


def random_linearisation(sw: Sweep, x, y, x_test, y_test, *, regime: int, finetune_steps: int, lr: float,
                         rng: np.random.Generator, grid: float = GRID) -> RandomControl:
    """The control of the penalty: linearise units at random instead of where the penalty did.

    For every (λ_i, sub-seed s), start from the unpenalised network (λ = 0, same sub-seed) of
    `sw`, set to 1 the slopes of as many units per layer as network (regime, i, s) has linear
    units, chosen uniformly at random, freeze the slopes and fine-tune weights and biases for
    `finetune_steps` Adam steps on the grid, as `sweep` fine-tunes. Both networks then have the
    same APL (unless the λ = 0 network already has more linear units in a layer, which stay
    linear; compare the returned `apl`); only *which* units are linear differs.
    """
    if regime not in (0, 1):
        raise ValueError(f"regime must be 0 (early) or 1 (late), got {regime!r}")
    check_int("finetune_steps", finetune_steps)
    src = sw.model
    n_lam, n_seeds = sw.apl.shape[1:]
    e_total = 2 * n_lam * n_seeds
    dtype, device = src.weights[0].dtype, src.weights[0].device
    d_in, d_out = src.weights[0].shape[2], src.weights[-1].shape[1]
    model = MLP(d_in, list(src.dims[1:-1]), d_out, depth=src.depth, activation="prelu", bias=True,
                ensemble=n_lam * n_seeds, dtype=dtype, device=device)
    base = np.arange(e_total).reshape(2, n_lam, n_seeds)[regime, 0]          # λ = 0 of each sub-seed
    source = torch.as_tensor(np.tile(base, n_lam), device=device)           # member (i, s) <- (0, s)
    with torch.no_grad():
        for dst, p in zip(model.parameters(), src.parameters()):
            dst.copy_(p[source])
        for a, m in zip(model.slopes, sw.masks):
            n_linear = (~m[regime]).reshape(n_lam * n_seeds, -1).sum(-1)
            for e, k in enumerate(n_linear):
                free = np.flatnonzero(a[e].cpu().numpy() < 1.0)        # units still nonlinear at λ = 0
                need = max(int(k) - (a.shape[1] - free.size), 0)
                a[e, torch.as_tensor(rng.permutation(free)[:need], device=device)] = 1.0
    tx = lambda v: torch.as_tensor(v, dtype=dtype, device=device)          # noqa: E731
    ty = lambda v: torch.as_tensor(v, dtype=torch.long, device=device)     # noqa: E731
    x, y = tx(x), ty(y)
    start_loss = fit(model, x, y, steps=finetune_steps, record_every=max(finetune_steps, 1), loss="cross_entropy",
                     optimizer="adam", lr=lr, grid=grid, params=list(model.weights) + list(model.biases),
                     chunk=CHUNK).loss[0]
    check_trained(model, x, y, start_loss, lr)
    shape = (n_lam, n_seeds)
    return RandomControl(apl=apl_mlp(linear_masks(model)).reshape(shape),
                         test_accuracy=accuracy(model, tx(x_test), ty(y_test)).reshape(shape))

"""Partially linear networks and their average path length (chapter 5; Mehmeti-Göpel & Disselhoff 2023).

Each hidden unit has a PReLU slope α_c ∈ [0, 1]; α_c = 1 makes it a linear unit. The *average
path length* (APL) averages, over the input-to-output paths of the network graph, the number of
still-nonlinear units a path meets: every path equally likely (unnormalised), or a random walk
that takes each branch of a residual split with probability 1/2 (normalised, equation
`nla-apl-normalized` of chapter 5). A network *spec* is a list of boolean masks (a fully
connected layer, True = nonlinear unit) and `Skip(body)` blocks (y = x + F(x)). `apl` is the
exact recursion, `enumerate_paths` its brute-force oracle. `sweep` trains PReLU networks with
the slope penalty (equation `nla-penalty-loss`), early or late; `on_grid` reads a regime's accuracy
at given APLs (equation `nla-matched`); `random_control` is the control of the units
the penalty chooses.
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
            ni, si = _counts(item.body)
            ni += 1
        else:
            ni, si = int(np.size(item)), int(np.sum(item))
        n, s = n * ni, s * ni + n * si
    return n, s


def _expected(spec) -> Fraction:
    """Expected number of nonlinear units met by the random walk."""
    total = Fraction(0)
    for item in spec:
        total += _expected(item.body) / 2 if isinstance(item, Skip) else Fraction(int(np.sum(item)), int(np.size(item)))
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
    """Brute force, the test oracle of `apl`: every input-to-output path (one unit per layer, one branch
    per skip) as (counts, probs), its number of nonlinear units and its probability under the random
    walk (1/2 per branch of a skip, uniform over a layer's units). Exponential in the depth."""
    _check_spec(spec)

    def paths(items) -> list[tuple[int, float]]:
        out = [(0, 1.0)]
        for item in items:
            if isinstance(item, Skip):
                options = [(c, p / 2) for c, p in paths(item.body)] + [(0, 0.5)]
            else:
                options = [(int(b), 1.0 / np.size(item)) for b in np.asarray(item)]
            out = [(c1 + c2, p1 * p2) for c1, p1 in out for c2, p2 in options]
        return out

    counts, probs = zip(*paths(spec))
    return np.array(counts), np.array(probs)


def toy_spec(width: int = 4, layers: int = 4) -> list:
    """The paper's toy: one skip around `layers` fully connected layers of `width` units, all nonlinear."""
    return [Skip([np.ones(width, dtype=bool) for _ in range(layers)])]


def slope_penalty(slopes, weight=None) -> torch.Tensor:
    """Σ_c w_c (1 − α_c) per network, shape (E,), for (E, width) slopes and weights per layer (default 1):
    on [0, 1] the penalty Σ_c |1 − α_c| of equation `nla-penalty-loss` of chapter 5, in a form whose
    gradient does not jump at α = 1 (a slope a rounding error short of 1 gets the update of one at 1)."""
    weight = weight if weight is not None else [None] * len(slopes)
    return sum(((1 - a) if w is None else w * (1 - a)).sum(-1) for a, w in zip(slopes, weight))


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


def on_grid(apl, acc, grid, span: float) -> np.ndarray:
    """One regime's accuracy at the APL values `grid` (equation `nla-matched` of chapter 5): linear
    between its measured networks of nearest APL below and above (networks of equal APL averaged);
    nan outside its measured APLs or between two more than `span` apart, so no chord crosses a gap."""
    a, v, grid = np.asarray(apl, float), np.asarray(acc, float), np.asarray(grid, float)
    if a.shape != v.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("apl and acc must be 1-d, non-empty and of equal length")
    if not span >= 0:
        raise ValueError(f"span must be >= 0, got {span!r}")
    ua, inv = np.unique(a, return_inverse=True)
    uv = np.bincount(inv, v) / np.bincount(inv)
    hi, lo = np.searchsorted(ua, grid), np.searchsorted(ua, grid, "right") - 1
    ok = (lo >= 0) & (hi < ua.size)
    ok[ok] = ua[hi[ok]] - ua[lo[ok]] <= span
    return np.where(ok, np.interp(grid, ua, uv), np.nan)


def _tensors(model: MLP, x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs in the dtype and on the device of `model`, labels as long integers."""
    w = model.weights[0]
    return torch.as_tensor(x, dtype=w.dtype, device=w.device), torch.as_tensor(y, dtype=torch.long, device=w.device)


@dataclass
class Sweep:
    """A regime × λ × sub-seed sweep; arrays have shape (2, n_lambda, n_seeds), regime 0 = early, 1 = late."""

    lambdas: np.ndarray       # (2, n_lambda): the grid of each regime
    apl: np.ndarray
    test_accuracy: np.ndarray
    masks: list[np.ndarray]   # per PReLU layer, (2, n_lambda, n_seeds, width), True = nonlinear unit
    model: MLP
    init: MLP                 # the n_seeds initialisations (sub-seeds)


def train(init: MLP, members, x, y, *, lam, start, steps: int, finetune_steps: int, lr: float, eps: float,
          weight=None, linear=None, grid: float = GRID) -> MLP:
    """Train one network per entry of `members` (the index of its initialisation in `init`) on
    equation `nla-penalty-loss` of chapter 5: Adam on the cross-entropy plus, from step `start[e]`
    on, λ_e Σ_c w_ec (1 − α_ec) (`lam[e]`, `weight` as in `slope_penalty`); slopes clipped to
    [0, 1] and every parameter rounded to a multiple of `grid` after every update (the run is
    the same on every CPU); `linear` (like `weight`) marks units whose slopes start at 1. Then
    the slopes are snapped (`snap_slopes`), frozen, and weights and biases fine-tuned for
    `finetune_steps` steps without the penalty. Raises `TrainingDiverged` if it blew up.
    """
    check_int("steps", steps)
    check_int("finetune_steps", finetune_steps)
    members = torch.as_tensor(np.array(members), device=x.device)
    w0 = init.weights[0]
    model = MLP(init.dims[0], list(init.dims[1:-1]), init.dims[-1], depth=init.depth, activation="prelu",
                bias=True, ensemble=len(members), dtype=w0.dtype, device=w0.device)
    with torch.no_grad():
        for dst, src in zip(model.parameters(), init.parameters()):
            dst.copy_(src[members])
        for a, m in zip(model.slopes, linear or []):   # units made linear before training
            a[m > 0] = 1.0
    lam = torch.as_tensor(np.array(lam, float), dtype=w0.dtype, device=w0.device)
    start = torch.as_tensor(np.array(start), device=w0.device)

    def clip(step: int, m: MLP) -> None:
        with torch.no_grad():
            for a in m.slopes:
                a.clamp_(0.0, 1.0)

    def pull(step: int, m: MLP) -> torch.Tensor:
        return lam * (start <= step).to(lam.dtype) * slope_penalty(m.slopes, weight)

    common = dict(loss="cross_entropy", optimizer="adam", lr=lr, grid=grid, chunk=CHUNK)
    start_loss = fit(model, x, y, steps=steps, record_every=max(steps, 1), callback=clip, penalty=pull,
                     **common).loss[0]
    snap_slopes(model, eps)
    fit(model, x, y, steps=finetune_steps, record_every=max(finetune_steps, 1),
        params=list(model.weights) + list(model.biases), **common)
    check_trained(model, x, y, start_loss, lr)
    return model


def sweep(x, y, x_test, y_test, *, lambdas, n_seeds: int, width: int, depth: int, steps: int,
          finetune_steps: int, lr: float, eps: float, generator: torch.Generator, grid: float = GRID,
          dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> Sweep:
    """Early and late regimes for every λ and sub-seed, trained as ONE ensemble (`train`).

    `lambdas`: one grid, or one row per regime (2, n_lambda). Network (r, i, s) has penalty λ_ri
    from step 0 (early, r = 0) or from step `steps` // 2 (late, r = 1), from initialisation s.
    """
    lambdas = np.broadcast_to(np.asarray(lambdas, dtype=float), (2, np.shape(lambdas)[-1])).copy()
    if np.ndim(lambdas) != 2 or lambdas.shape[1] == 0 or (lambdas < 0).any():
        raise ValueError(f"lambdas must be numbers >= 0, one row or one per regime, got {lambdas!r}")
    check_int("n_seeds", n_seeds, 1)
    d_out = int(max(y.max(), y_test.max())) + 1
    init = MLP(x.shape[1], width, d_out, depth=depth, activation="prelu", bias=True, ensemble=n_seeds,
               dtype=dtype, device=device, generator=generator)
    shape = (2, lambdas.shape[1], n_seeds)
    (x, y), test = _tensors(init, x, y), _tensors(init, x_test, y_test)
    model = train(init, np.broadcast_to(np.arange(n_seeds), shape).ravel(), x, y,
                  lam=np.broadcast_to(lambdas[:, :, None], shape).ravel(),
                  start=np.repeat([0, steps // 2], lambdas.shape[1] * n_seeds), steps=steps,
                  finetune_steps=finetune_steps, lr=lr, eps=eps, grid=grid)
    masks = linear_masks(model)
    return Sweep(lambdas=lambdas, apl=apl_mlp(masks).reshape(shape),
                 test_accuracy=accuracy(model, *test).reshape(shape),
                 masks=[m.reshape(*shape, -1) for m in masks], model=model, init=init)


def check_trained(model: MLP, x: torch.Tensor, y: torch.Tensor, start_loss: np.ndarray, lr: float) -> None:
    """Raise `TrainingDiverged` unless every network's final training loss is finite and at most
    `DIVERGED` times its initial loss (`fit` catches NaN, this also weights blown up to finite, huge values)."""
    with torch.no_grad():
        end = losses(model.hidden(x)[-1], y, "cross_entropy").cpu().numpy()
    bad = ~np.isfinite(end) | (end > DIVERGED * np.asarray(start_loss))
    if bad.any():
        raise TrainingDiverged(
            f"training diverged: final loss {end[bad][:4]} of {int(bad.sum())} network(s) against "
            f"{np.asarray(start_loss)[bad][:4]} at initialisation, with lr={lr}; lower the learning rate")


def effective_masks(model: MLP, x: torch.Tensor) -> list[np.ndarray]:
    """Units nonlinear on the data x: slope < 1 and pre-activations of both signs (else it computes z or α z)."""
    with torch.no_grad():
        zs = model.hidden(x)[:-1]
    return [(((z > 0).any(1) & (z < 0).any(1)) & (a < 1)).cpu().numpy() for z, a in zip(zs, model.slopes)]


def random_control(sw: Sweep, x, y, x_test, y_test, *, columns, steps: int, finetune_steps: int, lr: float,
                   eps: float, rng: np.random.Generator, budget: str = "equal", strength: float = 1.0,
                   grid: float = GRID) -> tuple[np.ndarray, np.ndarray]:
    """Random units, as many per layer as the late network (i, s) of `sw` ends with linear units,
    for every i in `columns` and sub-seed s. `budget="equal"`: the late schedule of `sweep` from
    initialisation s, with the penalty λ = `strength` on the random units only. `budget="finetune"`:
    the random units of the unpenalised network (λ = 0, sub-seed s) switched to linear at once, then
    only fine-tuned. Returns (apl, test_accuracy), each of shape (len(columns), n_seeds)."""
    if budget not in ("equal", "finetune"):
        raise ValueError(f"budget must be 'equal' or 'finetune', got {budget!r}")
    columns = np.asarray(columns, dtype=int)
    n_seeds = sw.apl.shape[-1]
    n = columns.size * n_seeds
    dtype, device = sw.init.weights[0].dtype, sw.init.weights[0].device
    weight = []
    for m in sw.masks:                                          # (2, n_lambda, n_seeds, width)
        w = np.zeros((n, m.shape[-1]))
        for e, k in enumerate((~m[1, columns]).sum(-1).ravel()):
            w[e, rng.permutation(m.shape[-1])[:k]] = 1.0
        weight.append(torch.as_tensor(w, dtype=dtype, device=device))
    (x, y), test = _tensors(sw.init, x, y), _tensors(sw.init, x_test, y_test)
    seeds = np.tile(np.arange(n_seeds), columns.size)
    if budget == "equal":
        model = train(sw.init, seeds, x, y, lam=np.full(n, strength), start=np.full(n, steps // 2),
                      steps=steps, finetune_steps=finetune_steps, lr=lr, eps=eps, weight=weight, grid=grid)
    else:
        model = train(sw.model, np.ravel_multi_index((1, 0, seeds), sw.apl.shape), x, y, lam=np.zeros(n),
                      start=np.zeros(n, int), steps=0, finetune_steps=finetune_steps, lr=lr, eps=eps,
                      linear=weight, grid=grid)
    shape = (columns.size, n_seeds)
    return apl_mlp(linear_masks(model)).reshape(shape), accuracy(model, *test).reshape(shape)

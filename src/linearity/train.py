"""Full-batch gradient descent (and Adam) that records what a chapter plots.

Losses, per network (so an ensemble trains E networks with one backward pass):

- "mse":      L = (1/2n) Σ_n ‖f(x_n) − y_n‖²         (the convention of Saxe et al. 2014)
- "logistic": L = (1/n) Σ_n log(1 + exp(−y_n f(x_n))),  y_n ∈ {−1, +1}
- "exp":      L = (1/n) Σ_n exp(−y_n f(x_n))
- "cross_entropy": L = (1/n) Σ_n −log softmax(f(x_n))[y_n],  y_n an integer class

Gradient descent is θ ← θ − η ∇L. With an ensemble, η may be one value per network.
`penalty(step, model)` adds a term per network to the loss that is differentiated (it is
not part of the recorded loss). `grid=h` rounds every trained parameter to a multiple of h
after each update (fixed point): long Adam runs on small networks are chaotic, and the
last-bit differences between CPUs' vector instructions grow into different networks; on a
grid of h = 2⁻²⁴ they are rounded away at every step, so the run is the same on every CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .checks import check_choice, check_int, check_positive

LOSSES = ("mse", "logistic", "exp", "cross_entropy")
OPTIMIZERS = ("gd", "adam")


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


def losses(pred: torch.Tensor, y: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Per-network loss, shape (E,) for predictions (E, n, d_out) (see the module docstring)."""
    check_choice("loss", kind, LOSSES)
    if kind == "mse":
        return 0.5 * ((pred - y) ** 2).sum(-1).mean(-1)
    if kind == "logistic":
        return F.softplus(-y * pred.squeeze(-1)).mean(-1)
    if kind == "exp":
        return torch.exp(-y * pred.squeeze(-1)).mean(-1)
    logp = torch.log_softmax(pred, dim=-1)                       # cross_entropy
    idx = y.long().expand(pred.shape[:-1]).unsqueeze(-1)
    return -logp.gather(-1, idx).squeeze(-1).mean(-1)


@dataclass
class History:
    """What a run recorded: `loss[i]` is the loss after `steps[i]` updates.

    `loss` has shape (T,) for one network and (T, E) for an ensemble; `weights` maps a
    step to the list of weight matrices (numpy) at that step.
    """

    steps: np.ndarray
    loss: np.ndarray
    weights: dict[int, list[np.ndarray]] = field(default_factory=dict)


def _check_lr(lr, ensemble: int | None) -> torch.Tensor:
    values = np.atleast_1d(np.asarray(lr, dtype=float))
    if values.ndim != 1:
        raise ValueError(f"lr must be a number or one number per network, got {lr!r}")
    for v in values:
        check_positive("lr", float(v))
    if values.size > 1 and values.size != (ensemble or 1):
        raise ValueError(f"lr must have one value per network ({ensemble}), got {values.size}")
    return torch.as_tensor(values)


def fit(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, lr: float | Sequence[float],
          steps: int, loss: str = "mse", optimizer: str = "gd", record_every: int = 1,
          record_weights: Iterable[int] = (), params: Iterable[torch.nn.Parameter] | None = None,
          callback: Callable[[int, torch.nn.Module], None] | None = None,
          penalty: Callable[[int, torch.nn.Module], torch.Tensor] | None = None,
          grid: float | None = None, chunk: int | None = None) -> History:
    """Train `model` on the full batch (x, y) for `steps` updates and return its `History`.

    `record_every` sets how often the loss is stored (the last step always is);
    `record_weights` lists steps whose weights are stored; `params` restricts what is
    trained (default: all parameters); `callback(step, model)` runs before every update and
    once after the last (so a projection there is applied after every update).
    `chunk=k` runs forward and backward pass k ensemble members at a time (inputs shared by all
    members): the members are independent, so the update is the same up to rounding, and for
    hundreds of small networks the smaller tensors stay in the CPU's cache (about twice as fast).
    Raises `TrainingDiverged` naming the step and learning rate if the loss is NaN/inf.
    """
    check_choice("loss", loss, LOSSES)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    if grid is not None:
        check_positive("grid", grid)
    check_int("steps", steps)
    check_int("record_every", record_every, 1)
    ensemble = getattr(model, "ensemble", None)
    eta = _check_lr(lr, ensemble)
    params = list(model.parameters() if params is None else params)
    if chunk is not None:
        check_int("chunk", chunk, 1)
        if ensemble is None or x.dim() != 2:
            raise ValueError("chunk needs an ensemble model and inputs x of shape (n, d_in) shared by its members")
    slices = [slice(i, i + chunk) for i in range(0, ensemble, chunk)] if chunk is not None else None
    if optimizer == "adam":
        if eta.numel() > 1:
            raise ValueError("lr must be a single number with optimizer='adam'")
        opt = torch.optim.Adam(params, lr=float(eta[0]))
    # one learning rate, or one per network broadcast over each parameter's leading dimension
    step_size = [float(eta[0]) if eta.numel() == 1 else eta.to(p).reshape(-1, *[1] * (p.dim() - 1))
                 for p in params]
    wanted = set(record_weights)
    rec_steps, rec_loss, weights = [], [], {}
    for step in range(steps + 1):
        if callback is not None:
            callback(step, model)
        if step in wanted:
            weights[step] = [w.detach().cpu().numpy().copy() for w in model.weights]
        if slices is None:
            per_net = losses(model.hidden(x)[-1], y, loss)
        else:   # forward and backward pass of each chunk at once, its gradients summed into `grads`
            parts, grads = [], [torch.zeros_like(p) for p in params]
            for members in slices:
                part = losses(model.hidden(x, members)[-1], y, loss)
                parts.append(part.detach())
                if step < steps:
                    for g, d in zip(grads, torch.autograd.grad(part.sum(), params, allow_unused=True)):
                        if d is not None:
                            g += d
            per_net = torch.cat(parts)
        if not torch.isfinite(per_net).all():
            raise TrainingDiverged(
                f"training diverged: loss is {per_net.detach().cpu().numpy()} at step {step} "
                f"with lr={lr}; lower the learning rate"
            )
        if step % record_every == 0 or step == steps:
            rec_steps.append(step)
            rec_loss.append(per_net.detach().cpu().numpy().copy())
        if step == steps:
            break
        if slices is None:
            objective = per_net if penalty is None else per_net + penalty(step, model)
            grads = torch.autograd.grad(objective.sum(), params)
        elif penalty is not None:
            for g, d in zip(grads, torch.autograd.grad(penalty(step, model).sum(), params, allow_unused=True)):
                if d is not None:
                    g += d
        with torch.no_grad():
            if optimizer == "adam":
                for p, g in zip(params, grads):
                    p.grad = g
                opt.step()
            else:
                for p, g, s in zip(params, grads, step_size):
                    p -= s * g
            if grid is not None:
                for p in params:
                    p.copy_(torch.round(p / grid) * grid)
    loss_arr = np.array(rec_loss)
    if ensemble is None:
        loss_arr = loss_arr[:, 0]
    return History(steps=np.array(rec_steps), loss=loss_arr, weights=weights)


def half_time(steps: np.ndarray, loss: np.ndarray, fraction: float = 0.5) -> float:
    """First time (linearly interpolated) at which `loss` falls to `fraction` · loss[0]; nan if never."""
    target = fraction * loss[0]
    below = np.nonzero(loss <= target)[0]
    if below.size == 0:
        return math.nan
    i = below[0]
    if i == 0:
        return float(steps[0])
    t0, t1, l0, l1 = steps[i - 1], steps[i], loss[i - 1], loss[i]
    return float(t0 + (l0 - target) / (l0 - l1) * (t1 - t0))
